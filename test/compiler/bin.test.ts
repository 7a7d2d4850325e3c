/**
 * The compiler's commands from the built package: `node dist/compiler/cli.js` in a fresh process
 * (plain node, no tsx), as a user's shell or `npm run` starts it. `npm test` builds first; run
 * `npm run build` before running this file alone. The in-process tests of the same commands are
 * `compiler/cli.test.ts`.
 */
import { execFile, spawn } from "node:child_process"
import { existsSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { projectWith, source, tsconfig, withError } from "../../compiler/fixtures/cli-project.js"

const dirs: string[] = []
let bad: string

beforeAll(() => {
  bad = projectWith({ "x.ts": withError })
  dirs.push(bad)
})
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const bin = fileURLToPath(new URL("../../dist/compiler/cli.js", import.meta.url))
const exec = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const env = { ...process.env }
    delete env.NODE_OPTIONS
    execFile(process.execPath, [bin, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr })
    )
  })

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

describe("the built bin", () => {
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
