import { defineConfig } from "vitest/config"

// Tests run in forked processes with tsx loaded, so that worker threads started by weft
// inherit it (Node passes the parent's execArgv to workers) and can import registered-task
// modules written in TypeScript, exactly as a user running `tsx app.ts` would.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "dsl/**/*.test.ts", "runtime/**/*.test.ts", "testing/**/*.test.ts", "compiler/**/*.test.ts"],
    pool: "forks",
    poolOptions: { forks: { execArgv: ["--import", "tsx"] } },
    testTimeout: 20_000,
    hookTimeout: 20_000,
    typecheck: { enabled: true, include: ["test/**/*.test-d.ts"], tsconfig: "./tsconfig.json" }
  }
})
