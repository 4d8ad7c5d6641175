import { config } from "@/lib/config";
import { forwardToProxy } from "@/lib/proxy";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export function GET(request: Request): Promise<Response> {
  // The proxy serves the model list at this route's own path.
  return forwardToProxy(request, config.modelsUrl);
}
