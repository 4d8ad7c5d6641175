/** The one sentence for "no answer from the chat service", wherever this app says it. */
export const UNREACHABLE = "The chat service is not reachable right now. Please try again in a moment.";

/** The readable parts of an `{"error": {"code", "message"}}` answer; a blank string counts as missing. */
export type ErrorBody = { code: string | null; message: string | null };

/** A sentence a person can act on, for a failed answer from the chat service. */
export async function describeFailure(response: Response): Promise<string> {
  // The proxy (and our route handlers) answer `{"error": {"code", "message"}}`, message readable.
  const body: unknown = await response
    .clone()
    .json()
    .catch(() => null);
  const { message } = parseErrorBody(body);
  if (message) return message;
  if (response.status === 429) return "Too many requests at once. Please wait a moment, then try again.";
  if (response.status >= 500) return "The chat service is having trouble right now. Please try again in a moment.";
  return "The chat service could not handle that request. Please try again.";
}

/** The code and message of an error answer's parsed JSON body, each null when absent. */
export function parseErrorBody(body: unknown): ErrorBody {
  if (typeof body !== "object" || body === null || !("error" in body)) return { code: null, message: null };
  const { error } = body;
  if (typeof error !== "object" || error === null) return { code: null, message: null };
  return { code: text(error, "code"), message: text(error, "message") };
}

function text(error: object, field: "code" | "message"): string | null {
  const value = (error as Record<string, unknown>)[field];
  return typeof value === "string" && value.trim() !== "" ? value : null;
}
