/**
 * vitest's setup file for every test process: registers tsx (its ESM and CommonJS hooks) and puts
 * `--import tsx` in `process.execArgv`, as `node --import tsx` would have.
 *
 * Why not start the test processes with `--import tsx`: tsx's hooks then see every module vitest
 * itself loads in each test process, which cost ~0.55 s of CPU per test file (5 small files: 10.4 s
 * of CPU with the flag, 7.7 s with this file, 5.9 s without tsx). Registered here, they see only what
 * the tests load: weft's built package, the fixtures, `effect`. What the tests rely on stays: a
 * `.ts` module imported natively (a registered task run in this thread) loads, worker threads are
 * told where tsx is (`--weft-tsx=`, from `process.execArgv`), child processes inherit the flag, and
 * `process.execArgv` shows it (test/executor/exec-argv.test.ts).
 *
 * The workers the tests start also preload weft's built entry point (`--import .../dist/runtime/index.js`,
 * before tsx), as a program started with `node --import weft --import tsx` would: the fixtures
 * import `weft`, and a worker that loaded it natively before registering tsx for the fixture does
 * not load it again through tsx's hooks. That is ~0.2 s of CPU less per worker (a 2-worker
 * `Client.local` running `inc`: 1.55 s of CPU -> 1.2 s at load 28), and the suite starts hundreds.
 * What runs through tsx is unchanged: the fixtures and the modules only they import.
 */
import { existsSync } from "node:fs"
import { register as registerEsm } from "tsx/esm/api"
import { register as registerCjs } from "tsx/cjs/api"

const registered = Symbol.for("weft.test.tsx-registered")
const state = globalThis as { [registered]?: true }

/** weft's built entry point, when it is built (`npm test` and `npm run test:quick` build first). */
const builtEntry = new URL("../../dist/runtime/index.js", import.meta.url)

// Once per process: a process that runs several files runs this file for each.
if (state[registered] === undefined) {
  state[registered] = true
  registerEsm()
  registerCjs()
  if (existsSync(builtEntry)) process.execArgv.push("--import", builtEntry.href)
  process.execArgv.push("--import", "tsx")
}
