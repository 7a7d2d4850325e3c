/**
 * `weft worker URL [--threads N] [--isolation thread|process] [--memory-limit SIZE] [--name NAME]
 * [--queue Q] [--prefix P] [--root DIR]`: serves a cluster's queue on this machine (like
 * `dask worker tcp://...`) until SIGTERM or SIGINT, which finish the running batches first (a
 * second signal hands them back at once). Prints one status line, with no credentials.
 *
 * @module
 */
import { resolve } from "node:path"
import type { CliIo } from "../compiler/cli-io.js"
import { redact } from "../executors/cluster/connection.js"
import { startWorker, type WorkerHandle, type WorkerOptions } from "../executors/cluster/worker.js"

export const usage = `  weft worker URL [--threads N] [--isolation thread|process] [--memory-limit SIZE]
              [--name NAME] [--queue Q] [--prefix P] [--root DIR]
      Serve the cluster on the Redis at URL (redis://[user:pass@]host:6379, rediss:// for TLS):
      run its tasks on N threads (default 1) until SIGTERM or SIGINT, which finish the running
      batches first. --root maps the clients' project root to this machine's copy of the code.
`

const flags: Record<string, keyof WorkerOptions> = {
  "--threads": "threads",
  "--isolation": "isolation",
  "--memory-limit": "memoryLimit",
  "--name": "name",
  "--queue": "queue",
  "--prefix": "prefix",
  "--root": "root"
}

/** Parses the command line into `WorkerOptions`; throws a `TypeError` naming the bad word. */
export function parseWorkerArgs(argv: string[], cwd: string): WorkerOptions {
  let url: string | undefined
  const options: Record<string, unknown> = {}
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]
    const [flag, inline] = word.startsWith("--") && word.includes("=") ? word.split(/=(.*)/s) : [word, undefined]
    const field = flags[flag]
    if (field === undefined) {
      if (word.startsWith("-") || url !== undefined) throw new TypeError(`weft worker: unknown argument "${word}".`)
      url = word
      continue
    }
    const value = inline ?? argv[++i]
    if (value === undefined) throw new TypeError(`weft worker: ${flag} needs a value.`)
    if (field === "threads") {
      if (!/^\d+$/.test(value) || Number(value) < 1)
        throw new TypeError(`weft worker: --threads must be a whole number >= 1, got "${value}".`)
      options.threads = Number(value)
    } else if (field === "root") options.root = resolve(cwd, value)
    else options[field] = value
  }
  if (url === undefined) throw new TypeError("weft worker: give the Redis URL, e.g. weft worker redis://127.0.0.1:6379")
  return { url, ...options } as WorkerOptions
}

/** Runs the worker until a signal; resolves with the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout.write(usage)
    return 0
  }
  let worker: WorkerHandle
  try {
    worker = await startWorker(parseWorkerArgs(argv, io.cwd))
  } catch (error) {
    io.stderr.write(`${redact(error instanceof Error ? error.message : String(error))}\n`)
    return error instanceof TypeError ? 2 : 1
  }
  io.stdout.write(
    `weft worker ${worker.name}: ${worker.threads} ${worker.threads === 1 ? "thread" : "threads"} ` +
      `(${worker.isolation}), queue ${worker.queue}, Redis ${worker.redis}\n`
  )
  await new Promise<void>((done) => {
    let signals = 0
    const stop = (signal: NodeJS.Signals) => {
      signals++
      io.stderr.write(
        signals === 1
          ? `weft worker ${worker.name}: ${signal}, finishing the running batches (again to hand them back now)\n`
          : `weft worker ${worker.name}: ${signal}, handing the running batches back\n`
      )
      void worker.close({ force: signals > 1 }).then(done, done)
    }
    process.on("SIGTERM", stop)
    process.on("SIGINT", stop)
  })
  return 0
}
