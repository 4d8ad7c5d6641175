import { forwardToProxy } from "@/lib/proxy";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export function POST(request: Request): Promise<Response> {
  return forwardToProxy(request, "/chatkit");
}
