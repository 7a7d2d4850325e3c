/**
 * The worker module when the executor runs from the TypeScript sources (its unit tests import
 * `executors/**.ts` under `--import tsx`), never in the built package: tsx registers no hooks in a
 * worker thread, so this registers them (ESM and CommonJS) before loading `entry.ts`. A child
 * process inherits `--import tsx` and has them already.
 *
 * tsx is then registered in this thread, so the worker's own registration before a `.ts` task
 * module (`worker/load.ts`, for threads started without tsx) is not wanted: its flags are dropped.
 */
import { isMainThread } from "node:worker_threads"

if (!isMainThread) {
  const [esm, cjs] = await Promise.all([import("tsx/esm/api"), import("tsx/cjs/api")])
  esm.register()
  cjs.register()
  process.argv = process.argv.filter((arg) => !arg.startsWith("--weft-tsx="))
}

const { default: run } = await import("./entry.ts")

export default run
