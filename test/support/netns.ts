/**
 * Several hosts on one machine, for the cluster's multi-host tests: Linux network namespaces, one
 * per host, each with a veth pair whose other end is on a bridge. Traffic between hosts crosses
 * real interfaces, and a host's link can be cut (`ip link set ... down`) and restored.
 *
 * The bridge lives in a namespace of its own (the "hub"), so the machine's own network is never
 * touched: only the namespaces' addresses (10.213.N.0/24, never routed anywhere) and loopback are
 * used. The test process itself stays outside; it starts programs inside a host with `spawn()`
 * and talks to Redis through a unix socket (file paths cross namespaces, addresses do not).
 *
 * Needs root (CAP_NET_ADMIN) and `ip` (iproute2). `netnsSupport()` says whether it works here and
 * why not. Nothing leaks: `close()` kills every process in the namespaces and deletes them (the
 * veths and the bridge go with them); an exit hook does the same when the process exits; and the
 * vitest global teardown (`sweepNetworks`) removes the namespaces of a test process that was killed,
 * from the record files this module writes in the run's dir.
 */
import { type ChildProcess, execFileSync, spawn, type SpawnOptions } from "node:child_process"
import { randomBytes } from "node:crypto"
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { refuseInLocalProject } from "./programs.js"

const ip = (...args: string[]): string => execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] }).toString()

/** Whether namespaces work here; when not, `reason` says exactly why (for the test output and the docs). */
export function netnsSupport(): { readonly ok: true } | { readonly ok: false; readonly reason: string } {
  if (process.platform !== "linux")
    return { ok: false, reason: `network namespaces are Linux only (this is ${process.platform})` }
  if (process.getuid?.() !== 0) return { ok: false, reason: "creating network namespaces needs root (CAP_NET_ADMIN)" }
  const probe = `wfprobe${process.pid}`
  try {
    ip("netns", "add", probe)
    ip("-n", probe, "link", "add", "p0", "type", "veth", "peer", "name", "p1")
    ip("-n", probe, "link", "add", "b0", "type", "bridge")
    return { ok: true }
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim()
    return { ok: false, reason: `\`ip netns\` failed here: ${stderr || (error as Error).message}` }
  } finally {
    try {
      ip("netns", "del", probe)
    } catch {}
  }
}

/** One host of the network. */
export interface Host {
  /** Its name as given to `startNetwork` (`"redis"`, `"w1"`, ...). */
  readonly name: string
  /** Its namespace (`ip netns exec <netns> ...`). */
  readonly netns: string
  /** Its address on the bridge, e.g. `10.213.7.2`. */
  readonly address: string
  /** The hub-side end of its veth pair: what `cut()` takes down. */
  readonly link: string
}

/** A running network of hosts. `await using` closes it. */
export interface Network extends AsyncDisposable {
  readonly hosts: Readonly<Record<string, Host>>
  /** Runs a program inside a host's namespace; the process is killed by `close()`. */
  spawn(host: string, command: string, args: readonly string[], options?: SpawnOptions): ChildProcess
  /** Runs a program inside a host's namespace to completion; returns its stdout (throws on a non-zero exit). */
  exec(host: string, command: string, args: readonly string[]): string
  /** Cuts a host's link: its end on the bridge goes down, so its packets go nowhere (no RST, as a pulled cable). */
  cut(host: string): void
  /** Restores a host's link. */
  restore(host: string): void
  /** Kills every process in the namespaces and deletes them (the veths and bridge go with them). Idempotent. */
  close(): Promise<void>
}

/** The record a network leaves in the run dir, so that a sweep can delete it after a SIGKILL. */
interface Record_ {
  readonly owner: number
  readonly namespaces: string[]
}

const recordDir = (): string => {
  const dir = join(process.env.WEFT_TEST_RUN_DIR || tmpdir(), "netns")
  mkdirSync(dir, { recursive: true })
  return dir
}

/** Kills the processes of a namespace and deletes it; ignores a namespace that is gone. */
function removeNamespace(netns: string): void {
  try {
    for (const pid of ip("netns", "pids", netns).split(/\s+/).filter(Boolean))
      try {
        process.kill(Number(pid), "SIGKILL")
      } catch {}
  } catch {}
  try {
    ip("netns", "del", netns)
  } catch {}
}

const open = new Map<string, string[]>() // record file -> namespaces, for the exit hook
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on("exit", () => {
    for (const [file, namespaces] of open) {
      namespaces.forEach(removeNamespace)
      rmSync(file, { force: true })
    }
  })
}

/**
 * Deletes the namespaces recorded under `runDir` (by networks whose process died before `close()`);
 * returns their names. The vitest global teardown calls it.
 */
export function sweepNetworks(runDir: string): string[] {
  const dir = join(runDir, "netns")
  const removed: string[] = []
  let files: string[]
  try {
    files = readdirSync(dir)
  } catch {
    return removed
  }
  for (const file of files) {
    try {
      const record = JSON.parse(readFileSync(join(dir, file), "utf8")) as Record_
      const existing = new Set(
        ip("netns", "list")
          .split("\n")
          .map((line) => line.split(" ")[0])
      )
      for (const netns of record.namespaces)
        if (existing.has(netns)) {
          removeNamespace(netns)
          removed.push(netns)
        }
    } catch {}
    rmSync(join(dir, file), { force: true })
  }
  return removed
}

/**
 * Creates one namespace per host name, each with address 10.213.N.(i+2)/24 on `eth0`, joined by a
 * bridge in a hub namespace. All hosts reach each other; none reaches the machine's network.
 */
export function startNetwork(hostNames: readonly string[]): Network {
  refuseInLocalProject("network namespaces")
  const support = netnsSupport()
  if (!support.ok) throw new Error(`startNetwork: ${support.reason}`)
  installExitHook()
  const id = randomBytes(3).toString("hex") // interface names have at most 15 characters
  const subnet = `10.213.${1 + (randomBytes(1)[0]! % 254)}`
  const hub = `wf${id}-hub`
  const namespaces = [hub, ...hostNames.map((name) => `wf${id}-${name}`)]
  const record = join(recordDir(), `${id}.json`)
  writeFileSync(record, JSON.stringify({ owner: process.pid, namespaces } satisfies Record_))
  open.set(record, namespaces)
  const hosts: Record<string, Host> = {}
  const children = new Set<ChildProcess>()
  try {
    ip("netns", "add", hub)
    ip("-n", hub, "link", "add", "br0", "type", "bridge")
    ip("-n", hub, "link", "set", "br0", "up")
    hostNames.forEach((name, i) => {
      const netns = `wf${id}-${name}`
      const link = `h${i}`
      ip("netns", "add", netns)
      ip("-n", hub, "link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", netns)
      ip("-n", hub, "link", "set", link, "master", "br0", "up")
      ip("-n", netns, "addr", "add", `${subnet}.${i + 2}/24`, "dev", "eth0")
      ip("-n", netns, "link", "set", "eth0", "up")
      ip("-n", netns, "link", "set", "lo", "up")
      hosts[name] = { name, netns, address: `${subnet}.${i + 2}`, link }
    })
  } catch (error) {
    namespaces.forEach(removeNamespace)
    rmSync(record, { force: true })
    open.delete(record)
    throw error
  }
  const host = (name: string): Host => {
    const found = hosts[name]
    if (found === undefined) throw new Error(`no host ${name}; the hosts are ${Object.keys(hosts).join(", ")}`)
    return found
  }
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    for (const child of children) child.kill("SIGKILL")
    namespaces.forEach(removeNamespace)
    rmSync(record, { force: true })
    open.delete(record)
  }
  return {
    hosts,
    spawn(name, command, args, options = {}) {
      const child = spawn("ip", ["netns", "exec", host(name).netns, command, ...args], options)
      children.add(child)
      child.once("exit", () => children.delete(child))
      return child
    },
    exec: (name, command, args) => ip("netns", "exec", host(name).netns, command, ...args),
    cut: (name) => void ip("-n", hub, "link", "set", host(name).link, "down"),
    restore: (name) => void ip("-n", hub, "link", "set", host(name).link, "up"),
    close,
    [Symbol.asyncDispose]: close
  }
}

/** A redis-server inside one host of a network. */
export interface NetRedis {
  /** `redis://<host address>:6379`: what the other hosts connect to. */
  readonly url: string
  /** A unix socket the test process (outside the namespaces) can reach it by: `new Redis({ path })`. */
  readonly socket: string
  /** Its working dir (removed by `stop()`). */
  readonly dir: string
  /** Kills it and removes its dir. */
  stop(): Promise<void>
}

/**
 * Starts `redis-server` in `host`, bound to that host's address and to a unix socket in a temp dir
 * (AOF off, `noeviction`); resolves once it answers PING over the socket.
 */
export async function startRedisOn(
  network: Network,
  hostName: string,
  executable = process.env.WEFT_REDIS_SERVER || "redis-server"
): Promise<NetRedis> {
  const host = network.hosts[hostName]
  if (host === undefined) throw new Error(`no host ${hostName}`)
  const parent = process.env.WEFT_TEST_RUN_DIR || tmpdir()
  mkdirSync(parent, { recursive: true })
  const dir = join(parent, `weft-netredis-${randomBytes(4).toString("hex")}`)
  mkdirSync(dir)
  const socket = join(dir, "redis.sock")
  const args = ["--port", "6379", "--bind", host.address, "--protected-mode", "no", "--unixsocket", socket]
  args.push("--unixsocketperm", "700", "--dir", dir, "--save", "", "--appendonly", "no")
  args.push("--maxmemory-policy", "noeviction", "--daemonize", "no")
  const child = network.spawn(hostName, executable, args, { stdio: ["ignore", "pipe", "pipe"] })
  let output = ""
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const stop = async () => {
    child.kill("SIGKILL")
    await exited
    rmSync(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      const reply = execFileSync("redis-cli", ["-s", socket, "PING"], { stdio: ["ignore", "pipe", "ignore"] })
      if (reply.toString().trim() === "PONG") break
    } catch {}
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`redis-server in ${host.netns} did not start:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return { url: `redis://${host.address}:6379`, socket, dir, stop }
}
