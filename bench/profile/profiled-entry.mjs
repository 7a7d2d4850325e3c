// A tinypool worker module for chain-worker.mjs: profiles its thread with the inspector (started at
// load, written by the `stopProfile` handler) and runs either weft's worker entry (WEFT_ENTRY
// set: the built dist's executors/worker/entry.js) or the raw baseline `inc`.
import { Session } from "node:inspector/promises"
import { writeFileSync } from "node:fs"
import { threadId, workerData } from "node:worker_threads"

const profiling = process.env.PROFILE_WORKER === "1"
const session = new Session()
if (profiling) {
  session.connect()
  await session.post("Profiler.enable")
  await session.post("Profiler.setSamplingInterval", { interval: 50 })
  await session.post("Profiler.start")
}
const weft = process.env.WEFT_ENTRY ? (await import(process.env.WEFT_ENTRY)).default : undefined
void workerData

/** Runs one task: a weft batch, or the raw `x + 1`. */
export default function run(task) {
  return weft === undefined ? task + 1 : weft(task)
}

/** Writes this thread's profile to `dir` and returns its path. */
export async function stopProfile(dir) {
  if (!profiling) return undefined
  const { profile } = await session.post("Profiler.stop")
  const file = `${dir}/worker-${threadId}.cpuprofile`
  writeFileSync(file, JSON.stringify(profile))
  return file
}
