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
 */
import { register as registerEsm } from "tsx/esm/api"
import { register as registerCjs } from "tsx/cjs/api"

const registered = Symbol.for("weft.test.tsx-registered")
const state = globalThis as { [registered]?: true }

// Once per process: a process that runs several files runs this file for each.
if (state[registered] === undefined) {
  state[registered] = true
  registerEsm()
  registerCjs()
  process.execArgv.push("--import", "tsx")
}
