/**
 * Public means public: the type declarations a user of the published package can reach (from the
 * "types" of each entry in package.json "exports", following their imports) name nothing of the
 * engine, and they type-check on their own. Reads `dist/`: run `npm run build` first.
 */
import { existsSync, readFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"
import { describe, expect, test } from "vitest"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..")

/** The .d.ts files reachable from the package's entry points. */
function publishedDeclarations(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    exports: Record<string, string | { types?: string }>
  }
  const entries = Object.values(pkg.exports).flatMap((e) =>
    typeof e === "object" && e.types !== undefined ? [join(root, e.types)] : []
  )
  const seen = new Set<string>()
  const stack = [...entries]
  while (stack.length > 0) {
    const file = stack.pop()!
    if (seen.has(file)) continue
    seen.add(file)
    const text = readFileSync(file, "utf8")
    for (const match of text.matchAll(/(?:from\s+|import\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g)) {
      const target = resolve(dirname(file), match[1].replace(/\.js$/, ".d.ts"))
      expect(existsSync(target), `${relative(root, file)} imports ${match[1]}, which is not in dist`).toBe(true)
      stack.push(target)
    }
  }
  return [...seen].sort()
}

describe("the published type declarations", () => {
  const files = publishedDeclarations()

  test("are found from every entry point", () => {
    const names = files.map((f) => relative(root, f))
    expect(names).toContain("dist/runtime/index.d.ts")
    expect(names).toContain("dist/runtime/effect.d.ts")
    expect(names).toContain("dist/testing/index.d.ts")
    expect(names).toContain("dist/compiler/index.d.ts")
  })

  test("name nothing of the engine: no Engine, Scheduler or task record, nothing under runtime/internal/engine", () => {
    const leaks = files.flatMap((file) => {
      const text = readFileSync(file, "utf8")
      const found = text.match(/\b(Engine|Scheduler|TaskRecord\w*|Payload|Dispatcher)\b/g) ?? []
      return found.length === 0 ? [] : [`${relative(root, file)}: ${[...new Set(found)].join(", ")}`]
    })
    expect(leaks).toEqual([])
    const reached = files.map((f) => relative(root, f))
    expect(reached.filter((f) => /runtime\/internal\/(engine|dispatcher|task-record|client-engine)\./.test(f))).toEqual(
      []
    )
  })

  test("Client has no engine member, not even a private one, and no public constructor", () => {
    const text = readFileSync(join(root, "dist/runtime/Client.d.ts"), "utf8")
    const body = text.slice(text.indexOf("export declare class Client"))
    expect(body).not.toMatch(/^\s*(?:readonly\s+|private\s+|protected\s+|static\s+)*engine\b/m)
    expect(body).toMatch(/^\s*private constructor\(\);/m)
    const future = readFileSync(join(root, "dist/runtime/Future.d.ts"), "utf8")
    expect(future).toMatch(/^\s*private constructor\(\);/m)
    expect(future).not.toMatch(/\b(recordOf|engineOf)\b/)
  })

  test("type-check on their own (no error in any of them)", () => {
    const program = ts.createProgram(files, {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2023.d.ts", "lib.esnext.disposable.d.ts"],
      types: ["node"],
      strict: true,
      noEmit: true,
      skipLibCheck: false
    })
    const errors = files.flatMap((file) =>
      program
        .getSemanticDiagnostics(program.getSourceFile(file))
        .map((d) => `${relative(root, file)}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`)
    )
    expect(errors).toEqual([])
  }, 120_000)
})
