/**
 * The chat page in real Chromium, against the real Next.js server, proxy and dev backend
 * (started by ./stack.ts). Only ChatKit's CDN script is stood in where a test needs the
 * element: see ./chatkit-stand-in.js.
 */
import { once } from "node:events";
import { mkdirSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import path from "node:path";

import type { ChatKitOptions } from "@openai/chatkit-react";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { CHATKIT_SCRIPT_URL } from "@/components/ChatKitScript";
import { config } from "@/lib/config";
import { UNREACHABLE } from "@/lib/errors";

import { launchChromium, standInChatKit } from "./browser";
import { builtinViewTests } from "./builtin-view";
import {
  DEV_BACKEND_CALLS_TOOLS,
  DOMAIN_KEY,
  MAX_REQUEST_BYTES,
  SESSION_TTL_SECONDS,
  TOKEN_DELAY_SECONDS,
  startStack,
  type Stack,
} from "./stack";

const ARTIFACTS = path.resolve(import.meta.dirname, "../../test-results");

type ServerEvent = { type: string } & Record<string, unknown>;
type Exchange = {
  status: number;
  contentType: string;
  events: { at: number; event: ServerEvent }[];
  json: unknown;
  endedAt: number;
};
type StandIn = HTMLElement & {
  received: ChatKitOptions[];
  options: ChatKitOptions;
  request(payload: unknown): Promise<Exchange>;
};

let stack: Stack;
let browser: Browser;
let cdnReachable = false;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [stack, browser, cdnReachable] = await Promise.all([
    startStack(),
    launchChromium(),
    fetch(CHATKIT_SCRIPT_URL, { method: "HEAD", signal: AbortSignal.timeout(3_000) }).then(
      (response) => response.ok,
      () => false,
    ),
  ]);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("the chat page, with ChatKit's script stood in", () => {
  let context: BrowserContext;
  let page: Page;
  const scripts = new Map<string, string>();
  const sessions: number[] = [];
  const chatkitCalls: { status: number; bearer: string | undefined }[] = [];
  const pageErrors: Error[] = [];

  beforeAll(async () => {
    context = await browser.newContext({ colorScheme: "dark", viewport: { width: 1280, height: 800 } });
    await stack.signIn(context);
    await standInChatKit(context);
    page = await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(error));
    page.on("response", async (response) => {
      // Recorded before any await, so they are in place when the page's fetch returns.
      const request = response.request();
      const url = new URL(response.url());
      if (url.pathname === config.sessionUrl) sessions.push(Date.now());
      if (url.pathname === config.apiUrl) {
        chatkitCalls.push({ status: response.status(), bearer: request.headers().authorization });
      }
      if (["document", "script"].includes(request.resourceType()) && response.url() !== CHATKIT_SCRIPT_URL) {
        scripts.set(response.url(), await response.text());
      }
    });
    await page.goto(stack.webUrl);
    await page.waitForFunction(() => document.querySelector<StandIn>("openai-chatkit")?.received.length);
  });

  afterAll(async () => {
    await context?.close();
  });

  it("hands the openai-chatkit element its options from lib/config.ts", async () => {
    const models: { data: { id: string; default: boolean }[] } = await (
      await fetch(`${stack.webUrl}/api/custom/models`)
    ).json();
    const { composer, ...rest } = (await options(page)) as { composer: Record<string, unknown> };

    expect(rest).toEqual({
      api: { url: "/api/chatkit", domainKey: DOMAIN_KEY },
      frameTitle: config.title,
      initialThread: null,
      theme: { ...config.theme, colorScheme: "dark" },
      header: { title: { text: config.title } },
      history: { enabled: true, showRename: true, showDelete: true },
      startScreen: { greeting: config.greeting, prompts: config.prompts },
      threadItemActions: { retry: true },
    });
    expect(composer.placeholder).toBe(config.composerPlaceholder);
    // The picker appears only when the proxy offers more than one model.
    const picker = composer.models as { id: string; default?: boolean }[] | undefined;
    if (models.data.length > 1) {
      expect(picker?.map((model) => model.id)).toEqual(models.data.map((model) => model.id));
      expect(picker?.find((model) => model.default)?.id).toBe(models.data.find((m) => m.default)?.id);
    } else {
      expect(picker).toBeUndefined();
    }
    expect(await page.evaluate(() => typeof document.querySelector<StandIn>("openai-chatkit")!.options.api)).toBe("object");
    expect(await page.title()).toBe(config.title);
  });

  it("follows the system's colour scheme when it changes", async () => {
    await page.emulateMedia({ colorScheme: "light" });
    await expect.poll(async () => (await options(page)).theme).toEqual({ ...config.theme, colorScheme: "light" });
  });

  it("streams a reply through the Next.js route as the backend generates it", async () => {
    const exchange = await send(page, {
      type: "threads.create",
      params: {
        input: {
          content: [{ type: "input_text", text: "Hello from the browser" }],
          attachments: [],
          inference_options: {},
        },
      },
    });

    expect(exchange.status).toBe(200);
    expect(exchange.contentType).toMatch(/^text\/event-stream/);
    expect(exchange.events[0].event.type).toBe("thread.created");
    const deltas = exchange.events.filter(
      ({ event }) =>
        event.type === "thread.item.updated" &&
        (event.update as { type: string }).type === "assistant_message.content_part.text_delta",
    );
    const text = deltas.map(({ event }) => (event.update as { delta: string }).delta).join("");
    expect(text).toMatch(/^You said: “Hello from the browser”\. This is message 1/);
    expect(deltas.length).toBeGreaterThanOrEqual(20);
    // Buffering anywhere (Next.js, compression, the proxy) would deliver the deltas in one burst
    // at the end; paced by the dev backend they arrive spread over the whole reply instead.
    const first = deltas[0].at;
    const last = deltas.at(-1)!.at;
    expect(last - first).toBeGreaterThan((deltas.length - 1) * TOKEN_DELAY_SECONDS * 1000 * 0.5);
    expect(exchange.endedAt - first).toBeGreaterThan(1_000);

    // The generated fetch got a session first and sent its token along.
    expect(sessions).toHaveLength(1);
    expect(chatkitCalls.at(-1)?.bearer).toMatch(/^Bearer \S+$/);
  });

  it("lists, renames and deletes conversations in the proxy's store (the history panel)", async () => {
    const listed = await send(page, { type: "threads.list", params: { limit: 20, order: "desc" } });
    expect(listed.status).toBe(200);
    const threads = (listed.json as { data: { id: string; title: string | null }[] }).data;
    expect(threads).toHaveLength(1);
    const threadId = threads[0].id;

    const renamed = await send(page, { type: "threads.update", params: { thread_id: threadId, title: "Renamed" } });
    expect(renamed.status).toBe(200);
    const afterRename = await send(page, { type: "threads.list", params: {} });
    expect((afterRename.json as { data: { title: string }[] }).data[0].title).toBe("Renamed");

    expect((await send(page, { type: "threads.delete", params: { thread_id: threadId } })).status).toBe(200);
    const afterDelete = await send(page, { type: "threads.list", params: {} });
    expect((afterDelete.json as { data: unknown[] }).data).toEqual([]);
  });

  it("brings a reasoning model's thought through, as a workflow item", async () => {
    const exchange = await send(page, newThread("Please think it over"));

    const thought = doneItems(exchange).find((item) => item.type === "workflow");
    expect(thought?.workflow).toMatchObject({ type: "reasoning", tasks: [{ type: "thought", status_indicator: "complete" }] });
    expect(JSON.stringify(thought)).toContain("this reasoning is canned");
    expect(doneItems(exchange).map((item) => item.type)).toEqual(["user_message", "workflow", "assistant_message"]);
  });

  it.runIf(DEV_BACKEND_CALLS_TOOLS)("brings a tool call and its result through, as a workflow item", async () => {
    const exchange = await send(page, newThread("What time is it in Europe/Paris?"));

    const round = doneItems(exchange).find((item) => item.type === "workflow");
    expect(round?.workflow).toMatchObject({
      type: "custom",
      summary: { title: "Called current_time" },
      tasks: [{ type: "custom", title: 'current_time(time_zone="Europe/Paris")', status_indicator: "complete" }],
    });
    // The record the model gets back in later turns stays on the server.
    expect(doneItems(exchange).map((item) => item.type)).toEqual(["user_message", "workflow", "assistant_message"]);
  });

  it("shows a readable error with a retry while the proxy is down, then recovers", async () => {
    await stack.stopProxy();
    const failed = await send(page, { type: "threads.list", params: {} });
    expect(failed.status).toBe(502);

    const banner = page.getByTestId("chat-error");
    await banner.waitFor();
    expect(await banner.getByRole("paragraph").textContent()).toBe(UNREACHABLE);
    await page.screenshot({ path: path.join(ARTIFACTS, "proxy-unreachable.png") });

    // Back with a new SESSION_SECRET: every token the page holds is now refused.
    await stack.startProxy(`rotated-${"x".repeat(40)}`);
    const sessionsBefore = sessions.length;
    const token = chatkitCalls.at(-1)!.bearer;
    await banner.getByRole("button", { name: "Retry" }).click();
    await banner.waitFor({ state: "detached" });
    await expect.poll(() => received(page)).toBe(1); // a fresh element for the restarted chat

    const listed = await send(page, { type: "threads.list", params: {} });
    expect(listed.status).toBe(200);
    // The held token was refused, so the page fetched a new one and sent the request again.
    expect(chatkitCalls.slice(-2)).toEqual([
      { status: 401, bearer: token },
      { status: 200, bearer: expect.not.stringMatching(token!) },
    ]);
    expect(sessions.length).toBe(sessionsBefore + 1);
    expect(await page.getByTestId("chat-error").count()).toBe(0);
  }, 60_000);

  it("renews its session token before the token expires", async () => {
    const sessionsBefore = sessions.length;
    const token = chatkitCalls.at(-1)!.bearer;
    // The page renews at half the lifetime when that is shorter than its usual one-minute margin.
    const renewAt = sessions.at(-1)! + (SESSION_TTL_SECONDS / 2) * 1000 + 1_000;
    const early = await send(page, { type: "threads.list", params: {} });
    expect(early.status).toBe(200);
    expect(sessions).toHaveLength(sessionsBefore);
    expect(chatkitCalls.at(-1)!.bearer).toBe(token);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, renewAt - Date.now())));
    const late = await send(page, { type: "threads.list", params: {} });

    expect(late.status).toBe(200);
    expect(sessions).toHaveLength(sessionsBefore + 1);
    expect(chatkitCalls.at(-1)!.bearer).not.toBe(token);
  }, 60_000);

  it("refuses a message over MAX_REQUEST_BYTES with a readable error, then recovers", async () => {
    const tooLarge = await send(page, {
      type: "threads.create",
      params: {
        input: {
          content: [{ type: "input_text", text: "x".repeat(MAX_REQUEST_BYTES) }],
          attachments: [],
          inference_options: {},
        },
      },
    });

    expect(tooLarge.status).toBe(413);
    const message = `The request is larger than the ${MAX_REQUEST_BYTES} bytes allowed.`;
    expect(tooLarge.json).toEqual({ error: { code: "payload_too_large", message } });
    const banner = page.getByTestId("chat-error");
    await banner.waitFor();
    expect(await banner.getByRole("paragraph").textContent()).toBe(message);

    expect((await send(page, { type: "threads.list", params: {} })).status).toBe(200);
    await banner.waitFor({ state: "detached" });
  });

  it("loads no script that holds a backend address or secret", () => {
    expect(scripts.size).toBeGreaterThan(3);
    for (const [url, body] of scripts) {
      for (const secret of [...stack.secrets, "SESSION_SECRET", "CUSTOM_BACKEND", "PROXY_URL"]) {
        expect(body.includes(secret), `${secret} in ${url}`).toBe(false);
      }
    }
    expect(pageErrors).toEqual([]);
  });
});

describe("the chat page, when ChatKit's script cannot be loaded", () => {
  /** A browser that cannot reach ChatKit's CDN, wherever the tests run. */
  async function cutOff(context: BrowserContext): Promise<void> {
    if (cdnReachable) {
      // On a machine that can reach the CDN, cut it off the way a firewall would.
      await context.route(CHATKIT_SCRIPT_URL, (route) => route.abort("addressunreachable"));
    }
  }

  it("switches to the built-in view and says why (CHAT_UI=auto, the default)", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      await stack.signIn(context);
      await cutOff(context);
      const page = await context.newPage();
      await page.goto(stack.webUrl);
      const notice = page.getByTestId("builtin-notice");
      await notice.waitFor({ timeout: 20_000 });
      expect(await notice.textContent()).toContain("could not be loaded from cdn.platform.openai.com");
      expect(await notice.getByRole("button", { name: "Try ChatKit again" }).isVisible()).toBe(true);
      const composer = page.getByRole("textbox", { name: config.composerPlaceholder });
      await composer.fill("Hello without the CDN");
      await composer.press("Enter");
      await page.getByTestId("answer").getByText("You said:").waitFor();
      await page.screenshot({ path: path.join(ARTIFACTS, "cdn-unreachable-auto.png") });
    } finally {
      await context.close();
    }
  });

  it("says what is missing instead of showing a blank box (CHAT_UI=chatkit)", async () => {
    await stack.restartWeb({ CHAT_UI: "chatkit" });
    const context = await browser.newContext({ colorScheme: "light", viewport: { width: 1280, height: 800 } });
    try {
      await cutOff(context);
      const page = await context.newPage();
      await page.goto(stack.webUrl);

      const notice = page.getByTestId("script-error");
      await notice.waitFor({ timeout: 20_000 });
      expect(await notice.getByRole("heading").textContent()).toBe("The chat interface could not be loaded");
      expect(await notice.textContent()).toContain("needs outbound access to cdn.platform.openai.com");
      expect(await page.getByRole("main").getByRole("alert").count()).toBe(1);

      // Keyboard users reach the retry button first.
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe(
        "Retry: the chat interface could not be loaded",
      );
      await page.screenshot({ path: path.join(ARTIFACTS, "cdn-unreachable.png") });

      // A phone in dark mode: the message still fits without sideways scrolling.
      await page.setViewportSize({ width: 360, height: 740 });
      await page.emulateMedia({ colorScheme: "dark" });
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await page.screenshot({ path: path.join(ARTIFACTS, "cdn-unreachable-phone-dark.png") });
    } finally {
      await context.close();
      await stack.restartWeb();
    }
  });
});

builtinViewTests(() => ({ stack, browser, artifacts: ARTIFACTS }));

describe("the chat page with the real ChatKit", () => {
  it("sends a message and shows the streamed reply", async (ctx) => {
    ctx.skip(
      !cdnReachable,
      `${CHATKIT_SCRIPT_URL} is not reachable from here, so the real ChatKit UI cannot load; ` +
        "the stand-in tests above cover the page's side",
    );
    const context = await browser.newContext();
    try {
      await stack.signIn(context);
      const page = await context.newPage();
      await page.goto(stack.webUrl);
      const chat = page.frameLocator("openai-chatkit iframe");
      const composer = chat.getByRole("textbox");
      await composer.fill("Hello from the real ChatKit");
      await composer.press("Enter");
      await chat.getByText("You said: “Hello from the real ChatKit”").first().waitFor({ timeout: 30_000 });
    } finally {
      await context.close();
    }
  }, 90_000);
});

describe("the Next.js routes, in front of a stand-in for the proxy", () => {
  let standIn: Server;
  const requests: { headers: IncomingMessage["headers"]; bytes: number }[] = [];

  beforeAll(async () => {
    await stack.stopProxy();
    standIn = createServer((req, res) => {
      let bytes = 0;
      req.on("data", (chunk: Buffer) => (bytes += chunk.length));
      req.on("close", () => requests.push({ headers: req.headers, bytes }));
      req.on("end", () => res.end("{}"));
    });
    standIn.listen(Number(new URL(stack.proxyUrl).port), "127.0.0.1");
    await once(standIn, "listening");
  });

  afterAll(async () => {
    standIn.closeAllConnections();
    await new Promise((resolve) => standIn.close(resolve));
    await stack.startProxy();
  });

  it("ends x-forwarded-for with the address that connected, whatever the client claims", async () => {
    requests.length = 0;
    const response = await fetch(`${stack.webUrl}/api/chatkit`, {
      method: "POST",
      body: "{}",
      headers: { "x-forwarded-for": "203.0.113.7", origin: stack.webUrl, "sec-fetch-site": "same-origin" },
    });

    expect(response.status).toBe(200);
    await expect.poll(() => requests.length).toBe(1);
    expect(requests[0].headers).toMatchObject({
      "x-forwarded-for": "203.0.113.7, 127.0.0.1",
      "x-forwarded-proto": "http",
      origin: stack.webUrl,
      "sec-fetch-site": "same-origin",
    });
  });

  it("cuts off an upload without content-length at MAX_REQUEST_BYTES with a 413", async () => {
    requests.length = 0;
    let sent = 0;
    const upload = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(16_384).fill(120));
        if ((sent += 16_384) >= MAX_REQUEST_BYTES * 20) controller.close();
      },
    });
    const init: RequestInit & { duplex: "half" } = { method: "POST", body: upload, duplex: "half" };

    const response = await fetch(`${stack.webUrl}/api/chatkit`, init);

    expect(response.status).toBe(413);
    const message = `The request is larger than the ${MAX_REQUEST_BYTES} bytes allowed.`;
    expect(await response.json()).toEqual({ error: { code: "payload_too_large", message } });
    await expect.poll(() => requests.length).toBe(1);
    expect(requests[0].bytes).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
  });
});

async function received(page: Page): Promise<number> {
  return page.evaluate(() => document.querySelector<StandIn>("openai-chatkit")?.received.length ?? 0);
}

/** The element's latest options as JSON (functions such as api.fetch drop out). */
async function options(page: Page): Promise<Record<string, unknown>> {
  return page.evaluate(() => JSON.parse(JSON.stringify(document.querySelector<StandIn>("openai-chatkit")!.options)));
}

async function send(page: Page, payload: unknown): Promise<Exchange> {
  return page.evaluate((body) => document.querySelector<StandIn>("openai-chatkit")!.request(body), payload);
}

function newThread(text: string) {
  return {
    type: "threads.create",
    params: { input: { content: [{ type: "input_text", text }], attachments: [], inference_options: {} } },
  };
}

/** The items a streamed answer finished, in order. */
function doneItems(exchange: Exchange): { type: string; workflow?: unknown }[] {
  return exchange.events
    .filter(({ event }) => event.type === "thread.item.done")
    .map(({ event }) => event.item as { type: string; workflow?: unknown });
}
