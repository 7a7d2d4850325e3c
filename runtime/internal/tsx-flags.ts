/**
 * How the tinypool executor tells a worker thread where the parent's tsx is, without making the
 * thread load tsx at start (see `withoutTsxLoaders` in executor/tinypool.ts and
 * `registerTypeScriptLoader` in worker/run-batch.ts). Shared by both sides, and light: the worker
 * imports it.
 *
 * @internal
 */

/** A worker thread's `process.argv` entries `--weft-tsx=<specifier>` name the parent's tsx loader. */
export const tsxArgvPrefix = "--weft-tsx="

/** Whether a module specifier given to `--import`/`--loader` is tsx (`tsx`, `.../tsx/dist/loader.mjs`, ...). */
export const isTsxSpecifier = (specifier: string): boolean => /(^|[/\\])tsx([/\\]|$)/.test(specifier)
