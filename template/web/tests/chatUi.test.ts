import { describe, expect, it } from "vitest";

import { chatUi } from "../lib/chatUi";

describe("CHAT_UI", () => {
  it("defaults to auto and reads the three modes", () => {
    expect(chatUi(undefined)).toBe("auto");
    expect(chatUi("")).toBe("auto");
    expect(chatUi(" Builtin ")).toBe("builtin");
    expect(chatUi("chatkit")).toBe("chatkit");
  });

  it("refuses anything else with a message naming the setting", () => {
    expect(() => chatUi("built-in")).toThrow('CHAT_UI must be one of auto, chatkit, builtin; got "built-in"');
  });
});
