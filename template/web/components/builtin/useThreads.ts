"use client";

import { useCallback, useEffect, useRef, useState } from "react";

import { ChatRequestError, type ChatKitClient } from "@/lib/chatkitClient";
import type { ThreadSummary } from "@/lib/chatkitEvents";
import { UNREACHABLE } from "@/lib/errors";
import { SessionError } from "@/lib/session";

/** This user's past conversations, newest first, kept in step with the proxy's store. */
export function useThreads(client: ChatKitClient, onSessionError: (error: SessionError) => void) {
  const [threads, setThreads] = useState<ThreadSummary[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const latest = useRef(0);

  const report = useCallback(
    (error: unknown) => {
      if (error instanceof SessionError) onSessionError(error);
      else setFailure(error instanceof ChatRequestError ? error.message : UNREACHABLE);
    },
    [onSessionError],
  );

  const refresh = useCallback(async () => {
    const request = ++latest.current;
    try {
      const listed = await client.listThreads();
      if (request !== latest.current) return;
      setThreads(listed);
      setFailure(null);
    } catch (error) {
      if (request === latest.current) report(error);
    }
  }, [client, report]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const rename = useCallback(
    async (threadId: string, title: string) => {
      setThreads((current) => current?.map((thread) => (thread.id === threadId ? { ...thread, title } : thread)) ?? null);
      try {
        await client.rename(threadId, title);
      } catch (error) {
        report(error);
      }
      await refresh();
    },
    [client, report, refresh],
  );

  const remove = useCallback(
    async (threadId: string): Promise<boolean> => {
      try {
        await client.delete(threadId);
        return true;
      } catch (error) {
        report(error);
        return false;
      } finally {
        await refresh();
      }
    },
    [client, report, refresh],
  );

  return { threads, failure, refresh, rename, remove };
}
