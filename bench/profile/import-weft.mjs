// Profiling aid for scenario 3: what importing the built weft costs.
//   env -u NODE_EXTRA_CA_CERTS node --cpu-prof --cpu-prof-dir=/tmp/weft-import bench/profile/import-weft.mjs
const start = performance.now()
await import("weft")
console.log(`import weft: ${(performance.now() - start).toFixed(1)} ms`)
