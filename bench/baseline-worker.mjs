// The raw tinypool worker of the baseline side: the same trivial functions the weft side runs,
// as plain JavaScript that Node loads in a worker thread without a loader.
// Pick one with `pool.run(arg, { name })`; the default export is `inc`.

/** `x + 1`: the trivial task. */
export default function inc(x) {
  return x + 1
}

/** `x + 1` for 100 (or any number of) inputs in one message: the floor of scenario 1. */
export function incMany(xs) {
  const out = new Array(xs.length)
  for (let i = 0; i < xs.length; i++) out[i] = xs[i] + 1
  return out
}

/** The sum of an array of numbers. */
export function sum(xs) {
  let s = 0
  for (let i = 0; i < xs.length; i++) s += xs[i]
  return s
}

/** 10 ms of CPU: a busy loop checking `performance.now()`. */
export function spin10(tag) {
  const end = performance.now() + 10
  while (performance.now() < end) {
    // busy
  }
  return tag
}
