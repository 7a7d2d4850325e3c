/**
 * Scenario 10: the cluster on Redis (issue 14). For now only its baseline: hand-written BullMQ
 * (bench/cluster/bullmq-side.ts: one job per task, 2 worker processes at concurrency 16) running
 * a map of 20,000 trivial tasks and reading their results, on a real redis-server started on a
 * free loopback port (test/support/redis.ts; installed first when missing and running as root).
 * The weft side (`Client.connect` with two `weft worker --threads 1` processes, same Redis, same
 * run) comes with issue 14; its target is <= 25 µs/task, >= 5x this baseline.
 */
import { startBullmqSide } from "../cluster/bullmq-side.js"
import { compare, usPerTask } from "../measure.js"
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
      const side = await startBullmqSide(redis.url, processes)
      try {
        const parts: Array<Awaited<ReturnType<typeof side.run>>> = []
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
        log(`  raw BullMQ: ${perTask(us)}`)
        return {
          rows: [
            {
              scenario: "10. cluster: map 20,000 + gather, 2 worker processes",
              weft: "- (issue 14)",
              raw: `BullMQ ${perTask(us)}`,
              ratio: undefined,
              target: "<= 25 µs/task, >= 5x BullMQ",
              met: undefined,
              check: "baseline only; weft side comes with issue 14"
            }
          ],
          data: { tasks, processes, concurrency: 16, bullmq: result.bullmq, usPerTask: us, runs: parts }
        }
      } finally {
        await side.close()
      }
    } finally {
      await redis.stop()
    }
  }
}
