import { describe, expect, it } from "vitest";

import { modelPicker, parseModels } from "../lib/models";

describe("parseModels", () => {
  it("reads the proxy's model list", () => {
    expect(
      parseModels({
        data: [
          { id: "small", label: "Small", description: "Fast", default: true },
          { id: "large", label: "Large" },
        ],
      }),
    ).toEqual([
      { id: "small", label: "Small", description: "Fast", default: true },
      { id: "large", label: "Large", default: false },
    ]);
  });

  it("falls back to the id as label and skips entries without an id", () => {
    expect(parseModels({ data: [{ id: "m1" }, { label: "no id" }, null, "x"] })).toEqual([
      { id: "m1", label: "m1", default: false },
    ]);
  });

  it.each([null, {}, { data: "x" }, "text"])("returns no models for %j", (body) => {
    expect(parseModels(body)).toEqual([]);
  });
});

describe("modelPicker", () => {
  const one = { id: "a", label: "A" };
  const two = { id: "b", label: "B" };

  it("shows the picker only when there is more than one model", () => {
    expect(modelPicker([])).toEqual({});
    expect(modelPicker([one])).toEqual({});
    expect(modelPicker([one, two])).toEqual({ models: [one, two] });
  });
});
