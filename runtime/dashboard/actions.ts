/**
 * The dashboard's actions (retry erred keys, cancel pending ones): POST `/api/retry` or
 * `/api/cancel` with `{"keys": [...]}` as JSON and the server's per-session token in the
 * `x-weft-token` header. The token is in the errors page only, so another site's page cannot
 * send one (it cannot read the page), and a request from another origin is refused as well.
 *
 * @internal
 */
import { timingSafeEqual } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { DashboardAction, DashboardSource } from "./types.js"

/** Bytes of a request body at most. */
const maxBody = 64 * 1024
const actions = new Set<string>(["retry", "cancel"])

const reply = (response: ServerResponse, status: number, body: unknown): void =>
  void response
    .writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" })
    .end(JSON.stringify(body))

/** Handles POST /api/ACTION. */
export async function handleAction(
  source: DashboardSource,
  request: IncomingMessage,
  response: ServerResponse,
  action: string,
  token: string
): Promise<void> {
  if (!actions.has(action) || source.act === undefined)
    return reply(response, 404, { error: `no action "${action}": use /api/retry or /api/cancel` })
  const given = Buffer.from(String(request.headers["x-weft-token"] ?? ""))
  const expected = Buffer.from(token)
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return reply(response, 403, { error: "missing or wrong x-weft-token: use the button on the errors page" })
  const origin = request.headers.origin
  if (origin !== undefined && new URL(origin).host !== request.headers.host)
    return reply(response, 403, { error: `requests from ${origin} are refused` })
  const keys = await readKeys(request)
  if (keys === undefined) return reply(response, 400, { error: 'the body must be JSON {"keys": ["key", ...]}' })
  const matched = await source.act(action as DashboardAction, keys)
  reply(response, 200, { matched })
}

async function readKeys(request: IncomingMessage): Promise<string[] | undefined> {
  let size = 0
  const chunks: Buffer[] = []
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBody) return undefined
    chunks.push(chunk)
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString()) as { keys?: unknown }
    const keys = body.keys
    return Array.isArray(keys) && keys.every((key) => typeof key === "string") ? keys : undefined
  } catch {
    return undefined
  }
}
