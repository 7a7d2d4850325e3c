// What one awaited round trip's messages cost to clone, in one thread (no wake-up): tinypool's
// request carrying weft's batch for one link (with and without the interrupt fields) against
// raw tinypool's number, and the two replies. postMessage = the sender's clone, receive = the
// worker's (or client's) decode.
//   node bench/profile/wire-cost.mjs [n=100000]
import { MessageChannel, receiveMessageOnPort } from "node:worker_threads"

const n = Number(process.argv[2] ?? 100_000)
const { port1, port2 } = new MessageChannel()
const fn = { kind: "inline", id: "a".repeat(64), source: "(x) => x + 1", name: "inc" }
const filename = "/somewhere/dist/executors/worker/entry.js"
const control = `weft-control-${crypto.randomUUID()}`
const request = (task, taskId) => ({ task, taskId, filename, name: "default" })
const shapes = {
  "weft batch, ids + control": (v, i) => request({ fns: [fn], fn: [0], args: [[v]], ids: [i], control }, i),
  "weft batch, no interrupt fields": (v, i) => request({ fns: [fn], fn: [0], args: [[v]] }, i),
  "raw number": (v, i) => request(v, i),
  "weft reply": (v, i) => ({
    taskId: i,
    result: { results: [v], failed: [], elapsedMs: 0.0123 },
    error: null,
    usedMemory: 1e6
  }),
  "raw reply": (v, i) => ({ taskId: i, result: v, error: null, usedMemory: 1e6 })
}
for (let round = 0; round < 3; round++)
  for (const [name, make] of Object.entries(shapes)) {
    let post = 0
    let receive = 0
    for (let i = 0; i < n; i++) {
      const message = make(i, i)
      const a = performance.now()
      port1.postMessage(message)
      const b = performance.now()
      receiveMessageOnPort(port2)
      receive += performance.now() - b
      post += b - a
    }
    if (round === 2)
      console.log(
        `${name.padEnd(32)} postMessage ${((post * 1000) / n).toFixed(2)} µs, receive ${((receive * 1000) / n).toFixed(2)} µs`
      )
  }
port1.close()
