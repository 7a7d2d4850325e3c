/**
 * The system programs the tests and the bench need (`redis-server` for the cluster, Chromium for
 * the dashboard's browser tests): found on this machine, or installed when we may (root on
 * Debian or Ubuntu: `apt-get install -y ...`), or refused with an error that names the exact
 * command to run. No test is skipped because a program is missing: the run fails, and says why.
 *
 * `findProgram` only looks (cheap, any process may call it); `ensurePrograms` may install, and is
 * called once per run, before any test starts (test/support/global-setup.ts) or by the bench.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { accessSync, constants, existsSync, readdirSync, readFileSync } from "node:fs"
import { delimiter, join } from "node:path"

/** A program the tests need, how to find it and which Debian package provides it. */
export interface Program {
  /** Names looked up on PATH, in order. */
  readonly commands: ReadonlyArray<string>
  /** Absolute paths tried after PATH (sbin is often not on a user's PATH). */
  readonly paths: ReadonlyArray<string>
  /** The Debian/Ubuntu package that installs it. */
  readonly aptPackage: string
  /** An environment variable that, when set, names the program's path and overrides the search. */
  readonly envVariable: string
  /** Minimum major version, checked with `versionOf`; undefined: any. */
  readonly minMajor?: number
  /** Reads the program's version (`7.0.15`) from its own output. */
  readonly versionOf?: (path: string) => string | undefined
  /** For other systems: how to install it, shown in the error. */
  readonly otherSystems: string
}

/** Debian's `redis-server` (7.0 in bookworm): the Redis the cluster tests start. */
export const redisServer: Program = {
  commands: ["redis-server"],
  paths: ["/usr/bin/redis-server", "/usr/sbin/redis-server", "/usr/local/bin/redis-server"],
  aptPackage: "redis-server",
  envVariable: "WEFT_REDIS_SERVER",
  minMajor: 7,
  // "Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=..."
  versionOf: (path) => /v=(\d+\.\d+\.\d+)/.exec(execFileSync(path, ["--version"], { encoding: "utf8" }))?.[1],
  otherSystems:
    "install Redis >= 7 with your package manager (macOS: `brew install redis`; Fedora: `sudo dnf install redis`)"
}

/** Debian's `chromium`: the browser playwright-core drives in the dashboard tests (it never downloads one). */
export const chromium: Program = {
  commands: ["chromium", "chromium-browser"],
  paths: ["/usr/bin/chromium", "/usr/lib/chromium/chromium"],
  aptPackage: "chromium",
  envVariable: "WEFT_CHROMIUM",
  otherSystems: "install Chromium or Chrome and set WEFT_CHROMIUM to its executable"
}

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The program's absolute path (PATH first, then its usual paths), or undefined when it is not installed. */
export function findProgram(program: Program): string | undefined {
  const override = process.env[program.envVariable]
  if (override !== undefined && override !== "") {
    if (!isExecutable(override))
      throw new Error(
        `${program.envVariable}=${override} is not an executable file; unset it or point it at ${program.commands[0]}`
      )
    return override
  }
  const dirs = (process.env.PATH ?? "").split(delimiter).filter((dir) => dir !== "")
  for (const command of program.commands) {
    for (const dir of dirs) {
      const candidate = join(dir, command)
      if (isExecutable(candidate)) return candidate
    }
  }
  return program.paths.find(isExecutable)
}

/**
 * Throws when called from a test file of vitest's "local" project (`npm run test:quick`), which
 * by its definition starts no system program: such a file belongs in `systemTests` (vitest.config.ts).
 */
export function refuseInLocalProject(what: string): void {
  if (process.env.WEFT_TEST_PROJECT === "local")
    throw new Error(
      `this test file starts ${what}, but it is in the "local" test project (npm run test:quick), which starts no system program: add the file to systemTests in vitest.config.ts`
    )
}

/** Like `findProgram`, but throws the error that says how to install it. Never installs. */
export function requireProgram(program: Program): string {
  refuseInLocalProject(program.commands[0]!)
  const path = findProgram(program)
  if (path === undefined) throw new Error(missingMessage([program], howToInstall()))
  return path
}

/** How this machine can get a missing program. */
type Installer = { kind: "apt-root" } | { kind: "apt-user" } | { kind: "other" }

const isDebianLike = (): boolean => {
  try {
    const release = readFileSync("/etc/os-release", "utf8")
    const field = (name: string) => new RegExp(`^${name}="?([^"\\n]*)"?$`, "m").exec(release)?.[1] ?? ""
    return `${field("ID")} ${field("ID_LIKE")}`.split(/\s+/).some((id) => id === "debian" || id === "ubuntu")
  } catch {
    return false
  }
}

/** apt-get when the system has it (Debian, Ubuntu); as root we run it, otherwise we name the command. */
export function howToInstall(): Installer {
  if (!isDebianLike() || !isExecutable("/usr/bin/apt-get")) return { kind: "other" }
  return process.getuid?.() === 0 ? { kind: "apt-root" } : { kind: "apt-user" }
}

const aptCommand = (programs: ReadonlyArray<Program>) =>
  `apt-get install -y ${programs.map((p) => p.aptPackage).join(" ")}`

function missingMessage(programs: ReadonlyArray<Program>, installer: Installer): string {
  const names = programs.map((p) => p.commands[0]).join(" and ")
  const overrides = programs.map((p) => `${p.envVariable}=/path/to/${p.commands[0]}`).join(", ")
  const how =
    installer.kind === "other"
      ? programs.map((p) => `${p.commands[0]}: ${p.otherSystems}`).join("; ")
      : `run: sudo ${aptCommand(programs)}`
  return `The tests need ${names}, which ${programs.length === 1 ? "is" : "are"} not installed. To install, ${how}. (Or set ${overrides}.)`
}

/** Whether apt has package lists at all (a fresh container has none: `apt-get install` finds nothing). */
const aptHasLists = (): boolean => {
  try {
    return readdirSync("/var/lib/apt/lists").some((name) => name.endsWith("_Packages") || /_Packages\.\w+$/.test(name))
  } catch {
    return false
  }
}

/** Runs apt-get non-interactively, waiting up to 5 min for a dpkg lock held by another run; throws with its output on failure. */
function apt(args: ReadonlyArray<string>, log: (line: string) => void): void {
  log(`running: apt-get ${args.join(" ")}`)
  const result = spawnSync("apt-get", ["-o", "DPkg::Lock::Timeout=300", ...args], {
    encoding: "utf8",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    maxBuffer: 64 * 1024 * 1024
  })
  if (result.status !== 0) {
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim().split("\n").slice(-15).join("\n")
    throw new Error(
      `apt-get ${args.join(" ")} failed (${result.error?.message ?? `exit code ${result.status}`}):\n${output}`
    )
  }
}

/** Installs `programs` with apt-get (as root): `apt-get update` first when there are no package lists, or once more when the install fails. */
function aptInstall(programs: ReadonlyArray<Program>, log: (line: string) => void): void {
  const install = ["install", "-y", ...programs.map((p) => p.aptPackage)]
  let updated = false
  if (!aptHasLists()) {
    apt(["update"], log)
    updated = true
  }
  try {
    apt(install, log)
  } catch (error) {
    if (updated) throw error
    // Stale lists name package versions the mirror no longer has: refresh them once and retry.
    apt(["update"], log)
    apt(install, log)
  }
}

/** Checks the program's version against its minimum; throws naming both. */
function checkVersion(program: Program, path: string): void {
  if (program.minMajor === undefined || program.versionOf === undefined) return
  const version = program.versionOf(path)
  const major = Number(version?.split(".")[0])
  if (!(major >= program.minMajor)) {
    throw new Error(
      `${path} is version ${version ?? "(unknown)"}; the tests need ${program.commands[0]} >= ${program.minMajor}. Upgrade it, or set ${program.envVariable} to a newer one.`
    )
  }
}

/**
 * Finds every program, installing the missing ones in one `apt-get install` when running as root
 * on Debian or Ubuntu; otherwise throws an error that names the command to run. Returns the path
 * of each program, in the order given.
 */
export function ensurePrograms(programs: ReadonlyArray<Program>, log: (line: string) => void = () => {}): string[] {
  const missing = programs.filter((p) => findProgram(p) === undefined)
  if (missing.length > 0) {
    const installer = howToInstall()
    if (installer.kind !== "apt-root") throw new Error(missingMessage(missing, installer))
    log(`installing ${missing.map((p) => p.aptPackage).join(", ")} (missing; running as root on a Debian-like system)`)
    aptInstall(missing, log)
    const still = missing.filter((p) => findProgram(p) === undefined)
    if (still.length > 0)
      throw new Error(
        `${aptCommand(still)} succeeded but ${still.map((p) => p.commands[0]).join(", ")} is still not found on PATH or in ${still.flatMap((p) => p.paths).join(", ")}`
      )
  }
  return programs.map((program) => {
    const path = requireProgram(program)
    checkVersion(program, path)
    return path
  })
}

/** Whether `pid` is a live process running `command` (Linux `/proc`): guards a kill against a reused pid. */
export function isRunning(pid: number, command: string): boolean {
  const cmdline = `/proc/${pid}/cmdline`
  if (!existsSync(cmdline)) return false
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return false
    return readFileSync(cmdline, "utf8").includes(command)
  } catch {
    return false
  }
}
