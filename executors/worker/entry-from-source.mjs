/**
 * The worker module when the executor runs from the TypeScript sources (its unit tests import
 * `executors/**.ts` under `--import tsx`), never in the built package.
 *
 * When the built worker (`dist/executors/worker/entry.js`) is at least as new as every source it
 * is built from, the worker loads it: plain JavaScript, with no tsx in the thread until a `.ts`
 * task module needs it (`worker/load.ts` registers it then, from the `--weft-tsx=` flags). That
 * is how a worker of the built package starts, and it costs a third of the CPU: registering tsx
 * in a thread and loading the worker's sources through its hooks took 0.36 s more per worker.
 *
 * Else (a source edited since the last build), tsx registers no hooks in a worker thread by
 * itself, so this registers them (ESM and CommonJS) before loading `entry.ts`. A child process
 * inherits `--import tsx` and has them already. tsx is then registered in this thread, so the
 * worker's own registration before a `.ts` task module is not wanted: its flags are dropped.
 */
import { readdirSync, statSync } from "node:fs"
import { isMainThread } from "node:worker_threads"

/** The folders whose sources the worker's modules are built from (its imports reach no others). */
const sourceFolders = ["executors/worker", "executors/interrupt", "core", "dsl"]

/** Whether every source in `sourceFolders` has a built copy in `dist` at least as new as itself. */
function builtIsFresh(root) {
  try {
    for (const folder of sourceFolders) {
      for (const name of readdirSync(new URL(`${folder}/`, root))) {
        if (!/\.ts$/.test(name) || /\.test(-d)?\.ts$|\.case\.ts$/.test(name)) continue
        const source = statSync(new URL(`${folder}/${name}`, root)).mtimeMs
        const built = statSync(new URL(`dist/${folder}/${name.replace(/\.ts$/, ".js")}`, root), {
          throwIfNoEntry: false
        })
        if (built === undefined || built.mtimeMs < source) return false
      }
    }
    return true
  } catch {
    return false
  }
}

const root = new URL("../../", import.meta.url)
let entry
if (builtIsFresh(root)) {
  entry = await import(new URL("dist/executors/worker/entry.js", root).href)
} else {
  if (!isMainThread) {
    const [esm, cjs] = await Promise.all([import("tsx/esm/api"), import("tsx/cjs/api")])
    esm.register()
    cjs.register()
    process.argv = process.argv.filter((arg) => !arg.startsWith("--weft-tsx="))
  }
  entry = await import("./entry.ts")
}

export default entry.default
