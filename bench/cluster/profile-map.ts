/**
 * Where the cluster's time goes, per task (docs/cluster.md "Where the time goes"): after `npm run
 * build`, `npx tsx bench/cluster/profile-map.ts [map|tree|cpu] [runs]` runs the scenario on a
 * redis-server of its own with two `weft worker --threads 1` processes and prints, per task: the
 * wall time, the CPU time of the client, of each worker process and of redis-server (from
 * /proc), and Redis's commands (INFO commandstats: calls and µs inside Redis). With `map` it runs
 * raw BullMQ (bench/cluster/bullmq-side.ts) in the same run, for the ratio.
 *
 * CPU profiles: `WEFT_PROFILE_DIR=/tmp/prof npx tsx ...` starts the workers with `--cpu-prof` into
 * that dir; run this script itself under `node --cpu-prof --import tsx` for the client's.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Redis } from "ioredis"
import { Client } from "weft"
import { ensurePrograms, redisServer } from "../../test/support/programs.js"
import { startRedis } from "../../test/support/redis.js"
import { startBullmqSide } from "./bullmq-side.js"
import { cpu, mapGather, stopWeftWorker, tree } from "./weft-side.js"

const [what = "map", runsText = "3"] = process.argv.slice(2)
const runs = Number(runsText)
const weftBin = fileURLToPath(new URL("../../dist/cli/weft.js", import.meta.url))
const profileDir = process.env.WEFT_PROFILE_DIR

function startWorker(url: string, name: string): Promise<ChildProcess> {
  const flags = profileDir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", profileDir]
  const child = spawn(process.execPath, [...flags, weftBin, "worker", url, "--threads", "1", "--name", name], {
    stdio: ["ignore", "pipe", "inherit"]
  })
  return new Promise((resolve, reject) => {
    child.stdout!.once("data", () => resolve(child))
    child.once("exit", (code) => reject(new Error(`weft worker ${name} exited (${code})`)))
  })
}

/** CPU ms of a process and its threads so far (utime + stime), from /proc. */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return 0
  }
}

/** INFO commandstats as { command: [calls, usec] }. */
async function commandStats(redis: Redis): Promise<Map<string, [number, number]>> {
  const out = new Map<string, [number, number]>()
  for (const line of (await redis.info("commandstats")).split("\n")) {
    const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line)
    if (m !== null) out.set(m[1]!, [Number(m[2]), Number(m[3])])
  }
  return out
}

const [executable] = ensurePrograms([redisServer])
const redis = await startRedis({ executable })
const admin = new Redis(redis.url)
const workers = [await startWorker(redis.url, "prof-w1"), await startWorker(redis.url, "prof-w2")]
const client = await Client.connect(redis.url, process.env.CONC ? { concurrency: Number(process.env.CONC) } : {})
const side =
  what === "map" && process.env.NO_BULLMQ === undefined
    ? await startBullmqSide(redis.url, 2, { redisPid: redis.pid })
    : undefined
const tasks = what === "map" ? 20_000 : what === "tree" ? 16_383 : 200
const run = () => (what === "map" ? mapGather(client, tasks) : what === "tree" ? tree(client) : cpu(client))
try {
  await run() // warm-up
  if (side !== undefined) await side.run(tasks)
  for (let i = 0; i < runs; i++) {
    await admin.config("RESETSTAT")
    const pids = [process.pid, ...workers.map((w) => w.pid!), redis.pid]
    const before = pids.map(cpuMs)
    const ms = await run()
    const after = pids.map(cpuMs)
    const stats = await commandStats(admin)
    const per = (x: number) => ((x * 1000) / tasks).toFixed(1)
    const [c, w1, w2, r] = after.map((a, k) => a - before[k]!)
    const total = c! + w1! + w2! + r!
    console.log(
      `${what}: ${per(ms)} µs/task wall; CPU µs/task: client ${per(c!)}, workers ${per(w1!)} + ${per(w2!)}, redis ${per(r!)}, total ${per(total)}`
    )
    const rows = [...stats].sort((a, b) => b[1][1] - a[1][1])
    console.log(
      "  redis: " +
        rows
          .slice(0, 10)
          .map(([name, [calls, usec]]) => `${name} ${calls} calls ${(usec / tasks).toFixed(2)} µs/task`)
          .join("; ")
    )
    if (side !== undefined) {
      const b = await side.run(tasks)
      console.log(
        `  raw BullMQ: ${per(b.ms)} µs/task wall, CPU ${per(b.cpuMs)} µs/task: weft is ${(b.ms / ms).toFixed(2)}x faster`
      )
    }
  }
} finally {
  await client.close()
  await side?.close()
  for (const worker of workers) await stopWeftWorker(worker)
  admin.disconnect()
  await redis.stop()
}
process.exit(0)
