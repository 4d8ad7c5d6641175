import { once } from "node:events";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

import { describe, expect, it } from "vitest";

import { appendPeerAddress, forwardedFor, recordPeerAddresses } from "../lib/peerAddress";

/** The headers as a route handler gets them, after the hook saw a request from `remoteAddress`. */
function seenFrom(remoteAddress: string | undefined, headers: IncomingMessage["headers"] = {}): Headers {
  const request = { headers } as IncomingMessage;
  appendPeerAddress({ request, socket: { remoteAddress } });
  return new Headers(request.headers as Record<string, string>);
}

describe("the peer-address hook", () => {
  it("sees every request before the server's own handler does, until stopped", async () => {
    const handled: (string | null)[] = [];
    const server = createServer((req, res) => {
      handled.push(forwardedFor(new Headers(req.headers as Record<string, string>)));
      res.end();
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const stop = recordPeerAddresses();
    try {
      await fetch(url, { headers: { "x-forwarded-for": "203.0.113.7" } });
    } finally {
      stop();
    }
    await fetch(url, { headers: { "x-forwarded-for": "203.0.113.7" } });
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));

    expect(handled).toEqual(["203.0.113.7, 127.0.0.1", null]);
  });

  it("gives the address alone when the client sent no x-forwarded-for", () => {
    expect(forwardedFor(seenFrom("192.0.2.1"))).toBe("192.0.2.1");
  });

  it("writes an IPv4 client of a server listening on :: as plain IPv4", () => {
    expect(forwardedFor(seenFrom("::ffff:192.0.2.1", { "x-forwarded-for": "203.0.113.7" }))).toBe(
      "203.0.113.7, 192.0.2.1",
    );
    expect(forwardedFor(seenFrom("2001:db8::1"))).toBe("2001:db8::1");
  });

  it("passes nothing on for a request it did not see, whatever it claims", () => {
    const forged = new Headers({ "x-forwarded-for": "203.0.113.7", "x-peer-address-seen": "guess" });

    expect(forwardedFor(forged)).toBeNull();
    expect(forwardedFor(seenFrom(undefined, { "x-forwarded-for": "203.0.113.7" }))).toBeNull();
  });
});
