/**
 * Inline tasks the cache tests share: each runs 12 ms, past the write rule's 10 ms, so its result
 * is always written (docs/cache.md, "The write rule"). Plain functions: they travel as source.
 */

/** `x * 2`, after 12 ms of work. */
export const slowDouble = (x: number) => {
  const end = Date.now() + 12
  while (Date.now() < end);
  return x * 2
}

/** `a + b`, after 12 ms of work. */
export const slowAdd = (a: number, b: number) => {
  const end = Date.now() + 12
  while (Date.now() < end);
  return a + b
}
