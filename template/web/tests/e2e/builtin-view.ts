/**
 * The built-in chat view (CHAT_UI=builtin) in real Chromium, against the same stack as
 * ./chat-page.test.ts: the whole conversation as a person has it, no request to another origin,
 * an accessibility pass with axe-core, and screenshots in web/test-results/.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { config } from "@/lib/config";
import { UNREACHABLE } from "@/lib/errors";

import { DEV_BACKEND_CALLS_TOOLS, TOKEN_DELAY_SECONDS, type Stack } from "./stack";

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

type Setup = { stack: Stack; browser: Browser; artifacts: string };

export function builtinViewTests(setup: () => Setup) {
  describe("the built-in chat view (CHAT_UI=builtin)", () => {
    let stack: Stack;
    let artifacts: string;
    let context: BrowserContext;
    let page: Page;
    const requested: string[] = [];
    const chatkitTypes: string[] = [];
    const sessions: number[] = [];
    const pageErrors: Error[] = [];
    let firstThread: { id: string; title: string };

    beforeAll(async () => {
      let browser: Browser;
      ({ stack, browser, artifacts } = setup());
      await stack.restartWeb({ CHAT_UI: "builtin" });
      context = await browser.newContext({ colorScheme: "light", viewport: { width: 1280, height: 800 } });
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.webUrl });
      await stack.signIn(context);
      page = await context.newPage();
      page.on("pageerror", (error) => pageErrors.push(error));
      page.on("request", (request) => {
        requested.push(request.url());
        const url = new URL(request.url());
        if (url.pathname === config.sessionUrl) sessions.push(Date.now());
        if (url.pathname === config.apiUrl) chatkitTypes.push((request.postDataJSON() as { type: string }).type);
      });
      await page.goto(stack.webUrl);
      await page.getByTestId("builtin-chat").waitFor();
    }, 60_000);

    afterAll(async () => {
      await context?.close();
      await stack?.restartWeb();
    });

    const composer = () => page.getByRole("textbox", { name: config.composerPlaceholder });
    const answers = () => page.getByTestId("answer");
    const answerEnded = () => page.getByRole("button", { name: "Send message" }).waitFor({ timeout: 20_000 });

    it("opens on the start screen from lib/config.ts", async () => {
      await page.getByRole("heading", { name: config.greeting }).waitFor();
      await page.getByRole("button", { name: config.prompts[0].label }).click();
      expect(await composer().inputValue()).toBe(config.prompts[0].prompt);
      await composer().fill("");
    });

    it("streams an answer into the page as markdown while the backend generates it", async () => {
      // Notes every change of the answer's length with the page's own clock.
      await page.evaluate(() => {
        const seen: { at: number; length: number }[] = [];
        (window as unknown as { growth: typeof seen }).growth = seen;
        new MutationObserver(() => {
          const answer = [...document.querySelectorAll("[data-testid=answer]")].at(-1);
          const length = answer?.textContent?.length ?? 0;
          if (length !== seen.at(-1)?.length) seen.push({ at: performance.now(), length });
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      });

      await composer().click();
      await page.keyboard.type("Hello **builtin** view");
      await page.keyboard.press("Shift+Enter");
      await page.keyboard.type("second line");
      expect(await composer().inputValue()).toBe("Hello **builtin** view\nsecond line");
      await page.keyboard.press("Enter");

      await page.waitForFunction(() => (document.querySelector("[data-testid=answer]")?.textContent?.length ?? 0) > 20);
      // The new conversation is in the history while its first answer is still arriving.
      await page.getByRole("navigation", { name: "Conversations" }).locator("[aria-current=page]").waitFor();
      expect(await page.getByRole("button", { name: "Stop the answer" }).isVisible()).toBe(true);
      await page.screenshot({ path: path.join(artifacts, "builtin-mid-stream.png") });
      await answerEnded();

      const growth = await page.evaluate(() => (window as unknown as { growth: { at: number; length: number }[] }).growth);
      const grew = growth.filter(({ length }) => length > 0);
      // Buffered anywhere, the answer would appear in one piece; paced by the dev backend it grows
      // a few words at a time over the whole reply.
      expect(grew.length).toBeGreaterThanOrEqual(10);
      expect(grew.at(-1)!.at - grew[0].at).toBeGreaterThan(10 * TOKEN_DELAY_SECONDS * 1000);

      const answer = answers().last();
      expect(await answer.locator("strong").textContent()).toBe("builtin");
      expect(await answer.textContent()).toContain("You said:");
      expect(await page.getByRole("article", { name: "You said" }).textContent()).toContain("view\nsecond line");
      // Focus stays in the composer for the next message.
      expect(await page.evaluate(() => document.activeElement?.tagName)).toBe("TEXTAREA");
      expect(new URL(page.url()).searchParams.get("thread")).toMatch(/\S/);
      expect(chatkitTypes).toContain("threads.create");
    });

    it("keeps the conversation in the address and the history, across reload, back and forward", async () => {
      const threadId = new URL(page.url()).searchParams.get("thread")!;
      const history = page.getByRole("navigation", { name: "Conversations" });
      const link = history.getByRole("button", { name: /^Hello/ });
      await link.waitFor();
      firstThread = { id: threadId, title: (await link.textContent())! };

      await page.reload();
      await answers().first().waitFor();
      expect(await answers().first().textContent()).toContain("You said:");

      await history.getByRole("button", { name: "New chat" }).click();
      await page.getByRole("heading", { name: config.greeting }).waitFor();
      expect(new URL(page.url()).searchParams.get("thread")).toBeNull();
      await page.goBack();
      await answers().first().waitFor();
      expect(new URL(page.url()).searchParams.get("thread")).toBe(threadId);
      await page.goForward();
      await page.getByRole("heading", { name: config.greeting }).waitFor();
      await page.goBack();
      await answers().first().waitFor();
    });

    it("stops an answer, and the proxy keeps what was said so far", async () => {
      const words = Array.from({ length: 60 }, (_, i) => `word${i}`).join(" ");
      const earlier = await answers().count();
      await composer().fill(`${words} zebra-end`);
      await composer().press("Enter");
      // Some of the new answer has arrived (the earlier answer above it is long already).
      await page.waitForFunction(
        (index) => ([...document.querySelectorAll("[data-testid=answer]")][index]?.textContent?.length ?? 0) > 30,
        earlier,
      );
      await page.getByRole("button", { name: "Stop the answer" }).click();
      await answerEnded();
      const stopped = (await answers().last().textContent())!;
      await page.waitForTimeout(500);
      expect(await answers().last().textContent()).toBe(stopped);
      expect(stopped).not.toContain("zebra-end");

      await page.reload();
      await expect.poll(() => answers().count(), { timeout: 15_000 }).toBe(2);
      const kept = (await answers().last().textContent())!;
      expect(kept).toMatch(/^You said:/);
      expect(kept).not.toContain("zebra-end");
    });

    it("answers the last message again on retry, replacing the old answer", async () => {
      const before = await answers().count();
      await page.getByRole("button", { name: "Retry this answer" }).click();
      await page.getByRole("button", { name: "Stop the answer" }).waitFor();
      await answerEnded();
      expect(await answers().count()).toBe(before);
      expect(await answers().last().textContent()).toContain("zebra-end");
      expect(chatkitTypes).toContain("threads.retry_after_item");

      await page.reload();
      await expect.poll(() => answers().count(), { timeout: 15_000 }).toBe(before);
      expect(await answers().last().textContent()).toContain("zebra-end");
    });

    it("sends feedback on an answer", async () => {
      const sent = page.waitForResponse((response) => response.request().postData()?.includes('"items.feedback"') ?? false);
      await answers().last().getByRole("button", { name: "Helpful", exact: true }).click();
      expect((await sent).status()).toBe(200);
      await expect
        .poll(() => answers().last().getByRole("button", { name: "Helpful", exact: true }).getAttribute("aria-pressed"))
        .toBe("true");
    });

    it("copies code, shows raw HTML as text and fetches no image an answer names", async () => {
      await composer().fill(
        "Run this:\n```\necho <b>hi</b>\n```\n<img src=/x onerror=alert(1)> ![logo](https://example.invalid/logo.png)",
      );
      await composer().press("Enter");
      await answerEnded();
      const answer = answers().last();
      expect(await answer.locator("img, b").count()).toBe(0);
      expect(await answer.textContent()).toContain("<img src=/x onerror=alert(1)>");
      expect(await answer.getByRole("link", { name: "logo" }).getAttribute("href")).toBe("https://example.invalid/logo.png");
      await answer.getByRole("button", { name: "Copy code" }).click();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe("echo <b>hi</b>\n");
    });

    it("shows a reasoning model's thought folded above its answer", async () => {
      await composer().fill("Please think it over");
      await composer().press("Enter");
      await answerEnded();
      const thought = page.locator("details", { has: page.locator("summary", { hasText: /^Thought for \d+ s$/ }) });
      expect(await thought.count()).toBe(1);
      expect(await thought.evaluate((details) => (details as HTMLDetailsElement).open)).toBe(false);
      expect(await thought.textContent()).toContain("this reasoning is canned");
      expect(await answers().last().textContent()).toContain("You said:");
      expect(await answers().last().textContent()).not.toContain("canned");
    });

    it.runIf(DEV_BACKEND_CALLS_TOOLS)("shows a tool call and its result above the answer", async () => {
      await composer().fill("What time is it in Europe/Paris?");
      await composer().press("Enter");
      await answerEnded();
      const round = page.locator("details", { has: page.locator("summary", { hasText: /^Called current_time$/ }) });
      expect(await round.count()).toBe(1);
      expect(await round.textContent()).toContain('current_time(time_zone="Europe/Paris")');
      expect(await round.textContent()).toContain("Europe/Paris, UTC");
      expect(await answers().last().textContent()).toMatch(/The tool says: \w+day \d+ /);
    });

    it("renames and deletes conversations", async () => {
      const history = page.getByRole("navigation", { name: "Conversations" });
      await history.getByRole("button", { name: `Rename “${firstThread.title}”` }).click();
      await history.getByRole("textbox", { name: "New title" }).fill("Renamed in the built-in view");
      await history.getByRole("textbox", { name: "New title" }).press("Enter");
      await history.getByRole("button", { name: "Renamed in the built-in view", exact: true }).waitFor();
      await page.reload();
      await history.getByRole("button", { name: "Renamed in the built-in view", exact: true }).waitFor();

      // A second conversation, then delete the one on screen.
      await history.getByRole("button", { name: "New chat" }).click();
      await composer().fill("A conversation to delete");
      await composer().press("Enter");
      await answerEnded();
      const created = history.getByRole("button", { name: /^A conversation to delete/ });
      await created.waitFor();
      page.once("dialog", (dialog) => void dialog.accept());
      await history.getByRole("button", { name: /^Delete “A conversation to delete/ }).click();
      await created.waitFor({ state: "detached" });
      await page.getByRole("heading", { name: config.greeting }).waitFor();
      expect(new URL(page.url()).searchParams.get("thread")).toBeNull();
      expect(await history.getByRole("listitem").count()).toBe(1);
    });

    it("shows another browser none of these conversations, not even by address", async () => {
      const other = await setup().browser.newContext();
      try {
        await stack.signIn(other);
        const stranger = await other.newPage();
        await stranger.goto(`${stack.webUrl}/?thread=${firstThread.id}`);
        const alert = stranger.getByTestId("chat-error");
        await alert.waitFor();
        expect(await alert.textContent()).toContain("This conversation does not exist.");
        await stranger.getByText("No conversations yet.").waitFor();
        expect(await stranger.getByText("Renamed in the built-in view").count()).toBe(0);
      } finally {
        await other.close();
      }
    });

    it("passes an axe-core accessibility check, on a desktop and on a phone in dark mode", async () => {
      await page.getByRole("button", { name: "Renamed in the built-in view", exact: true }).click();
      await answers().last().waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await page.screenshot({ path: path.join(artifacts, "builtin-desktop-light.png") });

      await page.setViewportSize({ width: 360, height: 740 });
      await page.emulateMedia({ colorScheme: "dark" });
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      const menu = page.getByRole("button", { name: "Conversations" });
      await menu.click();
      await page.getByRole("button", { name: "Renamed in the built-in view", exact: true }).waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await page.screenshot({ path: path.join(artifacts, "builtin-phone-dark.png") });
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Close");
      await page.keyboard.press("Escape");
      await expect.poll(() => menu.getAttribute("aria-expanded")).toBe("false");
      // Focus goes back to the button that opened the drawer.
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Conversations");
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.emulateMedia({ colorScheme: "light" });
    }, 60_000);

    it("says the proxy is unreachable with a retry, and recovers with a renewed session", async () => {
      await page.getByRole("button", { name: "New chat" }).click();
      await stack.stopProxy();
      await composer().fill("Are you there?");
      await composer().press("Enter");
      const alert = page.getByTestId("chat-error");
      await alert.waitFor();
      expect(await alert.getByRole("paragraph").textContent()).toBe(UNREACHABLE);
      await page.screenshot({ path: path.join(artifacts, "builtin-proxy-unreachable.png") });

      // Back with a new SESSION_SECRET: the token the page holds is refused and renewed (for
      // anonymous users that is a new identity, so this runs last, in a new conversation).
      const sessionsBefore = sessions.length;
      await stack.startProxy(`rotated-builtin-${"y".repeat(40)}`);
      await alert.getByRole("button", { name: "Retry" }).click();
      await alert.waitFor({ state: "detached" });
      await answers().filter({ hasText: "Are you there?" }).waitFor();
      await answerEnded();
      expect(sessions.length).toBe(sessionsBefore + 1);
    }, 60_000);

    it("makes no request to any other origin, and no page errors", () => {
      const foreign = requested.filter((url) => !url.startsWith(`${stack.webUrl}/`) && !/^(data|blob):/.test(url));
      expect(foreign).toEqual([]);
      expect(requested.length).toBeGreaterThan(10);
      expect(pageErrors).toEqual([]);
    });
  });
}

/** axe-core's serious and critical findings for the page as it is, as readable strings. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE });
  const { passes, violations } = await page.evaluate(async () => {
    type Rule = { id: string; impact: string; nodes: { target: string[] }[] };
    const axe = (window as unknown as { axe: { run(): Promise<{ passes: Rule[]; violations: Rule[] }> } }).axe;
    return axe.run();
  });
  // A check that found nothing to check would pass anything.
  expect(passes.length).toBeGreaterThan(10);
  return violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`);
}
