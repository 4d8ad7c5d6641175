import { fileURLToPath } from "node:url";

import { defineConfig } from "vitest/config";

// Browser tests: `npm run test:e2e` (`make test-browser`). They start the dev backend, the proxy
// and a production build of this app themselves, and drive Chromium (CHROMIUM, default
// /usr/bin/chromium).
export default defineConfig({
  resolve: {
    alias: { "@": fileURLToPath(new URL(".", import.meta.url)) },
  },
  test: {
    environment: "node",
    include: ["tests/e2e/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 300_000,
  },
});
