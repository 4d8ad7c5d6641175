/**
 * The browser the tests drive (real Chromium, CHROMIUM or /usr/bin/chromium), the stand-in for
 * ChatKit's CDN script, and the page's own calls to the Next.js routes from a browser context.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

import { chromium, type Browser, type BrowserContext } from "playwright-core";

import { CHATKIT_SCRIPT_URL } from "@/components/ChatKitScript";
import { config } from "@/lib/config";

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const STAND_IN = readFileSync(path.join(import.meta.dirname, "chatkit-stand-in.js"), "utf8");

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-gpu",
    ],
  });
}

/** Serves ./chatkit-stand-in.js instead of ChatKit's script to the pages of `context`. */
export async function standInChatKit(context: BrowserContext): Promise<void> {
  await context.route(CHATKIT_SCRIPT_URL, (route) => route.fulfill({ contentType: "text/javascript", body: STAND_IN }));
}

/**
 * One ChatKit request the way the page makes it, with the context's cookies: a session first,
 * then the request with its token. Returns the status and the body's text.
 */
export async function chatkitRequest(
  context: BrowserContext,
  webUrl: string,
  payload: unknown,
): Promise<{ status: number; body: string }> {
  const session = await context.request.post(`${webUrl}${config.sessionUrl}`, { headers: { accept: "application/json" } });
  if (!session.ok()) return { status: session.status(), body: await session.text() };
  const { client_secret: token } = (await session.json()) as { client_secret: string };
  const response = await context.request.post(`${webUrl}${config.apiUrl}`, {
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    data: payload,
  });
  return { status: response.status(), body: await response.text() };
}
