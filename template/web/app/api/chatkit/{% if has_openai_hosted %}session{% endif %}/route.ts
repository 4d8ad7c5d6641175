import { refuseAnnouncedTooLarge } from "@/lib/bodyLimit";
import { admitHostedSession, refusalResponse } from "@/lib/hostedGate";
import { createChatKitSession, HostedSessionError } from "@/lib/openaiSessions";
import { maxRequestBytes } from "@/lib/serverConfig";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/**
 * A client secret for the hosted fallback, created with the server's OpenAI key: only for a user
 * the proxy knows (their fallback pass), within the hosted limits, while the proxy is down.
 */
export async function POST(request: Request): Promise<Response> {
  const refused = refuseAnnouncedTooLarge(request, maxRequestBytes());
  if (refused) return refused;
  const admitted = await admitHostedSession(request);
  if (typeof admitted !== "string") return refusalResponse(admitted);
  try {
    return Response.json(await createChatKitSession(admitted));
  } catch (error) {
    if (!(error instanceof HostedSessionError)) throw error;
    return Response.json({ error: { code: "hosted_unavailable", message: error.message } }, { status: error.status });
  }
}
