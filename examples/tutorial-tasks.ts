/**
 * The tutorial's task functions, registered so that workers can import them by module URL.
 * (Inline functions work too, see futures-tutorial.ts; registered tasks may use imports.)
 */
import { task } from "weft"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** inc(x) = x + 1, after a short pause to simulate work. */
export const inc = task(import.meta, async function inc(x: number) {
  await sleep(100)
  return x + 1
})

/** add(x, y) = x + y. */
export const add = task(import.meta, async function add(x: number, y: number) {
  await sleep(100)
  return x + y
})

/** Fails one time in five, like the tutorial's flaky_inc. */
export const flakyInc = task(import.meta, function flakyInc(i: number) {
  if (Math.random() < 0.2) throw new RangeError("You hit the error!")
  return i + 1
})

/** The sum of an array, like Python's built-in sum. */
export const sum = task(import.meta, function sum(xs: number[]) {
  return xs.reduce((a, b) => a + b, 0)
})
