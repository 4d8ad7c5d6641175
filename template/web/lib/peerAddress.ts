import { randomUUID } from "node:crypto";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import { isIPv4, type Socket } from "node:net";

// The proxy limits each client by the right-most address of `x-forwarded-for` it does not trust,
// so the chain it gets must end with the address that really connected here. Next.js does not
// see to that: it fills the header in with the socket's address only when the client sent none,
// and passes a client's own value on untouched (measured with Next.js 16.4.6 under `next start`).
// Node's HTTP server announces each request on this channel, with its socket, before Next sees it.
const REQUEST_START = "http.server.request.start";
/** Marks the requests seen on the channel, with a value no client can know. */
const SEEN_HEADER = "x-peer-address-seen";
// Next bundles the instrumentation hook and the route handlers separately: they share the
// mark through the process's global object.
const SEEN_MARK: unique symbol = Symbol.for("web.peerAddress.seenMark");

/** Appends the peer's address to every request's `x-forwarded-for`; returns what stops it. */
export function recordPeerAddresses(): () => void {
  subscribe(REQUEST_START, appendPeerAddress);
  return () => unsubscribe(REQUEST_START, appendPeerAddress);
}

/** One request, as Node's HTTP server announces it. */
export function appendPeerAddress(message: unknown): void {
  const { request, socket } = message as { request: IncomingMessage; socket: Socket };
  const peer = socket.remoteAddress;
  if (peer === undefined) return; // gone already; unmarked, so its header is not passed on
  const forwarded = request.headers["x-forwarded-for"];
  request.headers["x-forwarded-for"] = forwarded ? `${forwarded}, ${unmapped(peer)}` : unmapped(peer);
  request.headers[SEEN_HEADER] = seenMark();
}

/**
 * `x-forwarded-for` for the proxy, or null if this request was not seen on the channel: such as
 * one that arrived while the server was starting, before the hook was in place.
 */
export function forwardedFor(headers: Headers): string | null {
  return headers.get(SEEN_HEADER) === seenMark() ? headers.get("x-forwarded-for") : null;
}

function seenMark(): string {
  const shared = globalThis as { [SEEN_MARK]?: string };
  return (shared[SEEN_MARK] ??= randomUUID());
}

/** `::ffff:192.0.2.1` (an IPv4 client of a server listening on `::`) as `192.0.2.1`. */
function unmapped(address: string): string {
  const ipv4 = address.slice("::ffff:".length);
  return address.startsWith("::ffff:") && isIPv4(ipv4) ? ipv4 : address;
}
