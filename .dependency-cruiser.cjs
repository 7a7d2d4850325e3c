// The layers (docs/architecture.md, CONTRIBUTING.md): each folder is one layer and imports only
// the layers listed for it. Type-only imports count (tsPreCompilationDeps), and so do circles.
// dependency-cruiser rather than an ESLint import rule: it resolves imports as TypeScript does
// (NodeNext, `.js` specifiers of `.ts` files), reports a circle once with its whole path, and
// checks the whole tree in about a second.
const layers = {
  core: ["core"],
  dsl: ["core", "dsl"],
  scheduler: ["core", "scheduler"],
  executors: ["core", "dsl", "executors"],
  cache: ["core", "dsl", "executors", "cache"],
  runtime: ["core", "dsl", "scheduler", "executors", "cache", "runtime"],
  dashboard: ["core", "dsl", "scheduler", "executors", "cache", "runtime", "dashboard"],
  compiler: ["core", "dsl", "compiler"],
  testing: ["core", "dsl", "runtime", "testing"],
  cli: Object.keys({
    core: 0,
    dsl: 0,
    scheduler: 0,
    executors: 0,
    cache: 0,
    runtime: 0,
    dashboard: 0,
    compiler: 0,
    testing: 0,
    cli: 0
  })
}
const all = Object.keys(layers)

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "An import circle: the modules on it cannot be understood, loaded or tested one at a time.",
      from: {},
      to: { circular: true }
    },
    ...Object.entries(layers).map(([layer, allowed]) => ({
      name: `layer-${layer}`,
      severity: "error",
      comment: `${layer}/ imports only ${allowed.join(", ")} (imports point down a layer, never up).`,
      from: { path: `^${layer}/`, pathNot: "\\.(test|test-d|case)\\.ts$" },
      to: { path: `^(${all.filter((l) => !allowed.includes(l)).join("|") || "$^"})/` }
    })),
    {
      name: "no-tests-in-production",
      severity: "error",
      comment: "Shipped code never imports tests, fixtures, benchmarks or examples.",
      from: { path: `^(${all.join("|")})/`, pathNot: "\\.(test|test-d|case)\\.ts$" },
      to: { path: "(^(test|bench|examples)/)|\\.(test|case)\\.ts$|/fixtures/" }
    },
    {
      name: "testing-uses-public-entries",
      severity: "error",
      comment:
        "weft/testing uses the public entry points and the one internal entry (runtime/internal/client-engine.ts).",
      from: { path: "^testing/", pathNot: "\\.(test|test-d)\\.ts$" },
      to: { path: "^runtime/", pathNot: "^runtime/(index|effect|internal/client-engine)\\.ts$" }
    }
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|node_modules)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".cts", ".mts"] }
  }
}
