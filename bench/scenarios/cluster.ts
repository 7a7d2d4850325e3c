/**
 * Scenario 10: the cluster on Redis (issue 14). For now only its baseline: hand-written BullMQ
 * (bench/cluster/bullmq-side.ts: one job per task, 2 worker processes at concurrency 16) running
 * a map of 20,000 trivial tasks and reading their results, on a real redis-server started on a
 * free loopback port (test/support/redis.ts; installed first when missing and running as root).
 * The weft side (`Client.connect` with two `weft worker --threads 1` processes, same Redis, same
 * run) comes with issue 14; its target is <= 25 µs/task, >= 5x this baseline.
 */
import { startBullmqSide } from "../cluster/bullmq-side.js"
import { compare, stats, usPerTask } from "../measure.js"
import type { Scenario } from "../scenario.js"
import { perTask } from "../table.js"
import { ensurePrograms, redisServer } from "../../test/support/programs.js"
import { startRedis } from "../../test/support/redis.js"

const tasks = 20_000
const processes = 2

export const clusterScenario: Scenario = {
  id: "cluster",
  title: "10. cluster on Redis: map 20,000 trivial tasks + gather (baseline: raw BullMQ)",
  async run({ reps, log }) {
    const [executable] = ensurePrograms([redisServer], log)
    const redis = await startRedis({ executable })
    try {
      const side = await startBullmqSide(redis.url, processes, { redisPid: redis.pid })
      try {
        const parts: Array<Awaited<ReturnType<typeof side.run>>> = [] // every run's phases, warm-up first
        const result = await compare(
          reps,
          {
            bullmq: async () => {
              const run = await side.run(tasks)
              parts.push(run)
              return run.ms
            }
          },
          { warmups: 1 }
        )
        const us = usPerTask(result.bullmq.median, tasks)
        const timed = parts.slice(1) // the first run is the warm-up
        const phase = (name: "enqueueMs" | "completeMs" | "gatherMs" | "cpuMs") =>
          stats(timed.map((run) => run[name])).median
        const phases = { enqueueMs: phase("enqueueMs"), completeMs: phase("completeMs"), gatherMs: phase("gatherMs") }
        // CPU of Redis, both workers and this client per task: on 2 idle cores the wall time is at least half of it.
        const cpuUs = usPerTask(phase("cpuMs"), tasks)
        log(
          `  raw BullMQ: ${perTask(us)}; medians: addBulk ${phases.enqueueMs.toFixed(0)} ms, then until all completed ${phases.completeMs.toFixed(0)} ms, reading the results ${phases.gatherMs.toFixed(0)} ms; CPU of all its processes ${cpuUs.toFixed(0)} µs/task`
        )
        return {
          rows: [
            {
              scenario: "10. cluster: map 20,000 + gather, 2 worker processes",
              weft: "- (issue 14)",
              raw: `BullMQ ${perTask(us)}`,
              ratio: undefined,
              target: "<= 25 µs/task, >= 5x BullMQ",
              met: undefined,
              check: `baseline only (CPU of all its processes ${cpuUs.toFixed(0)} µs/task); weft side comes with issue 14`
            }
          ],
          data: {
            tasks,
            processes,
            concurrency: 16,
            bullmq: result.bullmq,
            usPerTask: us,
            phases,
            cpuUsPerTask: cpuUs,
            runs: parts
          }
        }
      } finally {
        await side.close()
      }
    } finally {
      await redis.stop()
    }
  }
}
