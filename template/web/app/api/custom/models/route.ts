import { forwardToProxy } from "@/lib/proxy";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export function GET(request: Request): Promise<Response> {
  return forwardToProxy(request, "/api/custom/models");
}
