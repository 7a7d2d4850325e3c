// Child of bench/profile/startup-timeline.mjs: `node --import startup-probe.mjs startup-child.mjs <side>`,
// <side> `raw` (a 2-thread Tinypool, one run) or a package directory holding a built weft in `dist/`
// (Client.local with 2 workers, one submit). Marks its phases with the probe's `__probe`.
const side = process.argv[2]
const mark = globalThis.__probe ?? (() => {})
if (side === "raw") {
  const { Tinypool } = await import("tinypool")
  mark("imported")
  const pool = new Tinypool({
    filename: new URL("../baseline-worker.mjs", import.meta.url).href,
    minThreads: 2,
    maxThreads: 2
  })
  const value = await pool.run(1)
  process.stdout.write(`result ${value}\n`)
  await pool.destroy()
} else {
  const { Client } = await import(new URL(`file://${side}/dist/runtime/index.js`).href)
  mark("imported")
  const client = await Client.local({ workers: 2 })
  mark("local resolved")
  const value = await client.submit((x) => x + 1, 1).result()
  process.stdout.write(`result ${value}\n`)
  await client.close()
}
mark("closed")
