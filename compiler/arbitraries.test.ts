import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import fc from "fast-check"
import ts from "typescript"
import { afterAll, describe, expect, it } from "vitest"
import { main, type CliIo } from "./cli.js"
import { compile, diagnosticCodes } from "./index.js"
import { repoRoot, writeProject } from "./fixtures/temp-project.js"
import { createProgram } from "./fixtures/ts-program.js"

// `weft build --arbitraries`. Fixtures are `*.ts.fixture` (the project's own tsc runs skip them):
// `forms` covers every type form that derives (its arbitrary is compared with
// `forms.arbitrary.golden`); each `f-*` has one parameter that does not, marked
// `// WEFT1008: <the end of the expected message>`; `util` holds the task they call.
const fixtureDir = fileURLToPath(new URL("./fixtures/arbitraries/", import.meta.url))
const fixture = (name: string): string => readFileSync(join(fixtureDir, `${name}.ts.fixture`), "utf8")
const failures = readdirSync(fixtureDir)
  .filter((n) => n.startsWith("f-") && n.endsWith(".ts.fixture"))
  .map((n) => n.slice(0, -".ts.fixture".length))

const temps: string[] = []
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true })
})

/**
 * A project on disk under the OS temp folder. `weft` resolves to this package's sources (a
 * `node_modules/weft` whose `exports` points at `runtime/index.ts`), not to `dist/`, so that the
 * emitted modules are checked against the current `graphModule` without a build first.
 */
function tempProject(sources: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "weft-arbitraries-"))
  temps.push(dir)
  const weft = join(dir, "node_modules", "weft")
  mkdirSync(weft, { recursive: true })
  symlinkSync(repoRoot, join(weft, "src"), "dir")
  symlinkSync(join(repoRoot, "node_modules", "fast-check"), join(dir, "node_modules", "fast-check"), "dir")
  writeFileSync(
    join(weft, "package.json"),
    JSON.stringify({ name: "weft", type: "module", exports: { ".": "./src/runtime/index.ts" } })
  )
  writeProject(dir, sources)
  return dir
}

/** The type errors of the project's own files (`src/`); weft's sources are checked by its own tsc run. */
function typeErrors(dir: string): string[] {
  const project = join(dir, "tsconfig.json")
  const config = ts.getParsedCommandLineOfConfigFile(
    project,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} }
  )!
  const program = createProgram(config.fileNames, config.options)
  const own = program.getSourceFiles().filter((sf) => sf.fileName.startsWith(join(dir, "src")))
  return own.flatMap((sf) =>
    [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map(
      (d) => `${sf.fileName.slice(dir.length + 1)}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`
    )
  )
}

/** The emitted `{ arbitrary: ... }` argument of the first graph of `text`. */
const arbitraryOf = (text: string): string => text.slice(text.indexOf("  { arbitrary: "), text.lastIndexOf("\n)\n") + 1)

describe("compile({ arbitraries: true }): what derives", () => {
  it("emits the arbitrary of every supported form: golden text", async () => {
    const result = await compile({ files: { "/p/forms.ts": fixture("forms") }, arbitraries: true })
    expect(result.diagnostics).toEqual([])
    const golden = readFileSync(join(fixtureDir, "forms.arbitrary.golden"), "utf8")
    expect(arbitraryOf(result.files[0].text)).toBe(golden)
    // Deterministic: a second compile gives the same bytes.
    const again = await compile({ files: { "/p/forms.ts": fixture("forms") }, arbitraries: true })
    expect(again.files[0].text).toBe(result.files[0].text)
  })

  it("without the flag the module has no arbitrary, and the graph call is unchanged", async () => {
    const result = await compile({ files: { "/p/forms.ts": fixture("forms") } })
    expect(result.diagnostics).toEqual([])
    expect(result.files[0].text).not.toContain("arbitrary")
    expect(result.files[0].text).toMatch(/\n {2}\{ "forms#describe": describe \}\n\)\n$/)
  })

  it("the emitted module does not import fast-check", async () => {
    const result = await compile({ files: { "/p/forms.ts": fixture("forms") }, arbitraries: true })
    expect(result.files[0].text).not.toMatch(/fast-check/)
  })
})

describe("WEFT1008: a parameter type with no derivable arbitrary", () => {
  const files: Record<string, string> = { "/f/util.ts": fixture("util") }
  for (const name of failures) files[`/f/${name}.ts`] = fixture(name)

  it("is documented in diagnosticCodes", () => {
    expect(diagnosticCodes[1008]).toMatch(/arbitrary/)
  })

  it.each(failures)(
    "%s reports exactly its marked line, naming the parameter, the graph and the type",
    async (name) => {
      const result = await compile({ files, arbitraries: true })
      const lines = fixture(name).split("\n")
      const line = lines.findIndex((l) => l.includes("// WEFT1008: ")) + 1
      const expected = lines[line - 1].slice(lines[line - 1].indexOf("// WEFT1008: ") + "// WEFT1008: ".length)
      const param = lines[line - 1].trim().split(":")[0]
      const found = result.diagnostics.filter((d) => d.file === `${name}.ts`)
      expect(found.map((d) => `${d.line}:${d.column}:${d.code}`)).toEqual([`${line}:3:1008`])
      expect(found[0].message).toBe(
        `cannot derive a fast-check arbitrary for parameter "${param}" of graph "g": ${expected}`
      )
      expect(found[0].hint).toMatch(/pass an arbitrary to checkGraph by hand .*or change the type/)
      expect(result.files).toEqual([])
    }
  )

  it("is reported only with the flag", async () => {
    const result = await compile({ files })
    expect(result.diagnostics).toEqual([])
  })
})

const regions = ["north", "south", "west"]
const isSale = (s: unknown): boolean => {
  const sale = s as Record<string, unknown>
  return (
    regions.includes(sale.region as string) &&
    typeof sale.amount === "number" &&
    !Number.isNaN(sale.amount) &&
    Number.isFinite(sale.amount) &&
    (!("note" in sale) || typeof sale.note === "string") &&
    Array.isArray(sale.tags) &&
    sale.tags.every((t) => typeof t === "string")
  )
}

/** One sample of `forms`'s parameters has the declared shapes. */
function expectShapes(p: unknown[]): void {
  expect(p).toHaveLength(32)
  const [
    text,
    count,
    flag,
    big,
    nothing,
    missing,
    kind,
    region,
    level,
    either,
    maybe,
    sales,
    frozen,
    pair,
    short,
    totals,
    byName,
    nested,
    when,
    counts,
    seen,
    both
  ] = p as any[]
  const [status, mixed, shape, box, partial, fixed, lookup, labelled, keyed, optional] = (p as any[]).slice(22)
  expect(typeof text).toBe("string")
  expect(typeof count === "number" && Number.isFinite(count)).toBe(true)
  expect(typeof flag).toBe("boolean")
  expect(typeof big).toBe("bigint")
  expect(nothing).toBe(null)
  expect(missing).toBe(undefined)
  expect(kind).toBe("fixed")
  expect(regions).toContain(region)
  expect([1, 2, 3]).toContain(level)
  expect(typeof either === "string" || (Array.isArray(either) && either.every((x) => typeof x === "number"))).toBe(true)
  expect(maybe === null || typeof maybe === "string").toBe(true)
  expect(sales.every(isSale)).toBe(true)
  expect(frozen.every((x: unknown) => typeof x === "number")).toBe(true)
  expect(pair.length === 2 && typeof pair[0] === "string" && typeof pair[1] === "number").toBe(true)
  // An optional element is left out, never set to undefined (exactOptionalPropertyTypes).
  expect(
    typeof short[0] === "boolean" && (short.length === 1 || (short.length === 2 && typeof short[1] === "string"))
  ).toBe(true)
  expect(Object.values(totals).every((x) => typeof x === "number")).toBe(true)
  expect(Object.values(byName).every(isSale)).toBe(true)
  expect(nested["odd key"]).toBe(true)
  for (const d of nested.inner.deep) {
    expect(d.at instanceof Date && !Number.isNaN(d.at.getTime())).toBe(true)
    expect(!("level" in d) || [1, 2, 3].includes(d.level)).toBe(true)
  }
  expect(when instanceof Date).toBe(true)
  expect(counts instanceof Map && [...counts].every(([k, v]) => typeof k === "string" && typeof v === "number")).toBe(
    true
  )
  expect(seen instanceof Set && [...seen].every((r) => regions.includes(r))).toBe(true)
  expect(isSale(both) && typeof both.id === "string").toBe(true)
  expect(optional === undefined || isSale(optional)).toBe(true)
  expect([null, "open", "closed"]).toContain(status)
  expect([10n, -1, false]).toContain(mixed)
  expect(
    shape.kind === "circle" ? typeof shape.r === "number" : shape.kind === "square" && typeof shape.side === "number"
  ).toBe(true)
  expect(typeof box.value).toBe("string")
  expect(Object.keys(partial).every((k) => (k === "x" || k === "y") && typeof partial[k] === "number")).toBe(true)
  expect(fixed.length === 2 && fixed.every((x: unknown) => typeof x === "number")).toBe(true)
  expect(lookup instanceof Map && [...lookup].every(([k, v]) => typeof k === "string" && typeof v === "boolean")).toBe(
    true
  )
  expect(Object.keys(labelled).sort()).toEqual(["label", "x", "y"])
  expect(Object.keys(keyed).sort()).toEqual(["a", "b"])
  expect([keyed.a, keyed.b].every((v) => v === undefined || typeof v === "boolean")).toBe(true)
}

describe("a built module's arbitrary", () => {
  it("type-checks, and its samples have the declared shapes", async () => {
    const dir = tempProject({ "src/forms.ts": fixture("forms") })
    const result = await compile({ project: join(dir, "tsconfig.json"), arbitraries: true })
    expect(result.diagnostics).toEqual([])
    // A rebuild with the flag and no change writes nothing.
    const mtime = statSync(join(dir, "src/forms.weft.ts")).mtimeMs
    const again = await compile({ project: join(dir, "tsconfig.json"), arbitraries: true })
    expect(again.files.map((f) => [f.changed, f.text])).toEqual([[false, result.files[0].text]])
    expect(statSync(join(dir, "src/forms.weft.ts")).mtimeMs).toBe(mtime)
    writeFileSync(
      join(dir, "src/use.ts"),
      // `ParamsArbitrary` takes the module namespace (`typeof import("fast-check")`).
      `import * as fc from "fast-check"\nimport { forms } from "./forms.weft.js"\nexport const arbitrary: fc.Arbitrary<Parameters<typeof forms>> = forms.arbitrary!(fc)\n`
    )
    expect(typeErrors(dir)).toEqual([])
    // The same under the strictest optional typing: no `undefined` where a key or element is optional.
    writeProject(dir, {}, { exactOptionalPropertyTypes: true })
    expect(typeErrors(dir)).toEqual([])

    const { forms } = (await import(pathToFileURL(join(dir, "src/forms.weft.ts")).href)) as {
      forms: { arbitrary?: (fast: typeof fc) => fc.Arbitrary<unknown[]> }
    }
    expect(typeof forms.arbitrary).toBe("function")
    const samples = fc.sample(forms.arbitrary!(fc), { numRuns: 50, seed: 42 })
    for (const p of samples) expectShapes(p)
    // Optional fields and parameters are sometimes there and sometimes not; unions take each side.
    const all = samples as any[][]
    expect(
      all.some((p) => p[11].some((s: object) => "note" in s)) &&
        all.some((p) => p[11].some((s: object) => !("note" in s)))
    ).toBe(true)
    expect(all.some((p) => p[31] === undefined) && all.some((p) => p[31] !== undefined)).toBe(true)
    expect(all.some((p) => typeof p[9] === "string") && all.some((p) => Array.isArray(p[9]))).toBe(true)
    expect(new Set(all.map((p) => p[7])).size).toBeGreaterThan(1)
    expect(new Set(all.map((p) => p[24].kind))).toEqual(new Set(["circle", "square"]))
    expect(all.some((p) => p[22] === null) && all.some((p) => typeof p[22] === "string")).toBe(true)
  }, 60_000)
})

describe("weft build --arbitraries", () => {
  const tsconfig = `${JSON.stringify({
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      skipLibCheck: true,
      noEmit: true
    },
    include: ["*.ts"]
  })}\n`
  const source = `/** @task */\nexport function inc(x: number): number {\n  return x + 1\n}\n\n/** @graph */\nexport function pipeline(x: number, tags: string[]) {\n  return { a: inc(x), tags }\n}\n`
  const bad = source.replace("tags: string[]", "when: () => void").replace("tags }", "when }")

  const projectWith = (text: string): string => {
    const dir = mkdtempSync(join(tmpdir(), "weft-arbitraries-cli-"))
    temps.push(dir)
    // An ES module package: a CommonJS project is refused (WEFT3001).
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }))
    writeFileSync(join(dir, "tsconfig.json"), tsconfig)
    // An ES module project: weft compiles ES modules (a CommonJS one is WEFT3001).
    writeFileSync(join(dir, "package.json"), `${JSON.stringify({ type: "module" })}\n`)
    writeFileSync(join(dir, "x.ts"), text)
    return dir
  }
  const run = async (argv: string[], cwd: string) => {
    const out: string[] = []
    const err: string[] = []
    const io: CliIo = {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => err.push(t) },
      cwd
    }
    const code = await main(argv, io)
    return { code, stdout: out.join(""), stderr: err.join("") }
  }

  it("re-emits after a build without the flag, writes nothing the second time, and back", async () => {
    const dir = projectWith(source)
    expect((await run(["build"], dir)).stdout).toBe("wrote x.weft.ts\n")
    const plain = readFileSync(join(dir, "x.weft.ts"), "utf8")
    expect(plain).not.toContain("arbitrary")

    const first = await run(["build", "--arbitraries"], dir)
    expect([first.code, first.stdout, first.stderr]).toEqual([0, "wrote x.weft.ts\n", ""])
    const emitted = readFileSync(join(dir, "x.weft.ts"), "utf8")
    expect(emitted).toContain(
      `  { "x#inc": inc },\n  { arbitrary: (fc) => fc.tuple(\n    fc.double({ noNaN: true, noDefaultInfinity: true }),\n    fc.array(fc.string())\n  ) }\n)\n`
    )
    const again = await run(["build", "--arbitraries"], dir)
    expect([again.code, again.stdout]).toEqual([0, "nothing changed\n"])
    expect(readFileSync(join(dir, "x.weft.ts"), "utf8")).toBe(emitted)
    // A build without the flag after one with it goes back to the plain module.
    expect((await run(["build"], dir)).stdout).toBe("wrote x.weft.ts\n")
    expect(readFileSync(join(dir, "x.weft.ts"), "utf8")).toBe(plain)
  }, 60_000)

  it("WEFT1008 makes build and check --arbitraries exit 1; without the flag they pass", async () => {
    const dir = projectWith(bad)
    const built = await run(["build", "--arbitraries"], dir)
    expect(built.code).toBe(1)
    expect(built.stderr).toMatch(
      /^x\.ts:7:\d+ - error WEFT1008: cannot derive a fast-check arbitrary for parameter "when" of graph "pipeline": type \(\) => void \(at when\)\n {2}hint: /
    )
    const checked = await run(["check", "--arbitraries"], dir)
    expect(checked.code).toBe(1)
    expect(checked.stderr).toContain("error WEFT1008")
    expect(checked.stderr).toMatch(/Found 1 error\.\n$/)
    expect((await run(["check"], dir)).code).toBe(0)
  }, 60_000)

  it("the help text names the flag", async () => {
    const r = await run(["--help"], tmpdir())
    expect(r.stdout).toContain("weft build [-p, --project PATH] [--out-dir DIR] [-w, --watch] [--arbitraries]")
    expect(r.stdout).toContain("weft check [-p, --project PATH] [--arbitraries]")
  })
})

describe("examples/pipeline with --arbitraries", () => {
  it("salesReport(paths: string[], out: string) derives", async () => {
    const example = join(repoRoot, "examples/pipeline")
    const outDir = mkdtempSync(join(tmpdir(), "weft-arbitraries-pipeline-"))
    temps.push(outDir)
    const result = await compile({ project: join(example, "tsconfig.json"), outDir, write: false, arbitraries: true })
    expect(result.diagnostics).toEqual([])
    expect(result.files[0].text).toContain("  { arbitrary: (fc) => fc.tuple(fc.array(fc.string()), fc.string()) }\n)\n")
  }, 60_000)
})
