/**
 * The dashboard's HTTP server (`node:http`, no framework): the pages, their JSON, `/health`,
 * `/metrics`, and one Server-Sent Events stream (`/events`) that sends the status snapshot and the
 * new task events a few times a second. One timer reads the source at a fixed rate, whatever the
 * number of pages open, so the dashboard's cost on the client is bounded (Dask's dashboard could
 * starve its scheduler: dask/distributed#4055, #6103).
 *
 * Security: it binds 127.0.0.1 unless a host is given (then it warns), and answers only requests
 * whose `Host` names the address it serves (no DNS rebinding onto a loopback server). Its only
 * writes are the actions of a source that has them (actions.ts: POST with a per-session token);
 * pages carry no secrets.
 *
 * @internal
 */
import { randomBytes } from "node:crypto"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { handleAction } from "./actions.js"
import { prometheusText } from "./metrics.js"
import { pageScript } from "./pages/script.js"
import { errorsPage, graphPage, statusPage } from "./pages/html.js"
import type { DashboardSource, StatusSnapshot } from "./types.js"

/** Where and how to serve. */
export interface ServeOptions {
  /** First port to try; the next free one is used when it is taken. Default 8787; 0 lets the system pick. */
  readonly port?: number
  /** Default `"127.0.0.1"`. Anything else is reachable from other machines: a warning says so. */
  readonly host?: string
  /** How often the live pages get a new snapshot (ms); default 250. */
  readonly intervalMs?: number
  /** Where the warning about a non-loopback host goes; default `console.warn`. */
  readonly warn?: (message: string) => void
}

/** A running dashboard server. */
export interface DashboardServer {
  /** `http://127.0.0.1:8787/status`. */
  readonly link: string
  readonly port: number
  readonly host: string
  close(): Promise<void>
}

/** Ports tried after the first one when it is taken. */
const portAttempts = 50
/** Task events sent per tick to one page at most (the rest come with the next ticks). */
const eventsPerTick = 5_000

const loopbacks = new Set(["127.0.0.1", "localhost", "::1", "[::1]"])

/** Starts serving `source`. Rejects when no port from `port` to `port + 50` is free. */
export async function serveDashboard(source: DashboardSource, options: ServeOptions = {}): Promise<DashboardServer> {
  const host = options.host ?? "127.0.0.1"
  if (!loopbacks.has(host))
    (options.warn ?? console.warn)(
      `weft dashboard: serving on ${host}, reachable from other machines; anyone who can reach it sees task names, keys and errors. Omit "host" to serve on 127.0.0.1 only.`
    )
  const live = new LiveFeed(source, options.intervalMs ?? 250)
  // Per server (session): the errors page carries it, and an action without it is refused.
  const token = source.act === undefined ? undefined : randomBytes(24).toString("base64url")
  const server = createServer((request, response) => {
    handle(source, live, request, response, host, token).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, "text/plain", `dashboard error: ${String(error)}`)
      else response.end()
    })
  })
  const port = await listen(server, options.port ?? 8787, host)
  const shown = host.includes(":") ? `[${host}]` : host
  return {
    link: `http://${shown}:${port}/status`,
    port,
    host,
    close: () => {
      live.stop()
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** Listens on `port`, or the next free one. */
async function listen(server: Server, port: number, host: string): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject)
        server.listen(port + attempt, host, () => {
          server.off("error", reject)
          resolve()
        })
      })
      const address = server.address()
      return typeof address === "object" && address !== null ? address.port : port + attempt
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== "EADDRINUSE" || port === 0 || attempt >= portAttempts)
        throw new Error(
          `weft dashboard: cannot listen on ${host}:${port + attempt} (${code ?? String(error)}). Pass another port: { dashboard: 8790 }.`,
          { cause: error }
        )
    }
  }
}

async function handle(
  source: DashboardSource,
  live: LiveFeed,
  request: IncomingMessage,
  response: ServerResponse,
  host: string,
  token: string | undefined
): Promise<void> {
  if (loopbacks.has(host) && !loopbacks.has(hostName(request.headers.host ?? ""))) {
    send(response, 403, "text/plain", "weft dashboard: this server answers requests for 127.0.0.1 or localhost only.")
    return
  }
  const url = new URL(request.url ?? "/", "http://dashboard")
  if (request.method === "POST" && token !== undefined && url.pathname.startsWith("/api/"))
    return handleAction(source, request, response, url.pathname.slice(5), token)
  if (request.method !== "GET" && request.method !== "HEAD") {
    send(
      response,
      405,
      "text/plain",
      "weft dashboard: use GET (actions: POST /api/retry or /api/cancel with the errors page's token)."
    )
    return
  }
  const label = source.label
  switch (url.pathname) {
    case "/":
      response.writeHead(302, { location: "/status" }).end()
      return
    case "/status":
      return send(response, 200, "text/html; charset=utf-8", statusPage(label))
    case "/graph":
      return send(response, 200, "text/html; charset=utf-8", graphPage(label))
    case "/errors":
      return send(response, 200, "text/html; charset=utf-8", errorsPage(label, token))
    case "/assets/dashboard.js":
      return send(response, 200, "text/javascript; charset=utf-8", pageScript)
    case "/health":
      return send(response, 200, "text/plain", "ok")
    case "/metrics":
      return send(response, 200, "text/plain; version=0.0.4", prometheusText(await source.status()))
    case "/json/status":
      return json(response, await source.status())
    case "/json/tasks": {
      const since = Number(url.searchParams.get("since") ?? 0)
      const limit = Number(url.searchParams.get("limit") ?? 10_000)
      return json(response, await source.events(Number.isFinite(since) ? since : 0, clamp(limit, 1, 100_000)))
    }
    case "/json/errors":
      return json(response, await source.errors(clamp(Number(url.searchParams.get("limit") ?? 200), 1, 1_000)))
    case "/json/graph":
      return json(response, await source.graph())
    case "/events":
      live.add(request, response)
      return
    default:
      send(response, 404, "text/plain", "weft dashboard: no such page. Try /status.")
  }
}

const clamp = (n: number, low: number, high: number): number =>
  Number.isFinite(n) ? Math.min(high, Math.max(low, Math.floor(n))) : low

/** The host name of a `Host` header, without its port. */
const hostName = (header: string): string =>
  header.startsWith("[") ? header.slice(0, header.indexOf("]") + 1) : header.split(":")[0]

const headers = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { ...headers, "content-type": type }).end(body)
}

const json = (response: ServerResponse, value: unknown): void =>
  send(response, 200, "application/json; charset=utf-8", JSON.stringify(value))

/** The pages listening on `/events`, fed by one timer. */
class LiveFeed {
  readonly #clients = new Map<ServerResponse, { seq: number }>()
  #timer: NodeJS.Timeout | undefined
  #busy = false

  constructor(
    readonly source: DashboardSource,
    readonly intervalMs: number
  ) {}

  add(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, { ...headers, "content-type": "text/event-stream", connection: "keep-alive" })
    response.write(`retry: 1000\n\n`)
    // A page that reconnects says where it was; a new one starts with the events still buffered.
    const last = Number(request.headers["last-event-id"] ?? 0)
    this.#clients.set(response, { seq: Number.isFinite(last) ? last : 0 })
    request.on("close", () => {
      this.#clients.delete(response)
      if (this.#clients.size === 0) this.stop()
    })
    this.#timer ??= setInterval(() => void this.#tick(), this.intervalMs)
    void this.#tick()
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    for (const response of this.#clients.keys()) response.end()
    this.#clients.clear()
  }

  async #tick(): Promise<void> {
    if (this.#busy) return // the last tick is still reading: skip one rather than pile up
    this.#busy = true
    try {
      const status: StatusSnapshot = await this.source.status()
      for (const [response, client] of this.#clients) {
        const events = await this.source.events(client.seq, eventsPerTick)
        if (events.length > 0) client.seq = events[events.length - 1].seq
        response.write(`id: ${client.seq}\nevent: status\ndata: ${JSON.stringify({ status, events })}\n\n`)
      }
    } finally {
      this.#busy = false
    }
  }
}
