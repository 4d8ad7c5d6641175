import { ChatPanel } from "@/components/ChatPanel";

export default function Home() {
  return (
    <main className="app">
      <ChatPanel />
    </main>
  );
}
