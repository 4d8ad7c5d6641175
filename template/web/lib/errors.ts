/** For a request that got no answer at all. */
export const UNREACHABLE = "The chat service is not reachable right now. Please try again in a moment.";

/** A sentence a person can act on, for a failed answer from the chat service. */
export async function describeFailure(response: Response): Promise<string> {
  // The proxy (and our route handlers) answer `{"error": {"code", "message"}}`, message readable.
  const body: unknown = await response
    .clone()
    .json()
    .catch(() => null);
  const message = errorMessage(body);
  if (message) return message;
  if (response.status === 429) return "Too many requests at once. Please wait a moment, then try again.";
  if (response.status >= 500) return "The chat service is having trouble right now. Please try again in a moment.";
  return "The chat service could not handle that request. Please try again.";
}

function errorMessage(body: unknown): string | null {
  if (typeof body !== "object" || body === null || !("error" in body)) return null;
  const { error } = body;
  if (typeof error !== "object" || error === null || !("message" in error)) return null;
  return typeof error.message === "string" && error.message.trim() !== "" ? error.message : null;
}
