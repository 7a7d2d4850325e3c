/**
 * vitest's global setup: runs once per `vitest run` (so once per `npm test` and `.ci/run`), in
 * the main process, before any test file starts.
 *
 * 1. Makes sure the system programs the tests use are installed (programs.ts): found, or installed
 *    with apt-get when running as root on Debian/Ubuntu, or the run stops with an error naming
 *    the command to run. Installing here, once, keeps it out of every test's timeout.
 * 2. Gives the run a temp dir (WEFT_TEST_RUN_DIR) for the Redis servers the tests start; the
 *    teardown kills any server still running there (its test process died before `stop()`) and
 *    removes the dir.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { sweepNetworks } from "./netns.js"
import { chromium, ensurePrograms, isRunning, redisServer } from "./programs.js"

const log = (line: string) => process.stderr.write(`[weft test setup] ${line}\n`)

/** Kills the redis-servers whose pid files are under `runDir` and still run; returns their pids. */
export function killLeftovers(runDir: string): number[] {
  const killed: number[] = []
  for (const entry of readdirSync(runDir)) {
    let pid: number
    try {
      pid = Number(readFileSync(join(runDir, entry, "redis.pid"), "utf8").trim())
    } catch {
      continue // stopped cleanly (its dir is gone or has no pid file)
    }
    if (Number.isInteger(pid) && pid > 0 && isRunning(pid, "redis-server")) {
      process.kill(pid, "SIGKILL")
      killed.push(pid)
    }
  }
  return killed
}

export default function setup(): () => void {
  const [redisPath, chromiumPath] = ensurePrograms([redisServer, chromium], log)
  process.env.WEFT_REDIS_SERVER ??= redisPath
  process.env.WEFT_CHROMIUM ??= chromiumPath
  const runDir = mkdtempSync(join(tmpdir(), "weft-test-run-"))
  process.env.WEFT_TEST_RUN_DIR = runDir
  return () => {
    const killed = killLeftovers(runDir)
    if (killed.length > 0)
      log(
        `killed ${killed.length} redis-server process(es) left by a test process that did not stop them: ${killed.join(", ")}`
      )
    const namespaces = sweepNetworks(runDir)
    if (namespaces.length > 0)
      log(
        `deleted ${namespaces.length} network namespace(s) left by a test process that died: ${namespaces.join(", ")}`
      )
    rmSync(runDir, { recursive: true, force: true })
  }
}
