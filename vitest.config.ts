import { defineConfig } from "vitest/config"

// Tests run in forked processes started with `--import tsx`, as a user running `tsx app.ts` would.
// Worker threads inherit the flag, but tsx installs its hooks on the main thread only; weft's
// worker registers tsx itself before it imports a `.ts` task module (executors/worker/run-batch.ts).
// The global setup finds or installs redis-server and Chromium once per run, before any test
// starts, and sweeps up Redis servers a dead test process left (test/support/global-setup.ts).
export default defineConfig({
  test: {
    globalSetup: ["test/support/global-setup.ts"],
    include: [
      "test/**/*.test.ts",
      "core/**/*.test.ts",
      "dsl/**/*.test.ts",
      "scheduler/**/*.test.ts",
      "executors/**/*.test.ts",
      "runtime/**/*.test.ts",
      "testing/**/*.test.ts",
      "compiler/**/*.test.ts",
      "cli/**/*.test.ts"
    ],
    pool: "forks",
    poolOptions: { forks: { execArgv: ["--import", "tsx"] } },
    testTimeout: 20_000,
    hookTimeout: 20_000,
    typecheck: { enabled: true, include: ["test/**/*.test-d.ts"], tsconfig: "./tsconfig.json" }
  }
})
