import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The browser tests share one Chromium and start servers: one file at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
