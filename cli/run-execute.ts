/**
 * The running half of `weft run` (loaded once the build is done, so that a build error never
 * loads the runtime): starts the client the flags ask for, computes the graph with the given
 * arguments, and prints the result as JSON, or the task's error and traceback.
 *
 * @module
 */
import { writeFileSync } from "node:fs"
import * as path from "node:path"
import type { CliIo } from "../compiler/cli-io.js"
import { Client } from "../runtime/Client.js"
import { isDelayed, walk, type Delayed } from "../dsl/delayed.js"
import { progress } from "../runtime/progress.js"
import { expandFanOuts } from "../runtime/internal/fan-out.js"
import { sourceMappedStack } from "./run-load.js"

/** What the command line asks for. */
export interface RunRequest {
  readonly file: string
  readonly name: string
  readonly args: unknown[]
  readonly project: string | undefined
  readonly workers: number | undefined
  readonly cluster: string | undefined
  readonly progress: boolean
  readonly out: string | undefined
}

/** Runs the graph module `graph` as `request` says; resolves with the exit code. */
export async function execute(graph: unknown, request: RunRequest, io: CliIo): Promise<number> {
  if (typeof graph !== "function" || !("ir" in graph)) {
    io.stderr.write(
      `weft run: the emitted module has no compiled graph ${request.name}; run weft build and try again\n`
    )
    return 1
  }
  const client =
    request.cluster !== undefined
      ? await Client.connect(request.cluster)
      : await Client.local(request.workers === undefined ? {} : { workers: request.workers })
  let value: unknown
  try {
    const root = (graph as unknown as (...args: unknown[]) => Delayed<unknown>)(...request.args)
    value = await computeOn(client, root, request.progress ? io : undefined)
  } catch (error) {
    io.stderr.write(
      `weft run: ${request.file}#${request.name} failed:\n${sourceMappedStack(describeError(error), io.cwd)}\n`
    )
    return 1
  } finally {
    await client.close()
  }
  let json: string
  try {
    json = JSON.stringify(value === undefined ? null : value)
  } catch (error) {
    io.stderr.write(
      `weft run: the result of ${request.name} is not JSON (${error instanceof Error ? error.message : String(error)}); return plain data from the graph\n`
    )
    return 1
  }
  if (request.out === undefined) io.stdout.write(`${json}\n`)
  else {
    const out = path.resolve(io.cwd, request.out)
    writeFileSync(out, `${json}\n`)
    io.stdout.write(`wrote ${path.relative(io.cwd, out) || out}\n`)
  }
  return 0
}

/**
 * The graph's value on `client`; with `io`, progress bars (one per task name) on its stderr. Run-time
 * fan-outs are expanded first (each `.map` over a task's result, once that result is known).
 */
async function computeOn(client: Client, root: Delayed<unknown>, io: CliIo | undefined): Promise<unknown> {
  // With progress, the expansion only computes the fan-outs' lists, so that the whole graph is there to count.
  if (!isDelayed(root)) return root
  const expanded = await expandFanOuts(client, [root], io === undefined)
  const [ready] = expanded.value
  try {
    if (io === undefined) return await client.compute(ready).result()
    // A Future for every task of the graph, so that progress counts them all, not only the output.
    const futures = client.compute(walk([ready]))
    await progress(futures, { stream: io.stderr as NodeJS.WritableStream })
    return await futures[futures.length - 1].result()
  } finally {
    expanded.release()
  }
}

/** A failure as the user reads it: the error's stack (with the task's traceback), then its cause. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const lines = [error.stack ?? `${error.name}: ${error.message}`]
  if (error.cause !== undefined) lines.push(`Caused by: ${describeError(error.cause)}`)
  return lines.join("\n")
}
