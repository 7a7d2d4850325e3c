// Scenario 3, weft side: a fresh `node` process (no tsx) that starts a 2-worker local cluster,
// submits one trivial task, prints its result and closes. The parent times spawn -> "result".
// `weft` resolves to the built package (/work/main/dist) by package self-reference.
import { Client } from "weft"

const client = await Client.local({ workers: 2 })
const value = await client.submit((x) => x + 1, 1).result()
process.stdout.write(`result ${value}\n`)
await client.close()
