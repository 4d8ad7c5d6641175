import { maxRequestBytes, refuseAnnouncedTooLarge } from "@/lib/bodyLimit";
import { createChatKitSession, HostedSessionError, hostedUser, userCookie } from "@/lib/openaiSessions";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** A client secret for the hosted fallback, created with the server's OpenAI key. */
export async function POST(request: Request): Promise<Response> {
  const refused = refuseAnnouncedTooLarge(request, maxRequestBytes());
  if (refused) return refused;
  const { user, isNew } = hostedUser(request);
  try {
    const response = Response.json(await createChatKitSession(user));
    if (isNew) response.headers.append("set-cookie", userCookie(user));
    return response;
  } catch (error) {
    if (!(error instanceof HostedSessionError)) throw error;
    return Response.json({ error: { code: "hosted_unavailable", message: error.message } }, { status: error.status });
  }
}
