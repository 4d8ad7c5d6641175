import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";

import { ChatKitScript } from "@/components/ChatKitScript";
import { config } from "@/lib/config";

import "./globals.css";

export const metadata: Metadata = { title: config.title };
export const viewport: Viewport = { colorScheme: "light dark" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        {children}
        <ChatKitScript />
      </body>
    </html>
  );
}
