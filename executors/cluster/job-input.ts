/**
 * A worker's checks on a job's batch before it runs: the protocol version, the client's project
 * root mapped to this worker's (`--root`), and each registered task's source hash against this
 * worker's copy of its module (a worker never runs other code silently).
 *
 * @internal
 */
import { pathToFileURL } from "node:url"
import { encodeError } from "../../core/error-codec.js"
import { TaskDefinitionError } from "../../core/errors.js"
import type { EncodedError, FnRef, WireBatch } from "../../core/protocol.js"
import { registry, registryIndexKeyOf, registryKeyOf } from "../../dsl/registry.js"
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

/** Modules whose hashes were checked here: module URL -> import failed (then the thread reports it). */
const imported = new Map<string, Promise<boolean>>()

/**
 * The error of the first registered task whose source hash differs from this worker's copy of
 * its module, naming the module and both hashes; undefined when all match (or a module cannot be
 * imported here: the task then fails in its thread with the import's own error).
 */
export async function hashRefusal(batch: WireBatch): Promise<EncodedError | undefined> {
  for (const ref of batch.fns) {
    if (ref.kind !== "registered") continue
    const expected = ref.id.slice(ref.id.lastIndexOf("@") + 1)
    let loading = imported.get(ref.module)
    if (loading === undefined) {
      loading = import(ref.module).then(
        () => true,
        () => false
      )
      imported.set(ref.module, loading)
    }
    if (!(await loading)) continue
    const table = registry()
    const entry = table.get(registryKeyOf(ref.module, ref.name)) ?? table.get(registryIndexKeyOf(ref.module, ref.index))
    if (entry === undefined || entry.hash === expected) continue
    return encodeError(
      new TaskDefinitionError(
        `The task ${ref.name} of ${ref.module} has source hash ${expected} on the client but ${entry.hash} on this ` +
          "worker: the worker's copy of the module differs. Deploy the same code on the workers (or point --root at it).",
        { task: ref.name }
      ),
      "definition"
    )
  }
  return undefined
}
