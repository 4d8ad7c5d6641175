import "server-only";

const FORWARDED_REQUEST_HEADERS = [
  "content-type",
  "authorization",
  "cookie",
  "accept",
  "accept-language",
  "x-request-id",
];
const PASSED_RESPONSE_HEADERS = ["content-type", "retry-after", "www-authenticate"];
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

export const DEFAULT_PROXY_URL = "http://127.0.0.1:8000";

/** Sends the request on to the proxy and streams its answer back without buffering it. */
export async function forwardToProxy(request: Request, path: string): Promise<Response> {
  const url = `${process.env.PROXY_URL ?? DEFAULT_PROXY_URL}${path}`;
  const headers = new Headers();
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }

  let upstream: Response;
  try {
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    upstream = await fetch(url, {
      method: request.method,
      headers,
      body: hasBody ? await request.arrayBuffer() : undefined,
      // A closed tab aborts this signal, which closes the upstream connection too.
      signal: request.signal,
      cache: "no-store",
      redirect: "manual",
    });
  } catch (error) {
    if (request.signal.aborted) {
      // Nobody is left to read this answer.
      return new Response(null, { status: 499 });
    }
    const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    console.error(`Cannot reach the proxy at ${url} (${reason}). Is it running, and is PROXY_URL right?`);
    return Response.json(
      {
        error: {
          code: "proxy_unreachable",
          message: "The chat service is not reachable right now. Please try again in a moment.",
        },
      },
      { status: 502 },
    );
  }

  return new Response(NULL_BODY_STATUSES.has(upstream.status) ? null : upstream.body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: responseHeaders(upstream.headers),
  });
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
