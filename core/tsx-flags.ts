/**
 * How the tinypool executor tells a worker thread where the parent's tsx is, without making the
 * thread load tsx at start (see `makeTinypoolExecutor` in executor/tinypool.ts and
 * `registerTypeScriptLoader` in worker/run-batch.ts). Shared by both sides, and light: the worker
 * imports it.
 *
 * @internal
 */

/** A worker thread's `process.argv` entries `--weft-tsx=<specifier>` name the parent's tsx loader. */
export const tsxArgvPrefix = "--weft-tsx="

/** Whether a module specifier given to `--import`/`--loader` is tsx (`tsx`, `.../tsx/dist/loader.mjs`, ...). */
const isTsxSpecifier = (specifier: string): boolean => /(^|[/\\])tsx([/\\]|$)/.test(specifier)

/**
 * Splits Node flags into tsx's `--import`/`--loader` flags (their specifiers, in `tsx`) and the
 * rest (`kept`, as given). Takes `--import x` and `--import=x`.
 */
export function splitTsxLoaders(flags: ReadonlyArray<string>): { kept: string[]; tsx: string[] } {
  const kept: string[] = []
  const tsx: string[] = []
  for (let i = 0; i < flags.length; i++) {
    const match = /^--(?:import|loader|experimental-loader)(?:=(.*))?$/.exec(flags[i])
    const specifier = match === null ? undefined : (match[1] ?? flags[i + 1])
    if (specifier !== undefined && isTsxSpecifier(specifier)) {
      tsx.push(specifier)
      if (match![1] === undefined) i++
    } else kept.push(flags[i])
  }
  return { kept, tsx }
}
