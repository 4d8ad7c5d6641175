"use client";

import type { ModelOption } from "@openai/chatkit-react";
import { useEffect, useState } from "react";

import { config } from "@/lib/config";
import { parseModels } from "@/lib/models";

/** The model list, or null while it loads; empty when the proxy offers none or fails. */
export function useModels(): ModelOption[] | null {
  const [models, setModels] = useState<ModelOption[] | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    fetch(config.modelsUrl, { signal: controller.signal })
      .then((response) => (response.ok ? response.json() : null))
      .then((body: unknown) => setModels(parseModels(body)))
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        console.warn("Could not load the model list:", error);
        setModels([]);
      });
    return () => controller.abort();
  }, []);
  return models;
}
