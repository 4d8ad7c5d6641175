import "server-only";

/** How long the rest of a refused body is still received, so a client busy sending it reads the 413. */
const LINGER_MS = 5_000;

/** A 413 if the request's content-length says its body is over `maxBytes`, before reading any of it. */
export function refuseAnnouncedTooLarge(request: Request, maxBytes: number): Response | null {
  const declared = request.headers.get("content-length");
  if (declared === null || Number(declared) <= maxBytes) return null;
  if (request.body) void discardRest(request.body.getReader());
  return payloadTooLarge(maxBytes);
}

/** The proxy's own 413, so the page shows the same message whichever of the two refused. */
export function payloadTooLarge(maxBytes: number): Response {
  return Response.json(
    { error: { code: "payload_too_large", message: `The request is larger than the ${maxBytes} bytes allowed.` } },
    { status: 413 },
  );
}

/**
 * `body` passed on as it arrives, failing once more than `maxBytes` came through, whatever the
 * content-length said.
 */
export function limitBody(body: ReadableStream<Uint8Array>, maxBytes: number) {
  const reader = body.getReader();
  let received = 0;
  let exceeded = false;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await reader.read();
      if (chunk.done) {
        controller.close();
        return;
      }
      received += chunk.value.byteLength;
      if (received > maxBytes) {
        exceeded = true;
        controller.error(new Error(`request body over ${maxBytes} bytes`));
        void discardRest(reader);
        return;
      }
      controller.enqueue(chunk.value);
    },
  });
  return { stream, exceeded: () => exceeded };
}

/**
 * Reads and drops the rest of a refused body for up to LINGER_MS. Closing the connection at once
 * would fail the writes of a client still sending, and many (Node's fetch among them) then report
 * that failure instead of the 413. A client still sending after that is no longer read from, and
 * Node closes its stalled connection (keepAliveTimeout, 5 s).
 */
async function discardRest(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  const cutOff = setTimeout(() => void reader.cancel(), LINGER_MS);
  try {
    let chunk = await reader.read();
    while (!chunk.done) chunk = await reader.read();
  } catch {
    // The client hung up, or was cut off: either way nothing is left to drop.
  } finally {
    clearTimeout(cutOff);
  }
}
