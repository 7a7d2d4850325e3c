/**
 * A real headless Chromium for the dashboard's browser tests: the system's Chromium (found as
 * programs.ts says), driven by playwright-core, which never downloads a browser of its own.
 */
import { type Browser, chromium as playwright, type LaunchOptions } from "playwright-core"
import { chromium, requireProgram } from "./programs.js"

/**
 * Flags for Chromium in a container and in CI: no sandbox (it needs user namespaces that a
 * container or root lacks), no GPU, and no traffic of its own (updates, field trials, safe browsing).
 */
export const chromiumArgs: ReadonlyArray<string> = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update"
]

/**
 * Launches headless Chromium. Close it with `browser.close()` (or `await using`); playwright
 * also kills it when this process exits. `options` are passed on; `args` are added to `chromiumArgs`.
 */
export function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  return playwright.launch({
    headless: true,
    timeout: 30_000,
    ...options,
    executablePath: options.executablePath ?? requireProgram(chromium),
    args: [...chromiumArgs, ...(options.args ?? [])]
  })
}
