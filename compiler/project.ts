/**
 * Loading the user's project with ts-morph and finding the functions annotated `@task` or `@graph`.
 *
 * Everything here is read-only: the compiler queries the AST and the type checker, and never edits
 * the user's sources (spec section 10).
 *
 * @module
 */
import {
  Node,
  Project,
  ts,
  type ArrowFunction,
  type FunctionDeclaration,
  type FunctionExpression,
  type JSDocTag,
  type SourceFile
} from "ts-morph"

/** Where the sources come from: a tsconfig on disk, or in-memory files (tests). */
export type LoadProjectOptions =
  | { readonly project?: string }
  | {
      /** Path (absolute, e.g. `/src/a.ts`) to source text. */
      readonly files: Readonly<Record<string, string>>
    }

/** Compiler options of in-memory projects: what `tsconfig.base.json` asks of weft users. */
const inMemoryCompilerOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  skipLibCheck: true,
  noEmit: true
}

/**
 * A ts-morph `Project`: from `tsconfig.json` (or the given tsconfig path) in the current directory,
 * or, with `files`, from in-memory sources on an in-memory file system (lib files included).
 */
export function loadProject(options: LoadProjectOptions = {}): Project {
  if ("files" in options) {
    const project = new Project({ useInMemoryFileSystem: true, compilerOptions: inMemoryCompilerOptions })
    for (const [path, text] of Object.entries(options.files)) project.createSourceFile(path, text, { overwrite: true })
    return project
  }
  return new Project({ tsConfigFilePath: options.project ?? "tsconfig.json" })
}

/** The annotation kinds the compiler knows. */
export type AnnotationKind = "task" | "graph"

/** A function with a `@task` or `@graph` JSDoc tag. */
export interface Annotated {
  readonly kind: AnnotationKind
  /** The function's name (for `const f = () => ...`, the variable's name). */
  readonly name: string
  /** The function itself. */
  readonly fn: FunctionDeclaration | FunctionExpression | ArrowFunction
  /** The node that carries the name: where diagnostics about the function point. */
  readonly nameNode: Node
  /** The statement that carries the JSDoc (the function declaration or the variable statement). */
  readonly statement: Node
  /** The `@task`/`@graph` tag. */
  readonly tag: JSDocTag
  /** The tag's text after the tag name, trimmed (`"impure retries=3"`); empty when there is none. */
  readonly tagText: string
  /** True when the statement is a direct child of the source file. */
  readonly moduleLevel: boolean
  readonly sourceFile: SourceFile
}

/**
 * True when only the comment's opening or leading `*` precede the tag on its line: TypeScript also
 * reads a tag in the middle of prose ("as @task names"), which is not an annotation.
 */
const startsLine = (tag: JSDocTag): boolean => {
  const text = tag.getSourceFile().getFullText()
  const start = tag.getStart()
  const lineStart = text.lastIndexOf("\n", start - 1) + 1
  return /^\s*(\/\*\*)?[\s*]*$/.test(text.slice(lineStart, start))
}

const annotationOf = (node: Node): { kind: AnnotationKind; tag: JSDocTag } | undefined => {
  if (!Node.isJSDocable(node)) return undefined
  for (const doc of node.getJsDocs()) {
    for (const tag of doc.getTags()) {
      const name = tag.getTagName()
      if ((name === "task" || name === "graph") && startsLine(tag)) return { kind: name, tag }
    }
  }
  return undefined
}

const tagTextOf = (tag: JSDocTag): string => (tag.getCommentText() ?? "").replace(/\s+/g, " ").trim()

/**
 * Every function annotated `@task` or `@graph` in the project's source files (declaration files
 * skipped), in file order then source order: function declarations anywhere (nested ones are
 * reported with `moduleLevel: false`, so that the checks can refuse them), and variable statements
 * whose single declaration is initialised with a function expression or an arrow function.
 */
export function findAnnotated(project: Project): Annotated[] {
  return findAnnotatedIn(project.getSourceFiles())
}

/** `findAnnotated` over some source files only (the editor plugin checks one file and what it uses). */
export function findAnnotatedIn(sourceFiles: ReadonlyArray<SourceFile>): Annotated[] {
  const found: Annotated[] = []
  const files = sourceFiles.filter((sf) => !sf.isDeclarationFile())
  files.sort((a, b) => (a.getFilePath() < b.getFilePath() ? -1 : a.getFilePath() > b.getFilePath() ? 1 : 0))
  for (const sourceFile of files) {
    // A file with neither tag in its text has no annotation: skip wrapping its every node.
    if (!/@(task|graph)/.test(sourceFile.getFullText())) continue
    sourceFile.forEachDescendant((node) => {
      if (Node.isFunctionDeclaration(node)) {
        const annotation = annotationOf(node)
        const nameNode = node.getNameNode()
        if (annotation === undefined || nameNode === undefined) return
        found.push({
          ...annotation,
          name: nameNode.getText(),
          fn: node,
          nameNode,
          statement: node,
          tagText: tagTextOf(annotation.tag),
          moduleLevel: Node.isSourceFile(node.getParent()),
          sourceFile
        })
      } else if (Node.isVariableStatement(node)) {
        const annotation = annotationOf(node)
        if (annotation === undefined) return
        for (const declaration of node.getDeclarations()) {
          const init = declaration.getInitializer()
          const nameNode = declaration.getNameNode()
          if (init === undefined || !Node.isIdentifier(nameNode)) continue
          if (!Node.isArrowFunction(init) && !Node.isFunctionExpression(init)) continue
          found.push({
            ...annotation,
            name: nameNode.getText(),
            fn: init,
            nameNode,
            statement: node,
            tagText: tagTextOf(annotation.tag),
            moduleLevel: Node.isSourceFile(node.getParent()),
            sourceFile
          })
        }
      }
    })
  }
  return found
}
