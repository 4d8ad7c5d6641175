import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";

import { config } from "@/lib/config";

import "./globals.css";

export const metadata: Metadata = { title: config.title };
export const viewport: Viewport = { colorScheme: "light dark", width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
