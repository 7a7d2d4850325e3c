/** `weft cache stats|ls|clear|explain`: sensible answers on an empty cache, then on a filled one. */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, test } from "vitest"
import { Client } from "weft"
import { main } from "../../dist/cli/weft.js"

const base = mkdtempSync(path.join(tmpdir(), "weft-cache-cli-"))
afterAll(() => rmSync(base, { recursive: true, force: true }))

const weft = async (...argv: string[]) => {
  let stdout = ""
  let stderr = ""
  const code = await main(["cache", ...argv], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    cwd: base
  })
  return { code, stdout, stderr }
}

const slowTriple = (x: number) => {
  const end = Date.now() + 12
  while (Date.now() < end);
  return x * 3
}

describe("weft cache", () => {
  test("answers on a folder that does not exist, then on a filled cache", async () => {
    const dir = path.join(base, "c")
    for (const command of ["stats", "ls", "clear"]) {
      const r = await weft(command, "--dir", dir)
      expect(r).toMatchObject({ code: 0, stderr: "" })
      expect(r.stdout).toContain(`No cache at ${dir}: nothing has been cached there yet`)
    }
    expect((await weft("explain", "abc", "--dir", dir)).code).toBe(1)

    const client = await Client.local({ workers: 0, cache: { dir } })
    await client.gather(client.map(slowTriple, [1, 2]))
    await client.close()

    const stats = await weft("stats", "--dir", "c") // relative to the current directory
    expect(stats.code).toBe(0)
    expect(stats.stdout).toMatch(/Cache .*c: 2 entries, /)
    expect(stats.stdout).toMatch(/Last run \(.*\): 0 hits, 2 misses \(2 written, 0 not worth writing/)

    const ls = await weft("ls", "--dir", dir)
    const keys = ls.stdout
      .trim()
      .split("\n")
      .map((line) => line.split("  ")[0])
    expect(keys).toHaveLength(2)
    expect(ls.stdout).toContain("inline#slowTriple")

    const explained = await weft("explain", keys[0].slice(0, 12), "--dir", dir)
    expect(explained.code).toBe(0)
    expect(explained.stdout).toContain(`key           ${keys[0]}`)
    expect(explained.stdout).toMatch(/task {10}inline#slowTriple/)
    expect(explained.stdout).toMatch(/code {10}[0-9a-f]{64} {2}\(covers inline source\)/)
    expect(explained.stdout).toMatch(/node major {4}\d+/)
    expect(explained.stdout).toContain("inputs        (no Future arguments)")

    const unknown = await weft("explain", "f".repeat(64), "--dir", dir)
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain("weft cache ls lists them")

    const cleared = await weft("clear", "--dir", dir)
    expect(cleared.stdout).toMatch(/Removed 2 entries \(.* MB\) from /)
    expect((await weft("ls", "--dir", dir)).stdout).toContain("is empty")
    expect((await weft("stats", "--dir", dir)).stdout).toMatch(/0 entries, 0\.00 MB\.\nNo run recorded yet\./)
  })

  test("usage errors exit 2 with the usage", async () => {
    for (const argv of [[], ["nope"], ["explain"], ["stats", "extra"], ["stats", "--dir"], ["ls", "--redis"]]) {
      const r = await weft(...argv)
      expect(r.code).toBe(2)
      expect(r.stderr).toContain("weft cache stats|ls|clear [--dir DIR | --redis URL [--prefix P]]")
    }
    const both = await weft("stats", "--dir", "c", "--redis", "redis://localhost:1")
    expect(both).toMatchObject({ code: 2 })
    expect(both.stderr).toContain("give --dir (a local cache) or --redis (a cluster's cache), not both")
    const prefixAlone = await weft("ls", "--prefix", "p")
    expect(prefixAlone.stderr).toContain("--prefix is the prefix of a cluster's keys: give it with --redis URL")
    // A URL that is not one: exit 1 with what is wrong, nothing printed on stdout.
    const bad = await weft("stats", "--redis", "http://localhost")
    expect(bad).toMatchObject({ code: 1, stdout: "" })
    expect(bad.stderr).toMatch(/weft cache: .*redis:\/\//)
  })
})
