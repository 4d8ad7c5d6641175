// Stands in for ChatKit's web component from cdn.platform.openai.com, which the browser tests
// cannot count on reaching. Like the real element it receives everything through setOptions()
// and talks to the server only with `options.api.fetch` at `options.api.url`.
class ChatKitStandIn extends HTMLElement {
  /** Every options object passed to setOptions(), oldest first. */
  received = [];

  connectedCallback() {
    this.textContent = "ChatKit stand-in for the browser tests";
  }

  get options() {
    return this.received.at(-1);
  }

  setOptions(options) {
    this.received.push(options);
  }

  /** Sends one ChatKit request and notes when each server-sent event arrived (ms from start). */
  async request(payload) {
    const { url, fetch } = this.options.api;
    const started = performance.now();
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
    });
    const contentType = response.headers.get("content-type") ?? "";
    const result = { status: response.status, contentType, events: [], json: null, endedAt: 0 };
    if (contentType.startsWith("text/event-stream")) {
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const data = buffer
            .slice(0, end)
            .split("\n")
            .filter((line) => line.startsWith("data:"))
            .map((line) => line.slice(5).trimStart())
            .join("\n");
          buffer = buffer.slice(end + 2);
          if (data) result.events.push({ at: performance.now() - started, event: JSON.parse(data) });
        }
      }
    } else {
      result.json = await response.json().catch(() => null);
    }
    result.endedAt = performance.now() - started;
    return result;
  }
}

customElements.define("openai-chatkit", ChatKitStandIn);
