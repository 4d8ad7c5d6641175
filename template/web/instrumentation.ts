/** Runs once as the server starts, before Next.js handles its first request. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { recordPeerAddresses } = await import("./lib/peerAddress");
    recordPeerAddresses();
  }
}
