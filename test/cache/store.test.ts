/**
 * The disk store: a corrupted or truncated entry is a miss and is removed, never a wrong result;
 * the size cap evicts the least recently used entries; a key's lock is held once per machine, and
 * a dead holder's lock is taken over.
 */
import { execFileSync, spawn } from "node:child_process"
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync
} from "node:fs"
import { mkdirSync } from "node:fs"
import { tmpdir, hostname } from "node:os"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { afterAll, describe, expect, test } from "vitest"
import { Client } from "weft"
import { DiskStore } from "../../dist/cache/disk-store.js"
import type { EntryMeta } from "../../dist/cache/store.js"

const base = mkdtempSync(path.join(tmpdir(), "weft-cache-store-"))
afterAll(() => rmSync(base, { recursive: true, force: true }))
let folders = 0
const freshDir = () => path.join(base, `s${++folders}`)

const meta = (identity = "id"): EntryMeta => ({
  identity,
  computeMs: 20,
  parts: {
    task: "t#x",
    code: "c",
    covers: "test",
    dependencies: "",
    weft: "0",
    nodeMajor: "20",
    args: "a",
    inputs: [],
    declared: []
  }
})

/** Every content file of a cacache folder. */
const contentFiles = (dir: string): string[] => {
  const out: string[] = []
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = path.join(d, name)
      if (statSync(full).isDirectory()) walk(full)
      else out.push(full)
    }
  }
  walk(path.join(dir, "content-v2"))
  return out
}

const slowSquare = (x: number) => {
  const end = Date.now() + 12
  while (Date.now() < end);
  return { x, square: x * x, text: "y".repeat(200) }
}

const runSquares = async (dir: string) => {
  const client = await Client.local({ workers: 0, cache: { dir } })
  const values = await client.gather(client.map(slowSquare, [1, 2, 3]))
  await client.close()
  return { values, run: JSON.parse(readFileSync(path.join(dir, "weft", "last-run.json"), "utf8")) }
}

describe("disk store", () => {
  test.each([
    ["corrupted (same size, other bytes)", (file: string) => writeFileSync(file, Buffer.alloc(statSync(file).size, 7))],
    ["truncated", (file: string) => truncateSync(file, Math.floor(statSync(file).size / 2))],
    ["emptied", (file: string) => truncateSync(file, 0)]
  ])(
    "an entry whose content is %s is a miss and is removed; the rerun recomputes the right values",
    async (_, damage) => {
      const dir = freshDir()
      const first = await runSquares(dir)
      expect(first.run.written).toBe(3)
      const files = contentFiles(dir)
      expect(files.length).toBe(3)
      for (const file of files) damage(file)
      const store = new DiskStore(dir, 1e9)
      const [entry] = await store.list()
      expect(await store.get(entry.key)).toBeUndefined()
      expect(await store.info(entry.key)).toBeUndefined()

      const second = await runSquares(dir)
      expect(second.values).toEqual(first.values)
      expect(second.run).toMatchObject({ hits: 0, misses: 3, written: 3 })
      const third = await runSquares(dir)
      expect(third.run).toMatchObject({ hits: 3, misses: 0 })
    }
  )

  test("past its size cap it evicts the least recently used entries", async () => {
    const dir = freshDir()
    const store = new DiskStore(dir, 3000)
    const pause = () => new Promise((resolve) => setTimeout(resolve, 5))
    await store.put("a", new Uint8Array(1000).fill(1), meta())
    await pause()
    await store.put("b", new Uint8Array(1000).fill(2), meta())
    await pause()
    await store.put("c", new Uint8Array(1000).fill(3), meta())
    await pause()
    expect((await store.get("a"))?.bytes.length).toBe(1000) // a is now the most recently used
    await pause()
    await store.put("d", new Uint8Array(1000).fill(4), meta())
    const keys = (await store.list()).map((e) => e.key).sort()
    expect(keys).toEqual(["a", "d"])
    expect((await store.stats()).bytes).toBeLessThanOrEqual(3000)
    expect(Buffer.from((await store.get("a"))!.bytes)).toEqual(Buffer.alloc(1000, 1))
  })

  test("a key's lock is held once; a dead holder's lock is taken over", async () => {
    const dir = freshDir()
    const store = new DiskStore(dir, 1e9)
    const first = store.tryLock("k")
    expect(first).toBeDefined()
    expect(store.tryLock("k")).toBeUndefined()
    first!.release()
    const again = store.tryLock("k")
    expect(again).toBeDefined()
    again!.release()

    // A lock file left by a process that has exited.
    const dead = Number(
      execFileSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" })
    )
    mkdirSync(path.join(dir, "weft", "locks"), { recursive: true })
    writeFileSync(path.join(dir, "weft", "locks", "k"), `${dead} ${hostname()}`)
    const taken = store.tryLock("k")
    expect(taken).toBeDefined()
    taken!.release()
    expect(existsSync(path.join(dir, "weft", "locks", "k"))).toBe(false)
  })

  test("two processes computing the same key at once compute it once", async () => {
    const dir = freshDir()
    const log = path.join(base, "runs.log")
    const started = path.join(base, "started")
    const release = path.join(base, "release")
    const weft = pathToFileURL(
      path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/runtime/index.js")
    ).href
    // The task runs until the test writes the release file, so the two runs overlap for sure.
    const script = `import { Client } from ${JSON.stringify(weft)}
const client = await Client.local({ workers: 0, cache: { dir: ${JSON.stringify(dir)} } })
const future = client.submit((log, started, release) => {
  const fs = process.getBuiltinModule("node:fs")
  fs.appendFileSync(log, "ran\\n")
  fs.writeFileSync(started, "")
  const nap = new Int32Array(new SharedArrayBuffer(4))
  while (!fs.existsSync(release)) Atomics.wait(nap, 0, 0, 10)
  return 42
}, ${JSON.stringify(log)}, ${JSON.stringify(started)}, ${JSON.stringify(release)})
console.log("submitted")
const value = await future.result()
await client.close()
console.log(value)
`
    const file = path.join(base, "lock-run.mjs")
    writeFileSync(file, script)
    const launch = () => {
      const child = spawn(process.execPath, [file], { stdio: ["ignore", "pipe", "inherit"] })
      let out = ""
      const submitted = new Promise<void>((resolve) =>
        child.stdout.on("data", (chunk) => {
          out += chunk
          if (out.includes("submitted")) resolve()
        })
      )
      const done = new Promise<string>((resolve, reject) => {
        child.on("error", reject)
        child.on("exit", (code) =>
          code === 0 ? resolve(out.replace("submitted", "").trim()) : reject(new Error(`exit ${code}`))
        )
      })
      return { submitted, done }
    }
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    const one = launch()
    while (!existsSync(started)) await sleep(10)
    const two = launch()
    await two.submitted
    await sleep(500) // the second has looked up and found the key locked (or, without a lock, started computing)
    writeFileSync(release, "")
    expect(await Promise.all([one.done, two.done])).toEqual(["42", "42"])
    expect(readFileSync(log, "utf8")).toBe("ran\n")
  }, 30_000)
})
