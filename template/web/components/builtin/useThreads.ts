"use client";

import { useCallback, useEffect, useRef, useState } from "react";

import type { ChatKitClient } from "@/lib/chatkitClient";
import type { ThreadSummary } from "@/lib/chatkitEvents";

/** This user's past conversations, newest first, kept in step with the proxy's store. */
export function useThreads(client: ChatKitClient, onError: (error: unknown) => void) {
  const [threads, setThreads] = useState<ThreadSummary[] | null>(null);
  const latest = useRef(0);

  const refresh = useCallback(async () => {
    const request = ++latest.current;
    try {
      const listed = await client.listThreads();
      if (request === latest.current) setThreads(listed);
    } catch (error) {
      if (request === latest.current) onError(error);
    }
  }, [client, onError]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const rename = useCallback(
    async (threadId: string, title: string) => {
      setThreads((current) => current?.map((thread) => (thread.id === threadId ? { ...thread, title } : thread)) ?? null);
      try {
        await client.rename(threadId, title);
      } catch (error) {
        onError(error);
      }
      await refresh();
    },
    [client, onError, refresh],
  );

  const remove = useCallback(
    async (threadId: string): Promise<boolean> => {
      try {
        await client.delete(threadId);
        return true;
      } catch (error) {
        onError(error);
        return false;
      } finally {
        await refresh();
      }
    },
    [client, onError, refresh],
  );

  return { threads, refresh, rename, remove };
}
