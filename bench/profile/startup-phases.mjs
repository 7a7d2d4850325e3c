// Profiling aid for scenario 3: where the time from process start to the first result goes.
//   node bench/profile/startup-phases.mjs weft|tinypool
// Prints milliseconds since the process started (performance.now()) at each phase.
const side = process.argv[2] ?? "weft"
const marks = [["node ready, script running", performance.now()]]
const mark = (label) => marks.push([label, performance.now()])
if (side === "weft") {
  const { Client } = await import("weft")
  mark("weft imported")
  const client = await Client.local({ workers: 2 })
  mark("Client.local resolved (2 workers ran a batch)")
  const value = await client.submit((x) => x + 1, 1).result()
  mark(`first result (${value})`)
  await client.close()
  mark("closed")
} else {
  const { Tinypool } = await import("tinypool")
  mark("tinypool imported")
  const pool = new Tinypool({
    filename: new URL("../baseline-worker.mjs", import.meta.url).href,
    minThreads: 2,
    maxThreads: 2
  })
  const value = await pool.run(1)
  mark(`first result (${value})`)
  await pool.destroy()
  mark("destroyed")
}
for (const [label, ms] of marks) console.log(`${ms.toFixed(1).padStart(7)} ms  ${label}`)
