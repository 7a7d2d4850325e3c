/**
 * The multi-host harness itself: four namespaces on a bridge reach each other over real
 * interfaces, a cut link cuts exactly one host off and a restore brings it back, and nothing is
 * left behind, even by a process killed with SIGKILL.
 */
import { execFileSync, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Redis } from "ioredis"
import { describe, expect, onTestFinished, test } from "vitest"
import { netnsSupport, startNetwork, startRedisOn, sweepNetworks, type Network } from "./netns.js"

const support = netnsSupport()
const namespaces = () => execFileSync("ip", ["netns", "list"]).toString()

/** `redis-cli -h <redis> PING` from inside `host`, giving up after 2 s: "PONG" or the failure. */
function pingFrom(network: Network, host: string, redisAddress: string): string {
  try {
    return network.exec(host, "timeout", ["2", "redis-cli", "-h", redisAddress, "-p", "6379", "PING"]).trim()
  } catch (error) {
    return `failed: ${(error as { status?: number }).status}`
  }
}

test("netnsSupport: works when root on Linux, else says exactly why", () => {
  // Running as root here, the multi-host tests below must run: a broken `ip netns` fails this test.
  if (process.getuid?.() === 0 && process.platform === "linux") expect(support).toEqual({ ok: true })
  else expect((support as { reason: string }).reason).toMatch(/root|ip netns|Linux/)
})

describe.runIf(support.ok)("network namespaces (running as root)", () => {
  test("Redis, two workers and a client get four addresses; each host reaches Redis across the bridge", async () => {
    const network = startNetwork(["redis", "w1", "w2", "client"])
    onTestFinished(() => network.close())
    const addresses = Object.values(network.hosts).map((host) => host.address)
    expect(new Set(addresses).size).toBe(4)
    for (const address of addresses) expect(address).toMatch(/^10\.213\.\d+\.\d+$/)
    // Each namespace has only lo and its eth0: nothing of the machine's network.
    expect(network.exec("w1", "ip", ["-o", "addr", "show", "dev", "eth0"])).toContain(network.hosts.w1!.address)
    const redis = await startRedisOn(network, "redis")
    onTestFinished(() => redis.stop())
    expect(redis.url).toBe(`redis://${network.hosts.redis!.address}:6379`)
    for (const host of ["w1", "w2", "client"])
      expect(pingFrom(network, host, network.hosts.redis!.address)).toBe("PONG")
    // The test process, outside, reaches it by its unix socket, and sees the other hosts' connections by address.
    const admin = new Redis({ path: redis.socket })
    onTestFinished(() => {
      admin.disconnect()
    })
    const holder = network.spawn("w2", "redis-cli", ["-h", network.hosts.redis!.address, "BLPOP", "nothing", "0"])
    onTestFinished(() => {
      holder.kill("SIGKILL")
    })
    for (let i = 0; i < 200 && !((await admin.client("LIST")) as string).includes(network.hosts.w2!.address); i++)
      await new Promise((resolve) => setTimeout(resolve, 20))
    expect(await admin.client("LIST")).toContain(`addr=${network.hosts.w2!.address}:`)
  })

  test("cut() takes one host off the network and restore() brings it back", async () => {
    const network = startNetwork(["redis", "w1", "w2"])
    onTestFinished(() => network.close())
    const redis = await startRedisOn(network, "redis")
    onTestFinished(() => redis.stop())
    const address = network.hosts.redis!.address
    network.cut("w1")
    expect(pingFrom(network, "w1", address)).toMatch(/^failed/)
    expect(pingFrom(network, "w2", address)).toBe("PONG")
    network.restore("w1")
    let reply = ""
    for (let i = 0; i < 20 && reply !== "PONG"; i++) reply = pingFrom(network, "w1", address)
    expect(reply).toBe("PONG")
  })

  test("close() deletes every namespace and kills what ran in them", async () => {
    const network = startNetwork(["a", "b"])
    const sleeper = network.spawn("a", "sleep", ["600"])
    const gone = new Promise((resolve) => sleeper.once("exit", resolve))
    const names = [network.hosts.a!.netns, network.hosts.b!.netns]
    expect(namespaces()).toContain(names[0])
    await network.close()
    await gone
    for (const name of names) expect(namespaces()).not.toContain(name)
    expect(namespaces()).not.toContain(names[0]!.replace(/-a$/, "-hub"))
  })

  test("a process killed with SIGKILL leaves namespaces that the teardown sweep deletes", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "weft-netns-sweep-"))
    onTestFinished(() => rmSync(runDir, { recursive: true, force: true }))
    const script = `
      import { startNetwork } from ${JSON.stringify(join(import.meta.dirname, "netns.ts"))}
      const network = startNetwork(["x", "y"])
      network.spawn("x", "sleep", ["600"])
      console.log(network.hosts.x.netns)
      setInterval(() => {}, 1000)`
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      env: { ...process.env, WEFT_TEST_RUN_DIR: runDir },
      stdio: ["ignore", "pipe", "inherit"]
    })
    const netns = await new Promise<string>((resolve) =>
      child.stdout.once("data", (data) => resolve(String(data).trim()))
    )
    expect(namespaces()).toContain(netns)
    child.kill("SIGKILL")
    await new Promise((resolve) => child.once("exit", resolve))
    expect(namespaces()).toContain(netns) // no exit hook runs on SIGKILL
    const removed = sweepNetworks(runDir)
    expect(removed).toContain(netns)
    expect(removed).toContain(netns.replace(/-x$/, "-hub"))
    expect(namespaces()).not.toContain(netns.replace(/-x$/, ""))
  })
})
