import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { beforeAll, describe, expect, it } from "vitest"
import { formatDiagnostic, type WeftDiagnostic } from "../diagnostics.js"
import { findAnnotated, loadProject } from "../project.js"
import { analyzeTasks, type TaskAnalysis } from "./analyze.js"
import { parseTaskTag } from "./tag.js"

// Fixtures are `*.ts.fixture` so that the project's own tsc runs do not type-check them; they are
// loaded as `/fixtures/*.ts` into one in-memory project shared by the tests.
const fixtureDir = fileURLToPath(new URL("../fixtures/tasks/", import.meta.url))
const fixtures: Record<string, string> = {}
for (const name of readdirSync(fixtureDir)) {
  if (name.endsWith(".ts.fixture"))
    fixtures[`/fixtures/${name.slice(0, -".fixture".length)}`] = readFileSync(fixtureDir + name, "utf8")
}
const root = "/fixtures"

/** `// WEFTnnnn` markers: the lines where a fixture expects a diagnostic, as `line:code`. */
const markers = (file: string): string[] =>
  fixtures[`/fixtures/${file}`]
    .split("\n")
    .flatMap((text, i) => [...text.matchAll(/\/\/ WEFT(\d{4})/g)].map((m) => `${i + 1}:${m[1]}`))

const found = (diagnostics: WeftDiagnostic[], file: string): string[] =>
  diagnostics.filter((d) => d.file === file).map((d) => `${d.line}:${d.code}`)

let result: TaskAnalysis

beforeAll(() => {
  result = analyzeTasks(loadProject({ files: fixtures }), root)
})

/** What each WEFT2005 of `d2005-impure.ts` names, in order. */
const impureCalls = [
  "Math.random",
  "Date.now",
  "new Date()",
  "crypto.randomUUID",
  "performance.now",
  "fetch",
  'writeFileSync from "node:fs"',
  "fsp.mkdir (node:fs/promises)",
  "fs.appendFileSync (fs)",
  'randomUUID from "node:crypto"',
  "Date.now (d2005-impure.ts:27)"
]

describe("analyzeTasks: diagnostics", () => {
  it.each(["d2001-nested.ts", "d2002-mutable.ts", "d2003-clone.ts", "d2004-duplicate.ts", "d2005-impure.ts"])(
    "%s reports exactly its marked lines",
    (file) => {
      const expected = markers(file)
      const code = Number(file.slice(1, 5))
      expect(expected.length).toBeGreaterThan(0)
      expect(expected.every((m) => m.endsWith(`:${code}`))).toBe(true)
      expect(found(result.diagnostics, file)).toEqual(expected)
    }
  )

  it("2006: malformed options point at the option, and the task is not listed", () => {
    const ds = result.diagnostics.filter((d) => d.file === "d2006-options.ts")
    expect(ds.map((d) => `${d.line}:${d.column}:${d.code}`)).toEqual([
      "1:11:2006",
      "6:11:2006",
      "11:11:2006",
      "16:18:2006",
      "24:6:2006"
    ])
    expect(ds[0].message).toContain('retries "x"')
    expect(ds[1].message).toContain('unknown @task option "cached"')
    expect(ds[2].message).toContain('timeout "soon"')
    expect(ds[3].message).toContain("twice")
    expect(ds[4].message).toContain('unknown @task option "bogus"')
    expect(result.tasks.filter((t) => t.file === "d2006-options.ts")).toEqual([])
  })

  it("points at the offending node with 1-based columns and a one-line message and hint", () => {
    const mutable = result.diagnostics.find((d) => d.code === 2002)!
    expect(mutable).toMatchObject({ file: "d2002-mutable.ts", line: 7, column: 14 })
    expect(mutable.message).toContain('"counter"')
    const viaHelper = result.diagnostics.filter((d) => d.code === 2002).at(-1)!
    expect(viaHelper.message).toMatch(/uses "current", which reads "counter" \(d2002-mutable.ts:17\)/)
    const nested = result.diagnostics.find((d) => d.code === 2001)!
    expect(nested).toMatchObject({ line: 3, column: 12 })
    for (const d of result.diagnostics) {
      expect(d.message).not.toContain("\n")
      expect(d.hint).not.toContain("\n")
      expect(formatDiagnostic(d)).toMatch(/^[\w.-]+:\d+:\d+ - error WEFT2\d{3}: /)
    }
  })

  it("2003 names the parameter or the result and the offending type", () => {
    const messages = result.diagnostics.filter((d) => d.code === 2003).map((d) => d.message)
    expect(messages).toEqual([
      expect.stringMatching(/parameter "cb" .*"\(\) => void", a function/),
      expect.stringMatching(/parameter "opts" .*"Options", a function \(in property "onProgress"\)/),
      expect.stringMatching(/parameter "id" .*"symbol", a symbol/),
      expect.stringMatching(/parameter "cache" .*a WeakMap/),
      expect.stringMatching(/parameter "pending" .*a Promise/),
      expect.stringMatching(/parameter "account" .*class Account/),
      expect.stringMatching(/the result of @task "makeAdder" .*a function/),
      expect.stringMatching(/parameter "handlers" .*a function \(in its values\)/)
    ])
  })

  it("2004 lists both locations in one diagnostic", () => {
    const dup = result.diagnostics.filter((d) => d.code === 2004)
    expect(dup).toHaveLength(1)
    expect(dup[0].message).toContain("d2004-duplicate.ts:2, d2004-duplicate.ts:7")
    expect(dup[0].message).toContain('"d2004-duplicate#load"')
  })

  it("2005 names the call and suggests impure or a parameter", () => {
    const impure = result.diagnostics.filter((d) => d.code === 2005)
    expect(impure.map((d) => d.message.match(/calls (.*), which/)![1])).toEqual(impureCalls)
    expect(impure.at(-1)!.message).toContain('uses "stamp"')
    for (const d of impure) expect(d.hint).toMatch(/\/\*\* @task impure \*\/.*parameter/)
  })
})

describe("analyzeTasks: a clean module", () => {
  it("has no diagnostics", () => {
    expect(result.diagnostics.filter((d) => d.file === "clean.ts" || d.file === "util.ts")).toEqual([])
  })

  it("describes each task: id, line, options", () => {
    const clean = result.tasks.filter((t) => t.file === "clean.ts")
    expect(clean.map(({ sourceHash: _, ...rest }) => rest)).toEqual([
      { id: "clean#inc", name: "inc", file: "clean.ts", line: 20, options: { impure: false } },
      {
        id: "clean#roll",
        name: "roll",
        file: "clean.ts",
        line: 25,
        options: { impure: true, retries: 3, timeoutMs: 10_000, priority: 2 }
      },
      { id: "clean#scaled", name: "scaled", file: "clean.ts", line: 30, options: { impure: false, timeoutMs: 10_000 } },
      {
        id: "clean#load",
        name: "load",
        file: "clean.ts",
        line: 35,
        options: { impure: false, retries: 0, timeoutMs: 500 }
      },
      { id: "clean#sum", name: "sum", file: "clean.ts", line: 38, options: { impure: false, priority: -1 } }
    ])
    for (const t of clean) expect(t.sourceHash).toMatch(/^[0-9a-f]{64}$/)
  })

  it("reads options continued on the next lines of the comment", () => {
    expect(result.diagnostics.filter((d) => d.file === "multiline.ts")).toEqual([])
    expect(result.tasks.find((t) => t.id === "multiline#download")).toMatchObject({
      line: 6,
      options: { impure: true, retries: 2, timeoutMs: 30_000 }
    })
  })

  it("hashes are stable across loads and change when a used helper changes, here or in an imported module", () => {
    const only = (files: Record<string, string>) =>
      Object.fromEntries(analyzeTasks(loadProject({ files }), root).tasks.map((t) => [t.name, t.sourceHash]))
    const base = {
      "/fixtures/clean.ts": fixtures["/fixtures/clean.ts"],
      "/fixtures/util.ts": fixtures["/fixtures/util.ts"]
    }
    const first = only(base)
    expect(only(base)).toEqual(first)
    expect(first.scaled).toBe(result.tasks.find((t) => t.id === "clean#scaled")!.sourceHash)

    const helperChanged = only({
      ...base,
      "/fixtures/clean.ts": base["/fixtures/clean.ts"].replace("const factor = 3", "const factor = 4")
    })
    expect(helperChanged.scaled).not.toBe(first.scaled)
    expect(helperChanged.inc).toBe(first.inc)
    expect(helperChanged.roll).toBe(first.roll)

    const importChanged = only({
      ...base,
      "/fixtures/util.ts": base["/fixtures/util.ts"].replace("x * 2", "x * 2 + 0")
    })
    expect(importChanged.scaled).not.toBe(first.scaled)
    expect(importChanged.inc).toBe(first.inc)
  })
})

describe("findAnnotated", () => {
  it("finds @task and @graph functions, declarations and const functions, with their tag text", () => {
    const project = loadProject({ files: { "/fixtures/clean.ts": fixtures["/fixtures/clean.ts"] } })
    expect(findAnnotated(project).map((a) => [a.kind, a.name, a.tagText, a.moduleLevel])).toEqual([
      ["task", "inc", "", true],
      ["task", "roll", 'impure retries=3 timeout="10 seconds" priority=2', true],
      ["task", "scaled", "timeout=10 seconds", true],
      ["task", "load", "retries=0 timeout=500ms", true],
      ["task", "sum", "priority=-1", true],
      ["graph", "pipeline", "", true]
    ])
  })
})

describe("loadProject", () => {
  it("reads a project from its tsconfig on disk, ids relative to the root", () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-tasks-"))
    try {
      writeFileSync(
        join(dir, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: { strict: true, module: "NodeNext", skipLibCheck: true, types: [] },
          include: ["src"]
        })
      )
      const src = join(dir, "src")
      writeFileSync(join(dir, "ignored.ts"), "/** @task */\nexport function outside() {}\n")
      writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }))
      mkdirSync(src)
      writeFileSync(
        join(src, "io.ts"),
        "/** @task retries=2 */\nexport function load(path: string): string {\n  return path\n}\n"
      )
      const { tasks, diagnostics } = analyzeTasks(loadProject({ project: join(dir, "tsconfig.json") }), dir)
      expect(diagnostics).toEqual([])
      expect(tasks).toMatchObject([
        { id: "src/io#load", file: "src/io.ts", line: 2, options: { impure: false, retries: 2 } }
      ])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe("parseTaskTag", () => {
  it.each([
    ["", { impure: false }],
    ["impure", { impure: true }],
    ["retries=2 priority=1.5", { impure: false, retries: 2, priority: 1.5 }],
    ["timeout='1.5 minutes'", { impure: false, timeoutMs: 90_000 }],
    ["timeout=2 h impure", { impure: true, timeoutMs: 7_200_000 }],
    ["nocache", { impure: false, nocache: true }],
    ["env=API_URL", { impure: false, env: ["API_URL"] }],
    ["env=API_URL,REGION retries=1", { impure: false, env: ["API_URL", "REGION"], retries: 1 }]
  ])("reads %j", (text, options) => {
    expect(parseTaskTag(text)).toEqual({ options })
  })

  it.each([
    "retries=-1",
    "retries=1.5",
    "retries",
    "impure=yes",
    "timeout=500",
    "priority=high",
    "pure",
    "retries=1 retries=2",
    "!",
    "nocache=1",
    "env",
    "env=API-URL",
    "env=A,,B"
  ])("refuses %j", (text) => {
    expect(parseTaskTag(text)).toHaveProperty("problem")
  })
})
