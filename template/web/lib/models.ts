import type { ModelOption } from "@openai/chatkit-react";

/** Reads the proxy's `{"data": [...]}` model list, skipping entries that are not models. */
export function parseModels(body: unknown): ModelOption[] {
  const data = typeof body === "object" && body !== null && "data" in body ? body.data : null;
  if (!Array.isArray(data)) return [];
  return data.flatMap((entry: unknown): ModelOption[] => {
    if (typeof entry !== "object" || entry === null) return [];
    const { id, label, description, default: isDefault } = entry as Record<string, unknown>;
    if (typeof id !== "string" || id === "") return [];
    return [
      {
        id,
        label: typeof label === "string" && label !== "" ? label : id,
        ...(typeof description === "string" ? { description } : {}),
        default: isDefault === true,
      },
    ];
  });
}

/** The `composer` options for a model picker, shown only when there is a choice to make. */
export function modelPicker(models: ModelOption[]): { models?: ModelOption[] } {
  return models.length > 1 ? { models } : {};
}
