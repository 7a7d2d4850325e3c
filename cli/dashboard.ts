/**
 * `weft dashboard URL [--port N] [--host H] [--prefix P]`: serves the live dashboard of a whole
 * cluster on Redis (every client and worker that uses it) until SIGTERM or SIGINT, as Dask's
 * scheduler serves its dashboard. Clients publish only while a dashboard watches
 * (runtime/dashboard/cluster-feed.ts). Binds 127.0.0.1 unless `--host` says otherwise.
 *
 * @module
 */
import type { CliIo } from "../compiler/cli-io.js"
import { parseRedisUrl, redact } from "../executors/cluster/connection.js"
import { RedisSource } from "../runtime/dashboard/redis-source.js"
import { serveDashboard } from "../runtime/dashboard/server.js"

export const usage = `  weft dashboard URL [--port N] [--host H] [--prefix P]
      Serve the live dashboard of the cluster on the Redis at URL (every client and worker of
      it) on 127.0.0.1:8787, or the next free port, until SIGTERM or SIGINT. --host 0.0.0.0
      makes it reachable from other machines (a warning says so).
`

/** What the command line asks for. */
export interface DashboardArgs {
  readonly url: string
  readonly port: number
  readonly host: string | undefined
  readonly prefix: string
}

/** Parses the command line; throws a `TypeError` naming the bad word. */
export function parseDashboardArgs(argv: string[]): DashboardArgs {
  let url: string | undefined
  const options: { port?: number; host?: string; prefix?: string } = {}
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]
    const [flag, inline] = word.startsWith("--") && word.includes("=") ? word.split(/=(.*)/s) : [word, undefined]
    if (flag !== "--port" && flag !== "--host" && flag !== "--prefix") {
      if (word.startsWith("-") || url !== undefined) throw new TypeError(`weft dashboard: unknown argument "${word}".`)
      url = word
      continue
    }
    const value = inline ?? argv[++i]
    if (value === undefined || value === "") throw new TypeError(`weft dashboard: ${flag} needs a value.`)
    if (flag === "--port") {
      if (!/^\d+$/.test(value) || Number(value) > 65535)
        throw new TypeError(`weft dashboard: --port must be a whole number from 0 to 65535, got "${value}".`)
      options.port = Number(value)
    } else if (flag === "--prefix") {
      if (!/^[A-Za-z0-9_.-]+$/.test(value))
        throw new TypeError(`weft dashboard: --prefix must be letters, digits, _ . -, got "${value}".`)
      options.prefix = value
    } else options.host = value
  }
  if (url === undefined)
    throw new TypeError("weft dashboard: give the Redis URL, e.g. weft dashboard redis://127.0.0.1:6379")
  return { url, port: options.port ?? 8787, host: options.host, prefix: options.prefix ?? "weft" }
}

/** Serves until a signal; resolves with the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout.write(usage)
    return 0
  }
  let source: RedisSource
  let args: DashboardArgs
  try {
    args = parseDashboardArgs(argv)
    source = await RedisSource.open({ target: parseRedisUrl(args.url), prefix: args.prefix })
  } catch (error) {
    io.stderr.write(`${redact(error instanceof Error ? error.message : String(error))}\n`)
    return error instanceof TypeError ? 2 : 1
  }
  const server = await serveDashboard(source, {
    port: args.port,
    host: args.host,
    warn: (message) => io.stderr.write(`${message}\n`)
  }).catch(async (error: unknown) => {
    await source.close()
    io.stderr.write(`weft dashboard: ${error instanceof Error ? error.message : String(error)}\n`)
    return undefined
  })
  if (server === undefined) return 1
  io.stdout.write(`weft dashboard: ${server.link} (cluster on ${source.label}, prefix ${args.prefix})\n`)
  await new Promise<void>((done) => {
    const stop = () =>
      void Promise.all([server.close(), source.close()]).then(
        () => done(),
        () => done()
      )
    process.once("SIGTERM", stop)
    process.once("SIGINT", stop)
  })
  return 0
}
