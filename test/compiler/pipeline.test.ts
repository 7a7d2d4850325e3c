import { execFile } from "node:child_process"
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { main } from "../../dist/compiler/cli.js"
import { compile } from "../../dist/compiler/index.js"
import { checkPipeline, type CompiledPipeline } from "../../examples/pipeline/pipeline.check.js"

// The example of issue 5, built by `weft build` (the built package's `main`; `npm test` builds
// first) into a temp folder (nothing is written beside the sources) and run on a local cluster
// from the built package.
const repoRoot = fileURLToPath(new URL("../../", import.meta.url))
const example = join(repoRoot, "examples/pipeline")
const dir = mkdtempSync(join(tmpdir(), "weft-pipeline-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const expectedReport = `# Sales report

7 sales from 3 files, 582.25 in all.

| region | total |
| --- | ---: |
| north | 300.00 |
| south | 242.00 |
| west | 40.25 |
`

/** Where `main` writes when only its errors matter. */
const quietIo = {
  stdout: { write: () => true },
  stderr: { write: (t: string) => void process.stderr.write(t) },
  cwd: repoRoot
}

describe("examples/pipeline", () => {
  // A whole build (TypeScript loaded) and a local cluster: more than the default timeout on a loaded machine.
  it("compiles without diagnostics and runs on a local cluster", { timeout: 120_000 }, async () => {
    // `weft` resolves from the emitted module to this package.
    mkdirSync(join(dir, "node_modules"))
    symlinkSync(repoRoot, join(dir, "node_modules", "weft"), "dir")
    const printed: string[] = []
    const io = {
      stdout: { write: (t: string) => printed.push(t) },
      stderr: { write: (t: string) => printed.push(t) },
      cwd: repoRoot
    }
    expect(await main(["build", "--project", join(example, "tsconfig.json"), "--out-dir", join(dir, "out")], io)).toBe(
      0
    )
    expect(printed.join("")).toMatch(/pipeline\.weft\.ts/)
    const result = await compile({ project: join(example, "tsconfig.json"), outDir: join(dir, "out") })
    expect(result.diagnostics).toEqual([])
    expect(result.files.map((f) => f.changed)).toEqual([false]) // weft build wrote it already
    expect(result.tasks.map((t) => t.id)).toEqual([
      "pipeline#loadSales",
      "pipeline#clean",
      "pipeline#aggregate",
      "pipeline#writeReport",
      "pipeline#listExports",
      "pipeline#readExport"
    ])
    expect(result.tasks.find((t) => t.name === "writeReport")!.options.impure).toBe(true)
    expect(result.files.map((f) => f.path)).toEqual([join(dir, "out/pipeline.weft.ts")])

    const weft = await import("weft")
    const { salesReport } = (await import(pathToFileURL(join(dir, "out/pipeline.weft.ts")).href)) as {
      salesReport: (
        paths: string[],
        out: string
      ) => import("weft").Delayed<{ summary: { rows: number; total: number }; report: string }>
    }
    const paths = ["north", "south", "west"].map((n) => join(example, "data", `${n}.json`))
    const out = join(dir, "report.md")
    const client = await weft.Client.local({ workers: 2 })
    try {
      const value = await client.compute(salesReport(paths, out)).result()
      expect(value.summary).toEqual({
        files: 3,
        rows: 7,
        byRegion: { north: 300, south: 242, west: 40.25 },
        total: 582.25
      })
      expect(value.report).toBe(expectedReport)
      expect(readFileSync(out, "utf8")).toBe(expectedReport)

      // A compiled task's error points at the line of the original source, not the emitted module.
      const failing = client.compute(salesReport([join(example, "data", "missing.json")], join(dir, "none.md")))
      const traceback = await failing.traceback()
      expect(traceback).toMatch(/ENOENT/)
      expect(traceback).toMatch(/examples\/pipeline\/pipeline\.ts:48:/)
    } finally {
      await client.close()
    }
  })

  it(
    "passes weft/testing's checks, with the arbitrary weft build --arbitraries derived (examples/pipeline/pipeline.check.ts)",
    { timeout: 120_000 },
    async () => {
      const outDir = join(dir, "checked")
      expect(
        await main(
          ["build", "--project", join(example, "tsconfig.json"), "--out-dir", outDir, "--arbitraries"],
          quietIo
        )
      ).toBe(0)
      const compiled = (await import(pathToFileURL(join(outDir, "pipeline.weft.ts")).href)) as CompiledPipeline
      expect(typeof compiled.regionTotals.arbitrary).toBe("function")
      const scratch = join(dir, "scratch")
      mkdirSync(scratch)
      const weft = await import("weft")
      const client = await weft.Client.local({ workers: 2 })
      try {
        await checkPipeline(compiled, scratch, client)
      } finally {
        await client.close()
      }
    }
  )

  it("weft run folderReport: a run-time fan-out over the files it finds and an async loader, under plain node", async () => {
    // A copy of the example (its tsconfig extends the repository's), with this repository's
    // node_modules for @types/node; weft itself is the built package running the command.
    const project = join(dir, "run")
    mkdirSync(project)
    copyFileSync(join(example, "pipeline.ts"), join(project, "pipeline.ts"))
    cpSync(join(example, "data"), join(project, "data"), { recursive: true })
    symlinkSync(join(repoRoot, "node_modules"), join(project, "node_modules"), "dir")
    writeFileSync(join(project, "package.json"), JSON.stringify({ type: "module" }))
    const compilerOptions = {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      noEmit: true
    }
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions, include: ["pipeline.ts"] }))
    const env = { ...process.env }
    delete env.NODE_OPTIONS // no tsx
    const args = ["run", "pipeline.ts#folderReport", "--args", JSON.stringify(["data", "report.md"]), "--workers", "2"]
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [join(repoRoot, "dist/cli/weft.js"), ...args],
        { cwd: project, env, timeout: 240_000 },
        (error, stdout, stderr) =>
          resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
      )
    )
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const value = JSON.parse(r.stdout.trimEnd().split("\n").at(-1)!) as { summary: unknown; report: string }
    expect(value.summary).toEqual({
      files: 3,
      rows: 7,
      byRegion: { north: 300, south: 242, west: 40.25 },
      total: 582.25
    })
    expect(value.report).toBe(expectedReport)
    expect(readFileSync(join(project, "report.md"), "utf8")).toBe(expectedReport)
    expect(readFileSync(join(project, "pipeline.weft.ts"), "utf8")).toMatch(/"kind": "fanout"/)
  }, 240_000)
})
