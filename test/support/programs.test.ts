/**
 * Finding the system programs the tests need, and the errors that say how to install one that is
 * missing (test/support/programs.ts). The installing path itself runs in the global setup of
 * every `npm test` on a machine that lacks them.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it, onTestFinished } from "vitest"
import {
  chromium,
  ensurePrograms,
  findProgram,
  howToInstall,
  type Program,
  redisServer,
  requireProgram
} from "./programs.js"

const missing: Program = {
  commands: ["weft-no-such-program"],
  paths: ["/nonexistent/weft-no-such-program"],
  aptPackage: "weft-no-such-package",
  envVariable: "WEFT_TEST_NO_SUCH_PROGRAM",
  otherSystems: "it cannot be installed"
}

afterEach(() => {
  delete process.env.WEFT_TEST_NO_SUCH_PROGRAM
})

describe("findProgram", () => {
  it("finds redis-server and chromium (the global setup installed them if they were missing)", () => {
    expect(findProgram(redisServer)).toMatch(/redis-server$/)
    expect(findProgram(chromium)).toMatch(/chrom/)
  })

  it("looks on PATH before the usual paths", () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-path-"))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const fake = join(dir, "weft-no-such-program")
    writeFileSync(fake, "#!/bin/sh\n")
    chmodSync(fake, 0o755)
    const path = process.env.PATH
    process.env.PATH = `${dir}:${path}`
    try {
      expect(findProgram(missing)).toBe(fake)
    } finally {
      process.env.PATH = path
    }
  })

  it("takes the program's environment variable over the search, and rejects one that is no executable", () => {
    process.env.WEFT_TEST_NO_SUCH_PROGRAM = process.execPath
    expect(findProgram(missing)).toBe(process.execPath)
    process.env.WEFT_TEST_NO_SUCH_PROGRAM = "/nonexistent/redis"
    expect(() => findProgram(missing)).toThrow("WEFT_TEST_NO_SUCH_PROGRAM=/nonexistent/redis is not an executable file")
  })
})

describe("a missing or old program", () => {
  it("requireProgram names the command that installs it, and the variable that points at it", () => {
    // With apt-get (Debian, Ubuntu) the command is apt-get's; elsewhere the program's own advice.
    const how =
      howToInstall().kind === "other"
        ? "weft-no-such-program: it cannot be installed"
        : "run: sudo apt-get install -y weft-no-such-package"
    expect(() => requireProgram(missing)).toThrow(
      `The tests need weft-no-such-program, which is not installed. To install, ${how}. (Or set WEFT_TEST_NO_SUCH_PROGRAM=/path/to/weft-no-such-program.)`
    )
  })

  it("ensurePrograms refuses a version below the minimum, naming both", () => {
    const old: Program = { ...missing, paths: [process.execPath], minMajor: 7, versionOf: () => "6.2.14" }
    expect(() => ensurePrograms([old])).toThrow(
      `${process.execPath} is version 6.2.14; the tests need weft-no-such-program >= 7`
    )
  })

  it("ensurePrograms returns the paths of installed programs, checking redis-server >= 7", () => {
    const [redis] = ensurePrograms([redisServer])
    expect(redis).toBe(findProgram(redisServer))
    expect(Number(redisServer.versionOf?.(redis)?.split(".")[0])).toBeGreaterThanOrEqual(7)
  })
})
