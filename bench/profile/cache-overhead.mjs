// Profiling aid for the cache scenario's overhead row (plain node, built weft): a cold map of
// 20,000 trivial tasks on a client with `cache: true` and on one without, alternating, in one
// process. Prints µs/task of each side, the main thread's CPU µs/task, and sha256 calls per task.
//   node bench/profile/cache-overhead.mjs [reps=6] [on|off|both]
//   PROFILE=/tmp/on.cpuprofile node bench/profile/cache-overhead.mjs 6 on
// With PROFILE, the client thread is profiled after the warm-up run (the steady state only);
// WEFT_DIST=/path/to/dist/runtime/index.js profiles another build (e.g. the one before a change).
import crypto from "node:crypto"
import fs from "node:fs"
import { syncBuiltinESMExports } from "node:module"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
const { Client } = await import(process.env.WEFT_DIST ?? "weft") // after the patch: its named imports see the counting createHash

const reps = Number(process.argv[2] ?? 6)
const sides = (process.argv[3] ?? "both") === "both" ? ["off", "on"] : [process.argv[3]]
const n = 20_000
const inc = (x) => x + 1
let hashes = 0
const original = crypto.hash
crypto.hash = (...args) => {
  hashes++
  return original(...args)
}
let cacheHashes = 0
const originalCreate = crypto.createHash
crypto.createHash = (...args) => {
  cacheHashes++
  return originalCreate(...args)
}
let opens = 0
const originalOpen = fs.openSync
fs.openSync = (...args) => {
  opens++
  return originalOpen(...args)
}
syncBuiltinESMExports()
const dir = mkdtempSync(path.join(tmpdir(), "weft-cache-overhead-"))
const clients = {}
for (const side of sides)
  clients[side] = await Client.local({ workers: 2, ...(side === "on" ? { cache: { dir } } : {}) })
const session = process.env.PROFILE === undefined ? undefined : new (await import("node:inspector")).Session()
const post = (method, params) =>
  new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))))
const samples = Object.fromEntries(sides.map((s) => [s, { wall: [], cpu: [], hashes: [], cacheHashes: [], opens: [] }]))
let base = 0
for (let rep = 0; rep <= reps; rep++) {
  const order = rep % 2 === 0 ? sides : [...sides].reverse()
  for (const side of order) {
    const items = Array.from({ length: n }, (_, i) => ++base * 7)
    hashes = 0
    cacheHashes = 0
    opens = 0
    const cpu = process.cpuUsage()
    const start = performance.now()
    const futures = clients[side].map(inc, items)
    const values = await clients[side].gather(futures)
    const wall = performance.now() - start
    const used = process.cpuUsage(cpu)
    if (values[n - 1] !== items[n - 1] + 1) throw new Error("wrong result")
    for (const f of futures) f.release()
    if (rep === 0 && side === order[order.length - 1] && session !== undefined) {
      session.connect()
      await post("Profiler.enable")
      await post("Profiler.start")
    }
    if (rep === 0) {
      console.log(
        `${side} warm-up: ${((wall * 1000) / n).toFixed(2)} µs/task, ${(hashes / n).toFixed(3)} token hashes/task, ${(cacheHashes / n).toFixed(3)} cache sha256/task, ${opens} files opened`
      )
      continue
    }
    samples[side].wall.push((wall * 1000) / n)
    samples[side].cpu.push((used.user + used.system) / n)
    samples[side].hashes.push(hashes / n)
    samples[side].cacheHashes.push(cacheHashes / n)
    samples[side].opens.push(opens)
  }
}
if (session !== undefined) {
  const { profile } = await post("Profiler.stop")
  fs.writeFileSync(process.env.PROFILE, JSON.stringify(profile))
  session.disconnect()
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
for (const side of sides) {
  const s = samples[side]
  console.log(
    `${side}: ${median(s.wall).toFixed(2)} µs/task wall, ${median(s.cpu).toFixed(2)} µs/task main-thread CPU, ` +
      `${median(s.hashes).toFixed(3)} token hashes/task, cache sha256/task ${s.cacheHashes.map((x) => x.toFixed(3)).join(" ")}, files opened ${s.opens.join(" ")}  (wall ${s.wall.map((x) => x.toFixed(1)).join(" ")})`
  )
}
if (sides.length === 2)
  console.log(
    `overhead: wall ${((median(samples.on.wall) / median(samples.off.wall) - 1) * 100).toFixed(1)}%, ` +
      `cpu ${((median(samples.on.cpu) / median(samples.off.cpu) - 1) * 100).toFixed(1)}%`
  )
for (const side of sides) await clients[side].close()
rmSync(dir, { recursive: true, force: true })
