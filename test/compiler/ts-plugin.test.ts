// The editor plugin, as tsserver loads it: the built CommonJS entry (`dist/compiler/ts-plugin.cjs`,
// `weft/ts-plugin`) decorating a LanguageService over a project on disk whose texts are edited in
// memory. Needs `npm run build --silent` first.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import fc from "fast-check"
import ts from "typescript"
import { afterAll, describe, expect, it } from "vitest"
import { compile } from "../../dist/compiler/index.js"
import { repoRoot, writeProject } from "../../compiler/fixtures/temp-project.js"
import { documentRegistry } from "../../compiler/fixtures/ts-program.js"
import { editorService } from "../support/editor-service.js"
import { propertyRuns } from "../support/runs.js"

const temps: string[] = []
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true })
})

/** A project on disk, a language service over it whose file texts `edit` changes, and the plugin on it. */
function editor(sources: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "weft-plugin-"))
  temps.push(dir)
  writeProject(dir, sources)
  const tsconfig = join(dir, "tsconfig.json")
  const decorated = editorService(tsconfig, join(repoRoot, "dist/compiler/ts-plugin.cjs"), documentRegistry)
  const edit = (file: string, text: string) => decorated.edit(join(dir, file), text)
  const weft = (file: string) => decorated.getSemanticDiagnostics(join(dir, file)).filter((d) => d.source === "weft")
  return { dir, tsconfig, decorated, edit, weft }
}

const broken = `/** @task */
export async function load(path: string): Promise<string> {
  return path
}

/** @graph */
export async function g(url: string) {
  const page = await fetch(url)
  return load(url)
}
`

describe("weft/ts-plugin through the LanguageService API", () => {
  it("reports a WEFT diagnostic as the user types, with its code, place and hint, and drops it after the fix", () => {
    const { weft, edit, decorated, dir } = editor({ "src/pipeline.ts": broken })
    const found = weft("src/pipeline.ts")
    expect(found.map((d) => [d.code, d.category])).toEqual([[1009, ts.DiagnosticCategory.Error]])
    const [d] = found
    expect(broken.slice(d.start!, d.start! + d.length!)).toBe("await")
    expect(ts.flattenDiagnosticMessageText(d.messageText, "\n")).toMatch(/^WEFT1009: await of fetch\(url\).*\n  hint: /)
    // A fixing edit, not on disk: the editor's text is what is checked.
    edit("src/pipeline.ts", broken.replace("await fetch(url)", "await load(url)"))
    expect(weft("src/pipeline.ts")).toEqual([])
    // The language service's own diagnostics still come through.
    edit("src/pipeline.ts", broken.replace("return load(url)", "return load(1)"))
    const all = decorated.getSemanticDiagnostics(join(dir, "src/pipeline.ts"))
    expect(all.map((x) => x.source ?? "ts").sort()).toEqual(["ts", "weft"])
  }, 120_000)

  it("an edit in one file brings a diagnostic into the files that use its tasks and types, and the fix takes it away", () => {
    const types = `export interface Input {\n  readonly path: string\n}\n`
    const io = `import type { Input } from "./types.js"\n\n/** @task */\nexport function load(input: Input): string {\n  return input.path\n}\n`
    const pipeline = `import { load } from "./io.js"\n\n/** @graph */\nexport function g(path: string) {\n  return load({ path })\n}\n`
    const { weft, edit } = editor({ "src/types.ts": types, "src/io.ts": io, "src/pipeline.ts": pipeline })
    const codes = (file: string) => weft(file).map((d) => d.code)
    // Asked in the order an editor asks for its open files: each answer may be remembered.
    expect(codes("src/pipeline.ts")).toEqual([])
    expect(codes("src/io.ts")).toEqual([])
    // load is no longer a task: the graph in pipeline.ts, which calls it, is now wrong.
    edit("src/io.ts", io.replace("/** @task */\n", ""))
    expect(codes("src/pipeline.ts")).toEqual([1006])
    expect(codes("src/io.ts")).toEqual([])
    edit("src/io.ts", io)
    expect(codes("src/pipeline.ts")).toEqual([])
    // An edit two imports away: Input gets a function, which structured clone cannot carry.
    edit("src/types.ts", types.replace("}", "  readonly parse: (text: string) => string\n}"))
    expect(codes("src/io.ts")).toEqual([2003])
    expect(codes("src/pipeline.ts")).toEqual([])
    edit("src/types.ts", types)
    expect(codes("src/io.ts")).toEqual([])
  }, 120_000)

  it("property: after any sequence of edits, every file's diagnostics (some remembered) equal a fresh check of the same texts", async () => {
    // Each file in a few versions; edits switch versions, and the files are asked in any order.
    const variants: Record<string, string[]> = {
      "src/types.ts": [
        `export interface Input {\n  readonly path: string\n}\n`,
        `export interface Input {\n  readonly path: string\n  readonly parse: () => string\n}\n`
      ],
      "src/io.ts": [
        `import type { Input } from "./types.js"\n\n/** @task */\nexport function load(input: Input): string {\n  return input.path\n}\n`,
        `import type { Input } from "./types.js"\n\nexport function load(input: Input): string {\n  return input.path\n}\n`,
        `import type { Input } from "./types.js"\n\nlet n = 0\n\n/** @task */\nexport function load(input: Input): string {\n  return input.path + n\n}\n`
      ],
      "src/pipeline.ts": [
        `import { load } from "./io.js"\n\n/** @graph */\nexport function g(path: string) {\n  return load({ path })\n}\n`,
        `import { load } from "./io.js"\n\n/** @graph */\nexport async function g(path: string) {\n  const page = await fetch(path)\n  return load({ path })\n}\n`
      ],
      "src/other.ts": [
        `/** @task */\nexport function twice(x: number): number {\n  return 2 * x\n}\n`,
        `/** @task */\nexport function twice(f: () => number): number {\n  return 2 * f()\n}\n`
      ]
    }
    const files = Object.keys(variants)
    const initial = Object.fromEntries(files.map((f) => [f, variants[f][0]]))
    const { weft, edit, dir } = editor(initial)
    const texts = { ...initial }
    const fromPlugin = (file: string) =>
      weft(file).map((d) => {
        const { line, character } = d.file!.getLineAndCharacterOfPosition(d.start!)
        const [head] = ts.flattenDiagnosticMessageText(d.messageText, "\n").split("\n  hint: ")
        return `${relative(join(dir, "src"), d.file!.fileName)}:${line + 1}:${character + 1} ${head}`
      })
    const fresh = async () => {
      const { diagnostics } = await compile({
        files: Object.fromEntries(files.map((f) => [join("/p", f), texts[f]])),
        write: false
      })
      return diagnostics.map((d) => `${d.file}:${d.line}:${d.column} WEFT${d.code}: ${d.message}`)
    }
    const step = fc.record({
      file: fc.constantFrom(...files),
      variant: fc.nat(2),
      asked: fc.shuffledSubarray(files, { minLength: files.length })
    })
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 3 }), async (steps) => {
        for (const { file, variant, asked } of steps) {
          texts[file] = variants[file][variant % variants[file].length]
          edit(file, texts[file])
          const expected = await fresh()
          for (const f of asked)
            expect(fromPlugin(f).sort()).toEqual(expected.filter((d) => d.startsWith(`${f.slice(4)}:`)).sort())
        }
      }),
      { numRuns: propertyRuns(8) }
    )
  }, 300_000)

  it("weft check and the plugin report the same diagnostics on every fixture", async () => {
    const sources: Record<string, string> = {}
    for (const folder of ["tasks", "graphs"]) {
      const from = join(repoRoot, "compiler/fixtures", folder)
      for (const name of readdirSync(from))
        if (name.endsWith(".ts.fixture"))
          sources[`src/${name.slice(0, -".fixture".length)}`] = readFileSync(join(from, name), "utf8")
    }
    const { weft, tsconfig, dir, decorated } = editor(sources)
    const checked = (await compile({ project: tsconfig, write: false })).diagnostics
    expect(new Set(checked.map((d) => d.code)).size).toBeGreaterThanOrEqual(10)
    const program = decorated.getProgram()!
    const fromPlugin = Object.keys(sources).flatMap((file) =>
      weft(file).map((d) => {
        const { line, character } = program.getSourceFile(join(dir, file))!.getLineAndCharacterOfPosition(d.start!)
        const [head, hint] = ts.flattenDiagnosticMessageText(d.messageText, "\n").split("\n  hint: ")
        return {
          code: d.code,
          file: relative(dir, d.file!.fileName),
          line: line + 1,
          column: character + 1,
          message: head.replace(/^WEFT\d+: /, ""),
          hint
        }
      })
    )
    const key = (d: { file: string; line: number; column: number; code: number }) =>
      `${d.file}:${d.line}:${d.column}:${d.code}`
    expect(fromPlugin.sort((a, b) => (key(a) < key(b) ? -1 : 1))).toEqual(
      checked.map((d) => ({ ...d })).sort((a, b) => (key(a) < key(b) ? -1 : 1))
    )
  }, 120_000)
})
