/**
 * How many cases a property test runs. `npm test` runs every property in full; `npm run
 * test:quick` sets `WEFT_QUICK=1` and runs a quarter of the cases (at least one) of the slow
 * properties that use this: the chaos test, the model-based test, the random DAGs, the editor
 * plugin's edits. The quick command is a check while you work, not the full check: run `npm test`
 * (or the file alone, without `WEFT_QUICK`) before you commit.
 */
export const propertyRuns = (full: number): number =>
  process.env.WEFT_QUICK === "1" ? Math.max(1, Math.ceil(full / 4)) : full
