/**
 * CHAT_UI, read by the server at request time so one build serves every choice:
 * - `auto` (default): ChatKit's element, or the built-in view when ChatKit's script (from
 *   cdn.platform.openai.com) does not load within a few seconds;
 * - `chatkit`: ChatKit's element only; without its script the page says what is missing;
 * - `builtin`: the app's own view only; the page makes no request to another origin.
 */
export const CHAT_UIS = ["auto", "chatkit", "builtin"] as const;
export type ChatUi = (typeof CHAT_UIS)[number];

export function chatUi(value = process.env.CHAT_UI): ChatUi {
  const chosen = (value ?? "").trim().toLowerCase() || "auto";
  if ((CHAT_UIS as readonly string[]).includes(chosen)) return chosen as ChatUi;
  throw new Error(`CHAT_UI must be one of ${CHAT_UIS.join(", ")}; got ${JSON.stringify(value)}`);
}
