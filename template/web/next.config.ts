import { existsSync } from "node:fs";
import path from "node:path";

import type { NextConfig } from "next";

// The project keeps one .env at its root for the proxy and the web app. Values already set
// (the real environment, then web/.env*) win, because loadEnvFile never overwrites.
const rootEnv = path.resolve(process.cwd(), "..", ".env");
if (existsSync(rootEnv)) process.loadEnvFile(rootEnv);

const nextConfig: NextConfig = {
  // Compression buffers text/event-stream, which would stall streamed answers.
  compress: false,
};

export default nextConfig;
