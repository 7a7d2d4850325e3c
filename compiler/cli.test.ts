import { execFile, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { main, type CliIo } from "./cli.js"
import type { GraphIr } from "../core/ir.js"
import type { Watcher } from "./watch.js"
import { projectWith, source, tsconfig, withError } from "./fixtures/cli-project.js"

/** An io that records what `main` writes. */
function recorder(cwd: string, onWatch?: (w: Watcher) => void) {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = {
    stdout: { write: (t: string) => out.push(t) },
    stderr: { write: (t: string) => err.push(t) },
    cwd,
    onWatch
  }
  return { io, stdout: () => out.join(""), stderr: () => err.join("") }
}

async function run(argv: string[], cwd: string) {
  const r = recorder(cwd)
  const code = await main(argv, r.io)
  return { code, stdout: r.stdout(), stderr: r.stderr() }
}

const dirs: string[] = []
let good: string
let bad: string

beforeAll(() => {
  good = projectWith({ "x.ts": source(1) })
  bad = projectWith({ "x.ts": withError })
  dirs.push(good, bad)
})
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe("weft build", () => {
  it("writes x.weft.ts, then reports that nothing changed", async () => {
    const first = await run(["build"], good)
    expect(first.stderr).toBe("")
    expect(first.code).toBe(0)
    expect(first.stdout).toBe("wrote x.weft.ts\n")
    const emitted = readFileSync(join(good, "x.weft.ts"), "utf8")
    expect(emitted).toContain("export const pipeline = graphModule")
    expect(emitted).toContain("export const inc = task(")

    const second = await run(["build", "--project", join(good, "tsconfig.json")], good)
    expect(second.code).toBe(0)
    expect(second.stdout).toBe("nothing changed\n")
    expect(readFileSync(join(good, "x.weft.ts"), "utf8")).toBe(emitted)
  }, 60_000)

  it("--out-dir writes under that folder", async () => {
    const dir = projectWith({ "x.ts": source(1) })
    dirs.push(dir)
    const r = await run(["build", "--out-dir", "gen"], dir)
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`wrote ${join("gen", "x.weft.ts")}\n`)
    expect(existsSync(join(dir, "gen", "x.weft.ts"))).toBe(true)
    expect(existsSync(join(dir, "x.weft.ts"))).toBe(false)
  }, 60_000)
})

describe("weft check", () => {
  it("prints a WEFT1001 diagnostic like tsc, a summary, and returns 1", async () => {
    const r = await run(["check", "--project", "tsconfig.json"], bad)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^x\.ts:9:\d+ - error WEFT1001: .+\n {2}hint: .+\n/)
    expect(r.stderr).toMatch(/\nFound 1 error\.\n$/)
    expect(existsSync(join(bad, "x.weft.ts"))).toBe(false)
  }, 60_000)

  it("returns 0 on a clean project and writes nothing", async () => {
    const dir = projectWith({ "x.ts": source(1) })
    dirs.push(dir)
    const r = await run(["check"], dir)
    expect(r.code).toBe(0)
    expect(r.stderr).toBe("")
    expect(r.stdout).toBe("No errors: 2 tasks, 1 graph.\n")
    expect(existsSync(join(dir, "x.weft.ts"))).toBe(false)
  }, 60_000)
})

describe("weft graph", () => {
  it("--format json prints the IR", async () => {
    const r = await run(["graph", "x.ts#pipeline", "--format", "json"], good)
    expect(r.code).toBe(0)
    const ir = JSON.parse(r.stdout) as GraphIr
    expect(ir.name).toBe("pipeline")
    expect(ir.params).toEqual(["x", "ys"])
    expect(ir.nodes.map((n) => n.kind)).toEqual(["param", "param", "call", "map", "literal"])
    expect(ir.nodes[2]).toEqual({ kind: "call", task: "x#inc", args: [{ $node: 0 }] })
    // json is the default
    expect((await run(["graph", "x.ts#pipeline"], good)).stdout).toBe(r.stdout)
  }, 60_000)

  it("--format mermaid draws a flowchart, the map body as a subgraph", async () => {
    const r = await run(["graph", "x.ts#pipeline", "--format", "mermaid"], good)
    expect(r.code).toBe(0)
    const lines = r.stdout.split("\n")
    expect(lines[0]).toBe("flowchart TD")
    expect(lines).toContain('  n0(["param x"])')
    expect(lines).toContain('  n2["inc"]')
    expect(lines).toContain('  n3[["map"]]')
    expect(lines).toContain('  subgraph n3_body["map body of n3"]')
    expect(lines).toContain('    n3_2["add"]')
    expect(lines).toContain("  n0 --> n2")
    expect(lines).toContain("  n1 --> n3")
    expect(lines).toContain("  n2 --> n3_1") // the captured `a`
    expect(lines).toContain("  n3_2 -.-> n3")
    expect(r.stdout).toMatch(/n4\[\/"\{#quot;a#quot;:\$2,#quot;bs#quot;:\$3\}"\/\]:::output/)
  }, 60_000)

  it("--format dot draws a digraph, the map body as a cluster", async () => {
    const r = await run(
      ["graph", join(good, "x.ts") + "#pipeline", "--format", "dot", "--project", join(good, "tsconfig.json")],
      tmpdir()
    )
    expect(r.code).toBe(0)
    expect(r.stdout.startsWith('digraph "pipeline" {\n')).toBe(true)
    expect(r.stdout.trimEnd().endsWith("}")).toBe(true)
    expect(r.stdout).toContain('  n2 [label="inc", shape=box];')
    expect(r.stdout).toContain("  subgraph cluster_n3_body {")
    expect(r.stdout).toContain("  n0 -> n2;")
    expect(r.stdout).toContain("  n3_2 -> n3 [style=dotted];")
    expect(r.stdout).toContain("peripheries=2")
  }, 60_000)

  it("names the graphs it has when the one asked for is missing", async () => {
    const r = await run(["graph", "x.ts#nope"], good)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("no @graph 'nope' in x.ts; the graphs are: x.ts#pipeline")
  }, 60_000)
})

describe("usage", () => {
  it.each([
    [["build", "--bogus"], "weft build: unknown option '--bogus'"],
    [["build", "--projet", "tsconfig.json"], "weft build: unknown option '--projet'; did you mean '--project'?"],
    [["build", "--arbitrary"], "did you mean '--arbitraries'?"],
    [["build", "-x"], "weft build: unknown option '-x'"],
    [["check", "--out-dir", "x"], "weft check: unknown option '--out-dir'; it is an option of weft build"],
    [["check", "--project"], "weft check: -p, --project needs a value"],
    [["biuld"], "weft: unknown command 'biuld'; did you mean 'build'?"],
    [["frobnicate"], "unknown command 'frobnicate'; the commands are build, check, graph and help"],
    [["--verison"], "unknown option '--verison'; did you mean '--version'?"],
    [["--verbose"], "unknown option '--verbose' (expected a command first: build, check or graph)"],
    [["graph"], "expected one FILE#NAME"],
    [["graph", "x.ts"], "expected FILE#NAME"],
    [["graph", "x.ts#pipeline", "--format", "svg"], "--format must be mermaid, dot or json, got 'svg'"],
    [["build", "extra"], "unexpected argument 'extra'"],
    [["build", "--project", "missing/tsconfig.json"], "weft build: no tsconfig at "],
    [["check", "-p", "missing"], "weft check: no tsconfig at "],
    [[], "weft: expected a command: build, check or graph"]
  ])("%j exits 2 with one line that says why", async (argv, message) => {
    const r = await run(argv, good)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(message)
    expect(r.stderr).toMatch(/^[^\n]+ \(run 'weft --help' for usage\)\n$/)
    expect(r.stdout).toBe("")
  })

  it("a folder without a tsconfig.json, or none in the current folder, is a usage error naming it", async () => {
    const empty = mkdtempSync(join(tmpdir(), "weft-cli-empty-"))
    dirs.push(empty)
    const named = await run(["build", "--project", empty], good)
    expect(named.code).toBe(2)
    expect(named.stderr).toBe(`weft build: no tsconfig.json in the folder ${empty} (run 'weft --help' for usage)\n`)
    const implicit = await run(["check"], empty)
    expect(implicit.code).toBe(2)
    expect(implicit.stderr).toBe(
      `weft check: no tsconfig.json in ${empty}; run weft in a project's folder, or pass --project PATH (run 'weft --help' for usage)\n`
    )
  })

  it.each([[["--help"]], [["help"]], [["-h"]], [["build", "--help"]]])(
    "%j prints the usage, short flags included, and returns 0",
    async (argv) => {
      const r = await run(argv, good)
      expect(r.code).toBe(0)
      expect(r.stdout).toContain("weft graph FILE#NAME [-f, --format mermaid|dot|json] [-p, --project PATH]")
      expect(r.stdout).toContain("weft build [-p, --project PATH] [--out-dir DIR] [-w, --watch] [--arbitraries]")
      expect(r.stdout).toContain("weft --version")
    }
  )

  it.each([[["--version"]], [["-v"]]])("%j prints the package's version", async (argv) => {
    const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string
    }
    const r = await run(argv, good)
    expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" })
  })
})

describe("--project names a folder, as tsc -p", () => {
  it("build --project . and -p DIR use the folder's tsconfig.json", async () => {
    const dir = projectWith({ "x.ts": source(1) })
    dirs.push(dir)
    const dot = await run(["build", "--project", "."], dir)
    expect(dot.stderr).toBe("")
    expect(dot.code).toBe(0)
    expect(dot.stdout).toBe("wrote x.weft.ts\n")
    const named = await run(["check", "-p", dir], tmpdir())
    expect(named).toEqual({ code: 0, stdout: "No errors: 2 tasks, 1 graph.\n", stderr: "" })
  }, 60_000)
})

describe("weft build --watch", () => {
  it("rebuilds a module after its source is edited, and stops on close()", async () => {
    const dir = projectWith({ "x.ts": source(1) })
    dirs.push(dir)
    let watcher: Watcher | undefined
    const r = recorder(dir, (w) => (watcher = w))
    const done = main(["build", "--watch"], r.io)
    const until = async (what: string, ok: () => boolean, ms = 30_000) => {
      const start = Date.now()
      while (!ok()) {
        if (Date.now() - start > ms)
          throw new Error(`timed out waiting for ${what}; stdout: ${r.stdout()} stderr: ${r.stderr()}`)
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
    }
    try {
      await until("the watcher", () => watcher !== undefined)
      expect(r.stdout()).toContain("wrote x.weft.ts\n")
      const before = readFileSync(join(dir, "x.weft.ts"), "utf8")
      writeFileSync(join(dir, "x.ts"), source(2))
      await until("the rebuilt module", () => readFileSync(join(dir, "x.weft.ts"), "utf8") !== before)
      await until("the report", () => r.stdout().split("wrote x.weft.ts\n").length === 3)
      expect(r.stdout()).toContain("change in x.ts: rebuilding\n")
      expect(r.stderr()).toBe("")
    } finally {
      await watcher?.close()
    }
    expect(await done).toBe(0)
  }, 60_000)
})
