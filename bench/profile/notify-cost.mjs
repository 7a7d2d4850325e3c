// Experiment for scenario 2a: time spent inside Atomics.notify and MessagePort#postMessage in the
// main thread (the two native calls of tinypool's postTask), for the weft chain and the raw one.
//   node bench/profile/notify-cost.mjs weft|raw|raw-signal
import { MessagePort } from "node:worker_threads"
import { Tinypool } from "tinypool"
import { Client } from "weft"

const side = process.argv[2] ?? "weft"
const spent = { notify: 0, notifyCalls: 0, post: 0, postCalls: 0 }
const notify = Atomics.notify
Atomics.notify = function (...args) {
  const t = performance.now()
  try {
    return notify.apply(Atomics, args)
  } finally {
    spent.notify += performance.now() - t
    spent.notifyCalls++
  }
}
const post = MessagePort.prototype.postMessage
MessagePort.prototype.postMessage = function (...args) {
  const t = performance.now()
  try {
    return post.apply(this, args)
  } finally {
    spent.post += performance.now() - t
    spent.postCalls++
  }
}
const n = 10_000
const inc = (x) => x + 1
let run
let close
if (side === "weft") {
  const client = await Client.local({ workers: 2 })
  run = async (base) => {
    let f = client.submit(inc, base)
    for (let i = 1; i < n; i++) f = client.submit(inc, f)
    await f.result()
    f.release()
  }
  close = () => client.close()
} else {
  const pool = new Tinypool({
    filename: new URL("../baseline-worker.mjs", import.meta.url).href,
    minThreads: 2,
    maxThreads: 2
  })
  run = async (base) => {
    let v = base
    for (let i = 0; i < n; i++)
      v = await pool.run(v, side === "raw-signal" ? { signal: new AbortController().signal } : {})
  }
  close = () => pool.destroy()
}
for (let rep = 0; rep < 4; rep++) {
  for (const key of Object.keys(spent)) spent[key] = 0
  const start = performance.now()
  const elu = performance.eventLoopUtilization()
  await run((rep + 1) * 1_000_000)
  const total = performance.now() - start
  const busy = performance.eventLoopUtilization(elu).active
  const us = (ms) => ((ms * 1000) / n).toFixed(1)
  console.log(
    `${side} ${rep === 0 ? "warm-up" : `run ${rep}`}: ${us(total)} µs/task, main thread busy ${us(busy)} µs/task; in Atomics.notify ${us(spent.notify)} µs/task (${spent.notifyCalls} calls), in postMessage ${us(spent.post)} µs/task (${spent.postCalls} calls)`
  )
}
await close()
