// ESLint keeps the shape of the code (see CONTRIBUTING.md): files and functions stay short, and
// barrels stay curated. Layers and import circles are checked by dependency-cruiser
// (.dependency-cruiser.cjs), formatting by Prettier. Only these rules, on purpose: each one is a
// rule the project has agreed to keep, and `npm test` fails when one is broken.
import tseslint from "typescript-eslint"

/** Production code: what ships in dist/ (tests, fixtures, bench and examples are not held to the size rules). */
const production = [
  "core",
  "dsl",
  "scheduler",
  "executors",
  "cache",
  "runtime",
  "dashboard",
  "compiler",
  "testing",
  "cli"
].map((dir) => `${dir}/**/*.ts`)

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "**/fixtures/**", "coverage/**"] },
  {
    files: ["**/*.ts", "**/*.cts", "**/*.mts"],
    languageOptions: { parser: tseslint.parser },
    plugins: { "@typescript-eslint": tseslint.plugin },
    rules: {
      // A barrel lists what it exports: `export *` re-exports whatever a module adds later.
      "no-restricted-syntax": [
        "error",
        {
          selector: "ExportAllDeclaration[exported=null]",
          message: "List the exports (curated barrels): no `export *` (a namespace, `export * as X`, is fine)."
        }
      ]
    }
  },
  {
    files: production,
    ignores: ["**/*.test.ts", "**/*.test-d.ts", "**/*.case.ts"],
    rules: {
      "max-lines": ["error", { max: 400, skipBlankLines: true, skipComments: true }],
      "max-lines-per-function": ["error", { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }]
    }
  },
  {
    // OpenTelemetry loads only when asked for: only the `weft/tracing` entry imports it.
    files: production,
    ignores: ["runtime/tracing.ts", "runtime/tracing/**", "**/*.test.ts", "**/*.test-d.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@opentelemetry/*", "@effect/opentelemetry", "@effect/opentelemetry/*"],
              message: "OpenTelemetry is imported only by weft/tracing (runtime/tracing.ts, runtime/tracing/)."
            }
          ]
        }
      ]
    }
  }
)
