import "server-only";

import { limitBody, payloadTooLarge, refuseAnnouncedTooLarge } from "./bodyLimit";
import { UNREACHABLE } from "./errors";
import { forwardedFor } from "./peerAddress";
import { maxRequestBytes, proxyUrl } from "./serverConfig";

const FORWARDED_REQUEST_HEADERS = [
  "content-type",
  "authorization",
  "cookie",
  "accept",
  "accept-language",
  "x-request-id",
  // For the proxy's check that the request comes from the chat page's own site.
  "origin",
  "sec-fetch-site",
];
const PASSED_RESPONSE_HEADERS = ["content-type", "retry-after", "www-authenticate"];
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** Sends the request on to the proxy and streams its answer back without buffering it. */
export async function forwardToProxy(request: Request, path: string): Promise<Response> {
  const maxBytes = maxRequestBytes();
  const refused = refuseAnnouncedTooLarge(request, maxBytes);
  if (refused) return refused;
  const body = request.body && limitBody(request.body, maxBytes);

  const url = `${proxyUrl()}${path}`;
  const headers = new Headers();
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  // The proxy takes these from its TRUSTED_PROXY_ADDRESSES only (by default, this server on loopback).
  const client = forwardedFor(request.headers);
  if (client !== null) headers.set("x-forwarded-for", client);
  headers.set("x-forwarded-proto", new URL(request.url).protocol.slice(0, -1));

  let upstream: Response;
  try {
    const init: RequestInit & { duplex: "half" } = {
      method: request.method,
      headers,
      // Streamed as it arrives, never held whole in memory.
      body: body?.stream,
      duplex: "half",
      // A closed tab aborts this signal, which closes the upstream connection too.
      signal: request.signal,
      cache: "no-store",
      redirect: "manual",
    };
    upstream = await fetch(url, init);
  } catch (error) {
    if (body?.exceeded()) return payloadTooLarge(maxBytes);
    if (request.signal.aborted) {
      // Nobody is left to read this answer.
      return new Response(null, { status: 499 });
    }
    const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    console.error(`Cannot reach the proxy at ${url} (${reason}). Is it running, and is PROXY_URL right?`);
    return proxyUnreachable();
  }

  return new Response(NULL_BODY_STATUSES.has(upstream.status) ? null : upstream.body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: responseHeaders(upstream.headers),
  });
}

/** The 502 for a proxy that gave no answer; the page shows its message. */
export function proxyUnreachable(): Response {
  return Response.json({ error: { code: "proxy_unreachable", message: UNREACHABLE } }, { status: 502 });
}

function responseHeaders(upstream: Headers): Headers {
  const headers = new Headers();
  for (const name of PASSED_RESPONSE_HEADERS) {
    const value = upstream.get(name);
    if (value !== null) headers.set(name, value);
  }
  for (const cookie of upstream.getSetCookie()) {
    headers.append("set-cookie", cookie);
  }
  if (headers.get("content-type")?.startsWith("text/event-stream")) {
    headers.set("cache-control", "no-cache, no-transform");
    headers.set("x-accel-buffering", "no");
    headers.set("connection", "keep-alive");
  }
  return headers;
}
