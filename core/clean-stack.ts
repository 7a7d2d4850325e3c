/**
 * Takes weft's own frames and tinypool's out of a task error's stack, as Dask cleans scheduler and
 * worker frames from a traceback: what the user gets (`result()`'s rejection, `exception()`,
 * `traceback()`) shows their own code, at the positions of their own files.
 *
 * It runs in the worker, once per error, when the error is encoded (`error-codec.ts`), so every
 * executor (threads, processes, in-process) and every `cause` in the chain gets it, and the client
 * neither pays for it nor receives frames it would drop. Only frame lines (`    at ...`) change;
 * the header (`Name: message`, which may span lines) is kept as it was. A user's frame keeps the
 * position Node gave it (source-mapped under tsx or `--enable-source-maps`).
 *
 * Dropped:
 * - frames in weft's own directories (`core/`, `dsl/`, `scheduler/`, `executors/`, `runtime/`, `compiler/`, `testing/`, in the
 *   sources or in `dist/`): the code that ran the task, never the task;
 * - frames in `node_modules/tinypool/`;
 * - `node:internal` frames left at the bottom once those are gone (the event loop's ticks and
 *   timers that called weft). `node:internal` frames between two of the user's frames stay.
 *
 * @internal
 */
import { basename, dirname, join, sep } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

/** weft's package directory: the parent of `dist/` when running the build, the sources' root otherwise. */
const packageRoot = (): string => {
  const base = dirname(dirname(fileURLToPath(import.meta.url))) // <root or dist>/core/this
  return basename(base) === "dist" ? dirname(base) : base
}

/** Path fragments of the files whose frames are dropped, as paths and as file URLs. */
const ownMarkers = (): string[] => {
  const root = packageRoot()
  const markers: string[] = []
  for (const base of [root, join(root, "dist")]) {
    for (const dir of ["core", "dsl", "scheduler", "executors", "runtime", "compiler", "testing"]) {
      const path = join(base, dir) + sep
      markers.push(path, pathToFileURL(path).href)
    }
  }
  markers.push(`${sep}node_modules${sep}tinypool${sep}`, "/node_modules/tinypool/")
  return markers
}

const markers = ownMarkers()

const isFrame = (line: string): boolean => /^\s+at /.test(line)

const isOwnFrame = (line: string): boolean => {
  for (let i = 0; i < markers.length; i++) if (line.includes(markers[i])) return true
  return false
}

const isNodeInternal = (line: string): boolean => /^\s+at (?:.*\()?node:internal\//.test(line)

/** `stack` without weft's and tinypool's frames (see the module comment). Never throws. */
export function cleanStack(stack: string): string {
  let own = false
  for (let i = 0; i < markers.length && !own; i++) own = stack.includes(markers[i])
  if (!own) return stack
  const lines = stack.split("\n")
  // The frames are the last lines; a line of the message that happens to start with "at" is not one.
  let first = lines.length
  while (first > 0 && isFrame(lines[first - 1])) first--
  const kept = lines.slice(0, first)
  const frames = lines.slice(first).filter((line) => !isOwnFrame(line))
  let end = frames.length
  while (end > 0 && isNodeInternal(frames[end - 1])) end--
  for (let i = 0; i < end; i++) kept.push(frames[i])
  return kept.join("\n")
}
