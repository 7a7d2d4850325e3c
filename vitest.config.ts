import { availableParallelism } from "node:os"
import { configDefaults, defineConfig } from "vitest/config"
import { BaseSequencer, type TestSpecification } from "vitest/node"

// Tests run in forked processes with tsx registered and `--import tsx` in `process.execArgv`, as a
// user running `tsx app.ts` would (test/support/tsx-setup.ts, a setup file: registered there, tsx's
// hooks skip vitest's own modules). Worker threads inherit the flag, but tsx installs its hooks on
// the main thread only; weft's worker registers tsx itself before it imports a `.ts` task module
// (executors/worker/load.ts).
// The global setup finds or installs redis-server and Chromium once per run, before any test
// starts, and sweeps up Redis servers a dead test process left (test/support/global-setup.ts).

/**
 * The test files that need something outside this repository's own code: a `redis-server`
 * (test/cluster, the cluster connection), Chromium (the dashboard in a browser), network
 * namespaces (test/support/netns), or `npm pack` and `npm install` (the packed package). They are
 * the "system" project; every other test file is the "local" project, which `npm run test:quick`
 * runs alone. The rule is enforced: in the local project, starting redis-server or Chromium
 * throws an error that says to list the file here (test/support/programs.ts, `requireProgram`).
 */
export const systemTests = [
  "test/cluster/**/*.test.ts",
  "test/support/**/*.test.ts",
  "executors/cluster/connection.test.ts",
  "test/dashboard/browser.test.ts",
  "test/dashboard/reports.test.ts",
  "test/dashboard/actions.test.ts",
  "test/dashboard/cluster.test.ts",
  "test/cache/redis.test.ts",
  "test/tracing/cluster.test.ts",
  "test/compiler/package.test.ts",
  "test/compiler/run.test.ts"
]

/**
 * The pure unit tests: no client, worker, child process, server or `dist/` import, only the
 * sources' functions and data. They are the "unit" project, which runs in one worker thread
 * without isolation (vitest's `threads` pool, `isolate: false`): the files share one module graph
 * and skip a process start each, ~1.5 s of CPU per file in a fork of their own. A file belongs
 * here only if it leaves no state behind that another file could see (module state, globals,
 * timers) and does not care which thread it runs on. A file that imports `runtime/` does not: the
 * runtime registers its graph runner on `globalThis` (dsl/delayed.ts), and a later file's fresh copy
 * of `dsl/delayed.ts` then met the earlier copy's runner ("Cannot read private member #markJob").
 */
export const unitTests = [
  "core/**/*.test.ts",
  "dsl/**/*.test.ts",
  "scheduler/**/*.test.ts",
  "executors/worker/*.test.ts",
  "executors/in-process.test.ts",
  "executors/tinypool/pool-options.test.ts",
  "executors/cluster/value-codec.test.ts",
  "runtime/internal/cache-writes.test.ts",
  "test/cache/average.test.ts",
  "compiler/tasks/analyze.test.ts",
  "compiler/graphs/awaits.test.ts"
]

const allTests = [
  "test/**/*.test.ts",
  "core/**/*.test.ts",
  "dsl/**/*.test.ts",
  "scheduler/**/*.test.ts",
  "executors/**/*.test.ts",
  "runtime/**/*.test.ts",
  "testing/**/*.test.ts",
  "compiler/**/*.test.ts",
  "cli/**/*.test.ts"
]

/**
 * Test files run side by side, one forked process each. vitest's default (one fewer than the
 * cores) is a single process on a 2-core machine, yet most tests spend much of their time waiting
 * (for worker threads and processes to start, for Redis, for a lease to lapse), so more processes
 * than cores finish sooner. `WEFT_TEST_FORKS` overrides it (`WEFT_TEST_FORKS=1` runs one file at a time).
 */
const forks = Number(process.env.WEFT_TEST_FORKS ?? "") || availableParallelism() + 1

/**
 * Longest first (vitest's order: by the last run's durations when it has them, else by file
 * size), but alternating between the system and the local project: the system files mostly wait
 * on other processes while the local ones mostly compute, so a mix keeps the cores busy, and the
 * long waits (a link cut, a lease that must lapse) start early instead of ending the run.
 */
class MixedSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files)
    const system = sorted.filter((spec) => spec.project.name === "system")
    const local = sorted.filter((spec) => spec.project.name !== "system")
    const mixed: TestSpecification[] = []
    for (let i = 0; i < Math.max(system.length, local.length); i++) {
      if (i < system.length) mixed.push(system[i]!)
      if (i < local.length) mixed.push(local[i]!)
    }
    return mixed
  }
}

/** Registers tsx in each test process (see the comment at the top). */
const setupFiles = ["test/support/tsx-setup.ts"]

// What both projects share (the global setup stays at the root, so it runs once per run).
const shared = {
  pool: "forks",
  setupFiles,
  testTimeout: 20_000,
  hookTimeout: 20_000
} as const

export default defineConfig({
  test: {
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    poolOptions: {
      forks: { maxForks: forks, minForks: 1 },
      // Only the "unit" project runs in threads: one thread, the files one after another, sharing modules.
      threads: { maxThreads: 1, minThreads: 1, isolate: false }
    },
    sequence: { sequencer: MixedSequencer },
    projects: [
      {
        test: {
          ...shared,
          name: "local",
          include: allTests,
          exclude: [...configDefaults.exclude, ...systemTests, ...unitTests],
          env: { WEFT_TEST_PROJECT: "local" }
        }
      },
      {
        test: {
          name: "unit",
          include: unitTests,
          pool: "threads",
          testTimeout: 20_000,
          hookTimeout: 20_000,
          env: { WEFT_TEST_PROJECT: "local" }
        }
      },
      { test: { ...shared, name: "system", include: systemTests } },
      // The type tests (expectTypeOf in *.test-d.ts), checked by tsc: `npm run typecheck` also
      // checks these files, so the quick run leaves this project out.
      {
        test: {
          name: "types",
          include: [],
          typecheck: { enabled: true, only: true, include: ["test/**/*.test-d.ts"], tsconfig: "./tsconfig.json" }
        }
      }
    ]
  }
})
