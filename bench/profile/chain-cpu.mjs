// Where an awaited round trip (scenario 2a, one link at a time) spends its time, per thread:
//   node bench/profile/chain-cpu.mjs weft|raw [reps=3] [links=10000]
// Per link: wall time; CPU time of the main thread and of every other thread that ran (from
// /proc/self/task/<tid>/schedstat: the worker threads, V8's and libuv's helpers); messages the
// main thread posted (MessagePort, BroadcastChannel) and received (MessagePort "message"
// listeners); and, on the main thread's clock, the time from a reply arriving to the next batch
// being posted ("turnaround", main-thread latency) and from a post to its reply ("away").
// Alternate builds (a copy of the package with another dist) to compare; state the load.
import { readdirSync, readFileSync } from "node:fs"
import { BroadcastChannel, MessagePort } from "node:worker_threads"
import { Tinypool } from "tinypool"
import { Client } from "weft"

const side = process.argv[2] ?? "weft"
const reps = Number(process.argv[3] ?? 3)
const n = Number(process.argv[4] ?? 10_000)

const count = { posts: 0, bcPosts: 0, received: 0, turnaround: 0, away: 0 }
let lastReceived = -1
let lastPosted = -1
const post = MessagePort.prototype.postMessage
MessagePort.prototype.postMessage = function (...args) {
  const now = performance.now()
  count.posts++
  if (lastReceived >= 0) count.turnaround += now - lastReceived
  lastReceived = -1
  lastPosted = now
  return post.apply(this, args)
}
const bcPost = BroadcastChannel.prototype.postMessage
BroadcastChannel.prototype.postMessage = function (...args) {
  count.bcPosts++
  return bcPost.apply(this, args)
}
// tinypool listens with port.on("message", ...): count and time every message the main thread gets.
const on = MessagePort.prototype.on
MessagePort.prototype.on = function (type, listener) {
  if (type !== "message") return on.call(this, type, listener)
  return on.call(this, type, function (...args) {
    const now = performance.now()
    count.received++
    if (lastPosted >= 0) count.away += now - lastPosted
    lastPosted = -1
    lastReceived = now
    return listener.apply(this, args)
  })
}

/** CPU nanoseconds per thread of this process, by tid, with the thread's name. */
function threads() {
  const out = new Map()
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const ns = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[0])
      const comm = readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim()
      const status = readFileSync(`/proc/self/task/${tid}/status`, "utf8")
      const sleeps = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)[1])
      const preempted = Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)[1])
      out.set(tid, { ns, comm, sleeps, preempted })
    } catch {
      // exited meanwhile
    }
  }
  return out
}

const inc = (x) => x + 1
let run
let close
if (side === "weft") {
  const client = await Client.local({ workers: 2 })
  run = async (base) => {
    let f = client.submit(inc, base)
    let v = await f.result()
    for (let i = 1; i < n; i++) {
      f = client.submit(inc, f)
      v = await f.result()
    }
    f.release()
    return v - base
  }
  close = () => client.close()
} else {
  const pool = new Tinypool({
    filename: new URL("../baseline-worker.mjs", import.meta.url).href,
    minThreads: 2,
    maxThreads: 2
  })
  await Promise.all([pool.run(0), pool.run(0), pool.run(0), pool.run(0)])
  // RAW_BUSY_US=N: N µs of main-thread busy work per link before the next run (weft's own work, simulated).
  const busyMs = Number(process.env.RAW_BUSY_US ?? 0) / 1000
  const busy = () => {
    const end = performance.now() + busyMs
    while (performance.now() < end);
  }
  run = async (base) => {
    let v = base
    for (let i = 0; i < n; i++) {
      if (busyMs > 0) busy()
      v = await pool.run(v)
    }
    return v - base
  }
  close = () => pool.destroy()
}

const us = (x) => ((x * 1000) / n).toFixed(1)
const mainTid = String(process.pid)
for (let rep = 0; rep <= reps; rep++) {
  for (const key of Object.keys(count)) count[key] = 0
  lastReceived = lastPosted = -1
  const before = threads()
  const cpu = process.cpuUsage()
  const start = performance.now()
  const got = await run((rep + 1) * 1_000_000)
  const wall = performance.now() - start
  const total = process.cpuUsage(cpu)
  const after = threads()
  if (got !== n) throw new Error(`chain gave ${got}, expected ${n}`)
  const deltas = []
  for (const [tid, { ns, comm, sleeps, preempted }] of after) {
    const was = before.get(tid)
    const d = (ns - (was?.ns ?? 0)) / 1e6
    if (d > 0)
      deltas.push({
        tid,
        comm,
        ms: d,
        sleeps: sleeps - (was?.sleeps ?? 0),
        preempted: preempted - (was?.preempted ?? 0)
      })
  }
  deltas.sort((a, b) => b.ms - a.ms)
  const mainThread = deltas.find((d) => d.tid === mainTid)
  const main = mainThread?.ms ?? 0
  const perLink = (d) =>
    d === undefined ? "-" : `${(d.sleeps / n).toFixed(2)} sleeps + ${(d.preempted / n).toFixed(2)} preemptions`
  const others = deltas.filter((d) => d.tid !== mainTid)
  const load = readFileSync("/proc/loadavg", "utf8").split(" ")[0]
  console.log(
    `${side} ${rep === 0 ? "warm-up" : `run ${rep}`} (load ${load}): ${us(wall)} µs/link wall; CPU µs/link: main ${us(main)}, ` +
      others
        .slice(0, 3)
        .map((d) => `${d.comm}#${d.tid} ${us(d.ms)}`)
        .join(", ") +
      `, all others ${us(others.reduce((s, d) => s + d.ms, 0))}, process ${us((total.user + total.system) / 1000)}; ` +
      `main thread ${perLink(mainThread)}, busiest other ${perLink(others[0])} per link; ` +
      `per link: main posts ${(count.posts / n).toFixed(2)} port + ${(count.bcPosts / n).toFixed(2)} broadcast, receives ${(count.received / n).toFixed(2)}; ` +
      `turnaround (reply in -> next post) ${us(count.turnaround)} µs, away (post -> reply in) ${us(count.away)} µs`
  )
}
await close()
