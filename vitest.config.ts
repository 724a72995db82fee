import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts", "edge/**/*.test.ts", "host-daemon/**/*.test.ts", "shared/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Integration and end-to-end files share libvirtd, bridges and ports: run files one at a time.
    fileParallelism: false,
  },
});
