import { execFile, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { main, type CliIo } from "../cli.js"
import type { GraphIr } from "../../core/ir.js"
import type { Watcher } from "../watch.js"

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

const source = (step: number) => `/** @task */
export function inc(x: number): number {
  return x + ${step}
}

/** @task */
export function add(a: number, b: number): number {
  return a + b
}

/** @graph */
export function pipeline(x: number, ys: number[]) {
  const a = inc(x)
  const bs = ys.map((y) => add(y, a))
  return { a, bs }
}
`

const withError = `/** @task */
export function inc(x: number): number {
  return x + 1
}

/** @graph */
export function pipeline(x: number) {
  const a = inc(x)
  if (a) {
    return a
  }
  return x
}
`

/** A project folder under the OS temp folder with `files`. */
function projectWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "weft-cli-test-"))
  writeFileSync(join(dir, "tsconfig.json"), tsconfig)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

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
    const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
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

describe("the built bin", () => {
  const bin = fileURLToPath(new URL("../../dist/compiler/cli.js", import.meta.url))
  const exec = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const env = { ...process.env }
      delete env.NODE_OPTIONS
      execFile(process.execPath, [bin, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr })
      )
    })

  // `npm test` builds first; run `npm run build` before running this file alone.
  it("node dist/compiler/cli.js check exits 1 with the diagnostic, 0 on a clean project", async () => {
    expect(existsSync(bin), `${bin} is missing: run npm run build`).toBe(true)
    const failed = await exec(["check", "--project", join(bad, "tsconfig.json")])
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/x\.ts:9:\d+ - error WEFT1001: /)
    expect(failed.stderr).toContain("Found 1 error.")
    const dir = projectWith({ "x.ts": source(1) })
    dirs.push(dir)
    const passed = await exec(["check", "--project", join(dir, "tsconfig.json")])
    expect(passed.stderr).toBe("")
    expect(passed.code).toBe(0)
    expect(passed.stdout).toBe("No errors: 2 tasks, 1 graph.\n")
  }, 60_000)

  /**
   * Runs `weft build --project DIR` in a fresh node through the built module's `main`, and reports
   * which of ts-morph's and TypeScript's files that process loaded (both are CommonJS, so they are
   * in `require.cache` even when imported from ESM).
   */
  const buildReportingLoads = (dir: string) => {
    const script = `
      import { createRequire } from "node:module"
      const { main } = await import(${JSON.stringify(new URL("../../dist/compiler/cli.js", import.meta.url).href)})
      const out = [], err = []
      const code = await main(["build", "--project", ${JSON.stringify(dir)}], { stdout: { write: (t) => out.push(t) }, stderr: { write: (t) => err.push(t) }, cwd: ${JSON.stringify(dir)} })
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((f) => /[\\/](ts-morph|@ts-morph|typescript)[\\/]/.test(f))
      console.log(JSON.stringify({ code, stdout: out.join(""), stderr: err.join(""), loaded }))
    `
    const env = { ...process.env }
    delete env.NODE_OPTIONS
    return new Promise<{ code: number; stdout: string; stderr: string; loaded: string[] }>((resolve, reject) =>
      execFile(
        process.execPath,
        ["--input-type=module", "-e", script],
        { env, cwd: dir, timeout: 60_000 },
        (error, stdout, stderr) =>
          error === null
            ? resolve(JSON.parse(stdout) as { code: number; stdout: string; stderr: string; loaded: string[] })
            : reject(new Error(`${error.message}\n${stderr}`))
      )
    )
  }

  it("a build with nothing changed answers from the cache without loading ts-morph; an edit or a new file builds", async () => {
    expect(existsSync(bin), `${bin} is missing: run npm run build`).toBe(true)
    const dir = projectWith({ "x.ts": source(1) })
    dirs.push(dir)
    const first = await buildReportingLoads(dir)
    expect(first).toMatchObject({ code: 0, stdout: "wrote x.weft.ts\n", stderr: "" })
    expect(first.loaded.length).toBeGreaterThan(0) // the check below can see ts-morph when it is loaded

    const again = await buildReportingLoads(dir)
    expect(again).toEqual({ code: 0, stdout: "nothing changed\n", stderr: "", loaded: [] })

    writeFileSync(join(dir, "x.ts"), source(2))
    const edited = await buildReportingLoads(dir)
    expect(edited).toMatchObject({ code: 0, stdout: "wrote x.weft.ts\n", stderr: "" })
    expect((await buildReportingLoads(dir)).loaded).toEqual([])

    writeFileSync(join(dir, "y.ts"), "/** @task */\nexport function dec(x: number): number {\n  return x - 1\n}\n")
    const added = await buildReportingLoads(dir)
    expect(added).toMatchObject({ code: 0, stdout: "wrote y.weft.ts\n", stderr: "" })
    expect(await buildReportingLoads(dir)).toEqual({ code: 0, stdout: "nothing changed\n", stderr: "", loaded: [] })

    writeFileSync(join(dir, "tsconfig.json"), tsconfig.replace('"strict":true', '"strict":true,"noUnusedLocals":true'))
    expect((await buildReportingLoads(dir)).loaded.length).toBeGreaterThan(0) // a config edit builds
  }, 120_000)

  it("node dist/compiler/cli.js build --watch rebuilds after an edit and exits 0 on SIGINT", async () => {
    const dir = projectWith({ "x.ts": source(1) })
    dirs.push(dir)
    const env = { ...process.env }
    delete env.NODE_OPTIONS
    const child = spawn(process.execPath, [bin, "build", "--watch"], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    let err = ""
    child.stdout.setEncoding("utf8").on("data", (t: string) => (out += t))
    child.stderr.setEncoding("utf8").on("data", (t: string) => (err += t))
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    const until = async (what: string, ok: () => boolean) => {
      const start = Date.now()
      while (!ok()) {
        if (Date.now() - start > 40_000) throw new Error(`timed out waiting for ${what}; stdout: ${out} stderr: ${err}`)
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
    }
    try {
      await until("watching", () => out.includes("watching for changes"))
      writeFileSync(join(dir, "x.ts"), source(3))
      await until("the rebuild", () => out.split("wrote x.weft.ts\n").length === 3)
      child.kill("SIGINT")
      expect(await exited).toBe(0)
      expect(err).toBe("")
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
    }
  }, 60_000)
})
