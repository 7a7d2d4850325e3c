/**
 * Scenario 10: the cluster on Redis (issue 14). For now only its baseline: hand-written BullMQ
 * (bench/cluster/bullmq-side.ts: one job per task, 2 worker processes at concurrency 16) running
 * a map of 20,000 trivial tasks and reading their results, on a real redis-server started on a
 * free loopback port (test/support/redis.ts; installed first when missing and running as root).
 * The weft side (`Client.connect` with two `weft worker --threads 1` processes, same Redis, same
 * run) comes with issue 14; its target is <= 25 µs/task, >= 5x this baseline.
 */
import { Client } from "weft"
import { startBullmqSide } from "../cluster/bullmq-side.js"
import * as weft from "../cluster/weft-side.js"
import { compare, stats, usPerTask } from "../measure.js"
import type { Scenario } from "../scenario.js"
import { perTask } from "../table.js"
import { ensurePrograms, redisServer } from "../../test/support/programs.js"
import { startRedis } from "../../test/support/redis.js"

const tasks = 20_000
const processes = 2

/** `n` runs of `run`, one after another. */
async function sequence(n: number, run: () => Promise<number>): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push(await run())
  return out
}

export const clusterScenario: Scenario = {
  id: "cluster",
  title:
    "10. cluster on Redis: map 20,000 + gather against raw BullMQ, tree, CPU speed-up, SIGKILL rerun, bytes before gather",
  async run({ reps, log }) {
    const [executable] = ensurePrograms([redisServer], log)
    const redis = await startRedis({ executable })
    try {
      const side = await startBullmqSide(redis.url, processes, { redisPid: redis.pid })
      const workers = [
        await weft.startWeftWorker(redis.url, "bench-w1"),
        await weft.startWeftWorker(redis.url, "bench-w2")
      ]
      const client = await Client.connect(redis.url)
      try {
        const parts: Array<Awaited<ReturnType<typeof side.run>>> = [] // every run's phases, warm-up first
        const result = await compare(
          reps,
          {
            bullmq: async () => {
              const run = await side.run(tasks)
              parts.push(run)
              return run.ms
            },
            weft: () => weft.mapGather(client, tasks)
          },
          { warmups: 1 }
        )
        const us = usPerTask(result.bullmq.median, tasks)
        const weftUs = usPerTask(result.weft.median, tasks)
        const ratio = result.bullmq.median / result.weft.median
        const timed = parts.slice(1) // the first run is the warm-up
        const phase = (name: "enqueueMs" | "completeMs" | "gatherMs" | "cpuMs") =>
          stats(timed.map((run) => run[name])).median
        const phases = { enqueueMs: phase("enqueueMs"), completeMs: phase("completeMs"), gatherMs: phase("gatherMs") }
        // CPU of Redis, both workers and this client per task: on 2 idle cores the wall time is at least half of it.
        const cpuUs = usPerTask(phase("cpuMs"), tasks)
        log(
          `  raw BullMQ: ${perTask(us)}; medians: addBulk ${phases.enqueueMs.toFixed(0)} ms, then until all completed ${phases.completeMs.toFixed(0)} ms, reading the results ${phases.gatherMs.toFixed(0)} ms; CPU of all its processes ${cpuUs.toFixed(0)} µs/task`
        )
        log(`  weft on the cluster: ${perTask(weftUs)}, ${ratio.toFixed(2)}x BullMQ`)
        await weft.tree(client) // warm-up
        const treeMs = stats(await sequence(Math.max(1, Math.min(reps, 3)), () => weft.tree(client))).median
        const treeUs = usPerTask(treeMs, 16_383)
        log(`  tree of 16,383 tasks: ${perTask(treeUs)}`)
        await weft.cpu(client) // warm-up
        const cpuMs = stats(await sequence(Math.max(1, Math.min(reps, 3)), () => weft.cpu(client))).median
        const serialMs = stats(await sequence(3, async () => weft.cpuSerial())).median
        const speedUp = serialMs / cpuMs
        log(
          `  200 x 10 ms: ${cpuMs.toFixed(0)} ms against ${serialMs.toFixed(0)} ms serial: speed-up ${speedUp.toFixed(2)}`
        )
        const bytes = await weft.chainBytes(redis.url, redis.port)
        log(`  ten-task 10 MB chain: ${bytes.before} bytes read by the client before gather, ${bytes.gather} during it`)
        const kill = await weft.killRerun(client, workers[1]!)
        log(
          `  worker SIGKILLed mid-map: all its tasks done ${(kill.afterKillMs / 1000).toFixed(1)} s after the kill (the survivor alone needs ${(kill.floorMs / 1000).toFixed(1)} s for what was left)`
        )
        return {
          rows: [
            {
              scenario: "10. cluster: map 20,000 + gather, 2 worker processes",
              weft: perTask(weftUs),
              raw: `BullMQ ${perTask(us)}`,
              ratio,
              target: "<= 25 µs/task, >= 5x BullMQ",
              met: weftUs <= 25 && ratio >= 5,
              check: `${weftUs.toFixed(1)} µs/task, ${ratio.toFixed(2)}x (BullMQ CPU of all its processes ${cpuUs.toFixed(0)} µs/task)`
            },
            {
              scenario: "10. cluster: tree of 16,383 tasks (delayed)",
              weft: perTask(treeUs),
              raw: "-",
              ratio: undefined,
              target: "<= 50 µs/task",
              met: treeUs <= 50
            },
            {
              scenario: "10. cluster: 200 x 10 ms CPU, 2 worker processes",
              weft: `${cpuMs.toFixed(0)} ms`,
              raw: `serial ${serialMs.toFixed(0)} ms`,
              ratio: speedUp,
              target: "speed-up >= 1.8",
              met: speedUp >= 1.8
            },
            {
              scenario: "10. cluster: worker SIGKILLed mid-map, until its tasks reran",
              weft: `${(kill.afterKillMs / 1000).toFixed(1)} s`,
              raw: "-",
              ratio: undefined,
              target: "< 10 s",
              met: kill.afterKillMs < 10_000,
              check: `survivor alone needs ${(kill.floorMs / 1000).toFixed(1)} s for the rest`
            },
            {
              scenario: "10. cluster: bytes to the client before gather, 10 x 10 MB chain",
              weft: `${bytes.before} B`,
              raw: "-",
              ratio: undefined,
              target: "~0 (values stay in Redis)",
              met: bytes.before < 1024 * 1024,
              check: `${(bytes.gather / 1048576).toFixed(1)} MB during the gather of the last value`
            }
          ],
          data: {
            tasks,
            processes,
            concurrency: 16,
            bullmq: result.bullmq,
            weft: result.weft,
            usPerTask: us,
            weftUsPerTask: weftUs,
            ratio,
            phases,
            cpuUsPerTask: cpuUs,
            runs: parts,
            treeMs,
            cpuMs,
            serialMs,
            speedUp,
            bytes,
            kill
          }
        }
      } finally {
        await client.close()
        await Promise.all(workers.map(weft.stopWeftWorker))
        await side.close()
      }
    } finally {
      await redis.stop()
    }
  }
}
