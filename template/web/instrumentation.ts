/** Runs once as the server starts, before Next.js handles its first request. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { chatUi } = await import("./lib/chatUi");
    // A mistyped CHAT_UI stops the server here rather than on every page view.
    chatUi();
    const { recordPeerAddresses } = await import("./lib/peerAddress");
    recordPeerAddresses();
  }
}
