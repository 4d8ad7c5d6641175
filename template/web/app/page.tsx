import { connection } from "next/server";

import { ChatPanel } from "@/components/ChatPanel";
import { chatUi } from "@/lib/chatUi";

export default async function Home() {
  // Rendered per request, so CHAT_UI is read from the running server's environment.
  await connection();
  return (
    <main className="app">
      <ChatPanel ui={chatUi()} />
    </main>
  );
}
