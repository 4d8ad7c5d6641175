"use client";

import type { ColorScheme } from "@openai/chatkit-react";
import { useSyncExternalStore } from "react";

import { config } from "@/lib/config";

const DARK_QUERY = "(prefers-color-scheme: dark)";

/** The colour scheme `config.colorScheme` asks for, following the system's when it changes. */
export function useColorScheme(): ColorScheme {
  const prefersDark = useSyncExternalStore(
    (onChange) => {
      const query = window.matchMedia(DARK_QUERY);
      query.addEventListener("change", onChange);
      return () => query.removeEventListener("change", onChange);
    },
    () => window.matchMedia(DARK_QUERY).matches,
    () => false,
  );
  if (config.colorScheme !== "system") return config.colorScheme;
  return prefersDark ? "dark" : "light";
}
