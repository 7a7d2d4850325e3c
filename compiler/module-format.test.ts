import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import ts from "typescript"
import { afterAll, describe, expect, it } from "vitest"
import { compile } from "./index.js"
import { repoRoot, writeProject } from "./fixtures/temp-project.js"
import { createProgram } from "./fixtures/ts-program.js"

/** Async tasks and an async graph that awaits them: honest TypeScript. */
const io = `/** @task */
export async function load(path: string): Promise<number[]> {
  return [path.length, 1]
}

/** @task */
export function total(xs: number[][]): number {
  return xs.flat().reduce((a, b) => a + b, 0)
}
`
const asyncFlow = `import { load, total } from "./io.js"

/** @graph */
export async function report(paths: string[]) {
  const all = await Promise.all(paths.map(async (p) => await load(p)))
  return total(all)
}
`
/** Uses the compiled graph as its type says: the awaited result, not a Promise. */
const use = `import { report } from "./flow.weft.js"\nimport type { Delayed } from "weft"\nconst d: Delayed<number> = report(["a"])\nexport { d }\n`

const temps: string[] = []
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true })
})

/** A project on disk where `weft` is this package; `type` is package.json's "type" (none: CommonJS). */
function project(sources: Record<string, string>, type?: "module"): string {
  const dir = mkdtempSync(join(tmpdir(), "weft-format-"))
  temps.push(dir)
  mkdirSync(join(dir, "node_modules"))
  symlinkSync(repoRoot, join(dir, "node_modules", "weft"), "dir")
  writeProject(dir, sources)
  writeFileSync(join(dir, "package.json"), JSON.stringify(type === undefined ? {} : { type }))
  return join(dir, "tsconfig.json")
}

function typeErrors(tsconfig: string): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    tsconfig,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} }
  )!
  const program = createProgram(config.fileNames, config.options)
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, " "))
}

describe("async tasks in a project on disk", () => {
  it("an async graph compiles, type-checks as the awaited result, and computes", async () => {
    const tsconfig = project({ "src/io.ts": io, "src/flow.ts": asyncFlow, "src/use.ts": "" }, "module")
    const result = await compile({ project: tsconfig })
    expect(result.diagnostics).toEqual([])
    writeFileSync(join(tsconfig, "../src/use.ts"), use)
    expect(typeErrors(tsconfig)).toEqual([])
    const mod = (await import(pathToFileURL(join(tsconfig, "../src/flow.weft.ts")).href)) as {
      report: (paths: string[]) => import("weft").Delayed<number>
    }
    // [len, 1] per path: (2 + 1) + (4 + 1)
    expect(await mod.report(["ab", "abcd"]).compute()).toBe(8)
  }, 120_000)
})

describe("WEFT3001: module formats", () => {
  const sources = { "src/io.ts": io, "src/flow.ts": asyncFlow }

  it('a CommonJS project (no "type": "module", NodeNext) is refused, naming the fix, and nothing is written', async () => {
    const tsconfig = project(sources)
    const result = await compile({ project: tsconfig })
    expect(result.files).toEqual([])
    expect(result.diagnostics.map((d) => [d.code, d.file, d.line, d.column])).toEqual([
      [3001, "src/flow.ts", 3, 5],
      [3001, "src/io.ts", 1, 5]
    ])
    expect(result.diagnostics[0].message).toContain('no "type": "module"')
    expect(result.diagnostics[0].hint).toContain('add "type": "module" to package.json')
  })

  it("a .cts file is refused even in an ES module package", async () => {
    const tsconfig = project({ "src/io.cts": sources["src/io.ts"] }, "module")
    const result = await compile({ project: tsconfig })
    expect(result.diagnostics.map((d) => [d.code, d.file])).toEqual([[3001, "src/io.cts"]])
    expect(result.diagnostics[0].message).toContain("a .cts file")
  })

  it("the same sources as an ES module project build, and the emitted modules pass tsc", async () => {
    const tsconfig = project(sources, "module")
    const result = await compile({ project: tsconfig })
    expect(result.diagnostics).toEqual([])
    expect(result.files.map((f) => f.path.slice(f.path.lastIndexOf("/") + 1))).toEqual(["flow.weft.ts", "io.weft.ts"])
    expect(typeErrors(tsconfig)).toEqual([])
  }, 120_000)
})
