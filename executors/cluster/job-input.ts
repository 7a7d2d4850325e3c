/**
 * A worker's checks on a job's batch before it runs: the protocol version, the client's project
 * root mapped to this worker's (`--root`), and each registered task's module file against this
 * worker's copy (a worker never runs other code silently).
 *
 * @internal
 */
import { createHash } from "node:crypto"
import { readFileSync, statSync } from "node:fs"
import { fileURLToPath, pathToFileURL } from "node:url"
import { encodeError } from "../../core/error-codec.js"
import { TaskDefinitionError } from "../../core/errors.js"
import type { EncodedError, FnRef, WireBatch } from "../../core/protocol.js"
import { clusterProtocolVersion, type JobData } from "./protocol.js"

/** Why a job cannot run here, as the error every task of it fails with; undefined when it can. */
export function versionRefusal(data: JobData, worker: string): EncodedError | undefined {
  if (data.v === clusterProtocolVersion) return undefined
  return encodeError(
    new TaskDefinitionError(
      `The weft worker ${worker} speaks cluster protocol version ${clusterProtocolVersion}, but this client sent ` +
        `version ${String(data.v)}. Run the same weft version on the clients and the workers.`,
      {}
    ),
    "definition"
  )
}

/** The batch with registered modules under the client's root moved under this worker's `root`. */
export function mapRoot(batch: WireBatch, clientRoot: string, root: string | undefined): WireBatch {
  if (root === undefined) return batch
  const from = withSlash(pathToFileURL(clientRoot).href)
  const to = withSlash(pathToFileURL(root).href)
  if (from === to) return batch
  const fns = batch.fns.map((ref): FnRef => {
    if (ref.kind !== "registered" || !ref.module.startsWith(from)) return ref
    return { ...ref, module: to + ref.module.slice(from.length) }
  })
  return { ...batch, fns }
}

const withSlash = (href: string) => (href.endsWith("/") ? href : `${href}/`)

/** sha256 (16 hex) of a module file's bytes, cached by URL and modification time. */
const fileHashes = new Map<string, { mtimeMs: number; hash: string | undefined }>()

/**
 * The hash of the file behind a `file:` module URL (16 hex of sha256 over its bytes), or
 * undefined when it cannot be read. The file's bytes, not the function's source text: the text
 * depends on the loader that compiled it (tsx, vite), the file does not.
 */
export function moduleHash(url: string): string | undefined {
  if (!url.startsWith("file:")) return undefined
  try {
    const path = fileURLToPath(url)
    const { mtimeMs } = statSync(path)
    const cached = fileHashes.get(url)
    if (cached !== undefined && cached.mtimeMs === mtimeMs) return cached.hash
    const hash = createHash("sha256").update(readFileSync(path)).digest("hex").slice(0, 16)
    fileHashes.set(url, { mtimeMs, hash })
    return hash
  } catch {
    return undefined
  }
}

/** For the client: the hash of each registered task's module file in the batch. */
export function moduleHashes(batch: WireBatch): Record<string, string> | undefined {
  let out: Record<string, string> | undefined
  for (const ref of batch.fns) {
    if (ref.kind !== "registered") continue
    const hash = moduleHash(ref.module)
    if (hash !== undefined) (out ??= {})[ref.module] = hash
  }
  return out
}

/**
 * The error of the first registered task whose module file differs from this worker's copy (by
 * hash), naming the module and both hashes; undefined when all match. A module the worker cannot
 * read is left to the task's own import error, in its thread.
 */
export function hashRefusal(
  batch: WireBatch,
  expected: Readonly<Record<string, string>> | undefined,
  clientRoot: string,
  root: string | undefined
): EncodedError | undefined {
  if (expected === undefined) return undefined
  const mapped = mapRoot(batch, clientRoot, root).fns
  for (let f = 0; f < batch.fns.length; f++) {
    const ref = batch.fns[f]
    if (ref.kind !== "registered") continue
    const theirs = expected[ref.module]
    const here = mapped[f] as typeof ref
    const ours = moduleHash(here.module)
    if (theirs === undefined || ours === undefined || ours === theirs) continue
    return encodeError(
      new TaskDefinitionError(
        `The task ${ref.name} comes from ${here.module}, whose file has hash ${ours} on this worker but ${theirs} ` +
          "on the client: the worker's copy of the module differs. Deploy the same code on the workers (or point " +
          "--root at a copy of it); a worker never runs other code than the client's.",
        { task: ref.name }
      ),
      "definition"
    )
  }
  return undefined
}
