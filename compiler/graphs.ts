/**
 * Compiles the body of a `@graph` function (the dataflow DSL of spec section 10) to a `GraphIr`,
 * reporting every construct the DSL does not have as a WEFT10nn diagnostic. Read-only: it only
 * queries the AST.
 *
 * Values that come from a task call (or a `get`/`map` of one) are *lazy*: they are Delayeds when
 * the graph is built, so they cannot be branched on, computed with, or passed to plain functions.
 * Parameters and literals are concrete.
 *
 * `.map` callbacks may use bindings of the enclosing graph. In the IR such a capture is a `literal`
 * node of the body whose value is `{ $node: -1 - i }`: node `i` of the enclosing graph (a negative
 * index always means "one level out"; a deeper capture is first captured by the middle level).
 *
 * @module
 */
import {
  Node,
  SyntaxKind,
  type ArrowFunction,
  type Expression,
  type FunctionDeclaration,
  type Statement
} from "ts-morph"
import type { DiagnosticCode, WeftDiagnostic } from "./diagnostics.js"
import { isIrRef, type GraphIr, type IrNode, type IrValue } from "../core/ir.js"

/** The result of `compileGraph`: the IR when the body has no error, and the diagnostics. */
export interface CompiledGraph {
  readonly ir: GraphIr | undefined
  readonly diagnostics: WeftDiagnostic[]
}

const hints = {
  1001: "move the logic into a @task, or map over the array",
  1002: "move it into a @task",
  1003: "make the function a @task, or move the call into a @task",
  1004: "a @graph body has const bindings, @task calls, array and object literals, property and index reads, .map and return; move the rest into a @task",
  1005: "make the list a parameter of the graph, or map inside a task",
  1006: "call a @task (or .map over an array); move other calls into a @task"
} as const satisfies Partial<Record<DiagnosticCode, string>>

type GraphCode = keyof typeof hints

/** What the compiler knows about a node: is it a Delayed (lazy), may it hold Delayeds (deep). */
interface NodeInfo {
  readonly lazy: boolean
  readonly deep: boolean
}

/** A compiled expression: an IR template. `undefined` stands for "already reported". */
type Val = IrValue

const poisoned = Symbol("poisoned")

class Scope {
  readonly nodes: IrNode[] = []
  readonly info: NodeInfo[] = []
  readonly bindings = new Map<string, Val | typeof poisoned>()
  /** Outer node index -> local capture node. */
  private readonly captures = new Map<number, number>()

  constructor(readonly parent: Scope | undefined) {}

  add(node: IrNode, info: NodeInfo): number {
    this.nodes.push(node)
    this.info.push(info)
    return this.nodes.length - 1
  }

  /** The binding `name`, captured from enclosing scopes when needed; `undefined` when unknown. */
  lookup(name: string): Val | typeof poisoned | undefined {
    const own = this.bindings.get(name)
    if (own !== undefined || this.bindings.has(name)) return own
    if (this.parent === undefined) return undefined
    const outer = this.parent.lookup(name)
    if (outer === undefined || outer === poisoned) return outer
    return this.capture(outer)
  }

  /** An enclosing scope's template, its node references replaced by local capture nodes. */
  private capture(value: Val): Val {
    return mapRefs(value, (outerIndex) => {
      let local = this.captures.get(outerIndex)
      if (local === undefined) {
        local = this.add({ kind: "literal", value: { $node: -1 - outerIndex } }, this.parent!.info[outerIndex])
        this.captures.set(outerIndex, local)
      }
      return local
    })
  }

  /** Is this template a Delayed when built? */
  lazy(value: Val): boolean {
    return isIrRef(value) && this.info[value.$node].lazy
  }

  /** Does this template hold (or may it be) a Delayed? */
  involvesLazy(value: Val): boolean {
    let found = false
    mapRefs(value, (i) => {
      if (this.info[i].lazy || this.info[i].deep) found = true
      return i
    })
    return found
  }

  /** The node index holding this template (a `literal` node unless it is a reference already). */
  materialize(value: Val): number {
    if (isIrRef(value)) return value.$node
    return this.add({ kind: "literal", value }, { lazy: false, deep: this.involvesLazy(value) })
  }
}

/** `value` with each `{ $node: i }` replaced by `{ $node: f(i) }`. */
function mapRefs(value: Val, f: (index: number) => number): Val {
  if (isIrRef(value)) return { $node: f(value.$node) }
  if (Array.isArray(value)) return value.map((v) => mapRefs(v, f))
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapRefs(v as Val, f)]))
  }
  return value
}

const arithmetic = new Set<SyntaxKind>([
  SyntaxKind.PlusToken,
  SyntaxKind.MinusToken,
  SyntaxKind.AsteriskToken,
  SyntaxKind.SlashToken,
  SyntaxKind.PercentToken,
  SyntaxKind.AsteriskAsteriskToken,
  SyntaxKind.LessThanToken,
  SyntaxKind.GreaterThanToken,
  SyntaxKind.LessThanEqualsToken,
  SyntaxKind.GreaterThanEqualsToken,
  SyntaxKind.EqualsEqualsToken,
  SyntaxKind.EqualsEqualsEqualsToken,
  SyntaxKind.ExclamationEqualsToken,
  SyntaxKind.ExclamationEqualsEqualsToken,
  SyntaxKind.AmpersandToken,
  SyntaxKind.BarToken,
  SyntaxKind.CaretToken,
  SyntaxKind.LessThanLessThanToken,
  SyntaxKind.GreaterThanGreaterThanToken,
  SyntaxKind.GreaterThanGreaterThanGreaterThanToken,
  SyntaxKind.InKeyword,
  SyntaxKind.InstanceOfKeyword
])
const logical = new Set<SyntaxKind>([
  SyntaxKind.AmpersandAmpersandToken,
  SyntaxKind.BarBarToken,
  SyntaxKind.QuestionQuestionToken
])

/**
 * Compiles `fn`, a `@graph` function. `tasks` maps the local names of the file's `@task` functions
 * to their task ids; `file` is the path diagnostics name. `ir` is `undefined` when there is any diagnostic.
 */
export function compileGraph(fn: FunctionDeclaration, tasks: ReadonlyMap<string, string>, file: string): CompiledGraph {
  const diagnostics: WeftDiagnostic[] = []
  const name = fn.getName() ?? "default"

  const report = (node: Node, code: GraphCode, message: string, hint: string = hints[code]): undefined => {
    const { line, column } = node.getSourceFile().getLineAndColumnAtPos(node.getStart())
    diagnostics.push({ code, file, line, column, message, hint })
    return undefined
  }
  const other = (node: Node, what: string): undefined => report(node, 1004, `${what} is not part of the @graph DSL`)
  const short = (node: Node): string => {
    const text = node.getText().replace(/\s+/g, " ")
    return text.length > 40 ? `${text.slice(0, 37)}...` : text
  }

  /** Compiles an expression; `undefined` when it was reported (or depends on something that was). */
  const expr = (node: Expression, scope: Scope): Val | undefined => {
    if (
      Node.isParenthesizedExpression(node) ||
      Node.isAsExpression(node) ||
      Node.isSatisfiesExpression(node) ||
      Node.isNonNullExpression(node)
    ) {
      return expr(node.getExpression(), scope)
    }
    if (Node.isTypeAssertion(node)) return expr(node.getExpression(), scope)
    if (Node.isNumericLiteral(node)) return node.getLiteralValue()
    if (Node.isStringLiteral(node) || Node.isNoSubstitutionTemplateLiteral(node)) return node.getLiteralValue()
    if (Node.isTrueLiteral(node)) return true
    if (Node.isFalseLiteral(node)) return false
    if (Node.isNullLiteral(node)) return null
    if (Node.isIdentifier(node)) {
      const text = node.getText()
      const found = scope.lookup(text)
      if (found === poisoned) return undefined
      if (found !== undefined) return found
      if (text === "undefined") return report(node, 1004, "undefined is not a value a graph can hold", "use null")
      if (tasks.has(text))
        return report(node, 1004, `the @task ${text} used as a value`, "call it: a @graph body only calls tasks")
      return report(
        node,
        1004,
        `${text} is not a parameter or const binding of this @graph`,
        "pass it as a parameter of the graph, or use it inside a @task"
      )
    }
    if (Node.isArrayLiteralExpression(node)) {
      const out: Val[] = []
      let failed = false
      for (const element of node.getElements()) {
        if (Node.isSpreadElement(element) || Node.isOmittedExpression(element)) {
          other(element, Node.isSpreadElement(element) ? "a spread element" : "a hole in an array literal")
          failed = true
          continue
        }
        const v = expr(element, scope)
        if (v === undefined) failed = true
        else out.push(v)
      }
      return failed ? undefined : out
    }
    if (Node.isObjectLiteralExpression(node)) {
      const out: Record<string, Val> = {}
      let failed = false
      for (const property of node.getProperties()) {
        if (Node.isPropertyAssignment(property)) {
          const key = property.getNameNode()
          if (!(Node.isIdentifier(key) || Node.isStringLiteral(key) || Node.isNumericLiteral(key))) {
            other(key, "a computed property name")
            failed = true
            continue
          }
          const v = expr(property.getInitializerOrThrow(), scope)
          if (v === undefined) failed = true
          else out[Node.isIdentifier(key) ? key.getText() : String(key.getLiteralValue())] = v
        } else if (Node.isShorthandPropertyAssignment(property)) {
          const v = expr(property.getNameNode(), scope)
          if (v === undefined) failed = true
          else out[property.getName()] = v
        } else {
          other(
            property,
            Node.isSpreadAssignment(property)
              ? "a spread in an object literal"
              : "a method or accessor in an object literal"
          )
          failed = true
        }
      }
      return failed ? undefined : out
    }
    if (Node.isPropertyAccessExpression(node) || Node.isElementAccessExpression(node)) {
      const base = expr(node.getExpression(), scope)
      if (base === undefined) return undefined
      if (node.hasQuestionDotToken()) {
        return scope.involvesLazy(base)
          ? report(node, 1001, `optional chaining on the lazy value ${short(node.getExpression())} branches on it`)
          : other(node, "optional chaining")
      }
      let key: string | number
      if (Node.isPropertyAccessExpression(node)) key = node.getName()
      else {
        const arg = node.getArgumentExpressionOrThrow()
        if (Node.isNumericLiteral(arg) || Node.isStringLiteral(arg) || Node.isNoSubstitutionTemplateLiteral(arg))
          key = arg.getLiteralValue()
        else {
          const k = expr(arg, scope)
          if (k === undefined) return undefined
          return scope.involvesLazy(k)
            ? report(arg, 1002, `indexing with the lazy value ${short(arg)}`)
            : other(arg, "an index that is not a number or string literal")
        }
      }
      // Reads of a literal written in this body resolve now.
      if (Array.isArray(base) && typeof key === "number" && Number.isInteger(key) && key >= 0 && key < base.length)
        return base[key]
      if (Array.isArray(base) && key === "length") return base.length
      if (
        typeof base === "object" &&
        base !== null &&
        !Array.isArray(base) &&
        !isIrRef(base) &&
        Object.hasOwn(base, String(key))
      ) {
        return (base as Record<string, Val>)[String(key)]
      }
      const from = scope.materialize(base)
      const info = scope.info[from]
      const lazy = info.lazy || info.deep
      return { $node: scope.add({ kind: "get", from, key }, { lazy, deep: lazy }) }
    }
    if (Node.isCallExpression(node)) return call(node, scope)
    if (Node.isBinaryExpression(node)) {
      const op = node.getOperatorToken().getKind()
      const kind = logical.has(op) ? "logic" : arithmetic.has(op) ? "arith" : "other"
      if (kind === "other") return other(node, op === SyntaxKind.CommaToken ? "the comma operator" : "an assignment")
      const left = expr(node.getLeft(), scope)
      const right = expr(node.getRight(), scope)
      if (left === undefined || right === undefined) return undefined
      if (scope.involvesLazy(left) || scope.involvesLazy(right)) {
        const opText = node.getOperatorToken().getText()
        return kind === "logic"
          ? report(node, 1001, `${opText} branches on a lazy value (${short(node)})`)
          : report(node, 1002, `${opText} on a lazy value (${short(node)})`)
      }
      return other(
        node,
        kind === "logic"
          ? `the operator ${node.getOperatorToken().getText()}`
          : `arithmetic or comparison (${short(node)})`
      )
    }
    if (Node.isPrefixUnaryExpression(node)) {
      const op = node.getOperatorToken()
      const operand = node.getOperand()
      if (op === SyntaxKind.MinusToken && Node.isNumericLiteral(operand)) return -operand.getLiteralValue()
      if (op === SyntaxKind.PlusPlusToken || op === SyntaxKind.MinusMinusToken)
        return other(node, "an increment or decrement")
      const v = expr(operand, scope)
      if (v === undefined) return undefined
      if (scope.involvesLazy(v)) {
        return op === SyntaxKind.ExclamationToken
          ? report(node, 1001, `! branches on the lazy value ${short(operand)}`)
          : report(node, 1002, `arithmetic on the lazy value ${short(operand)}`)
      }
      return other(node, `the operator in ${short(node)}`)
    }
    if (Node.isConditionalExpression(node)) {
      const condition = expr(node.getCondition(), scope)
      if (condition === undefined) return undefined
      if (scope.involvesLazy(condition))
        return report(node, 1001, `?: branches on the lazy value ${short(node.getCondition())}`)
      return other(node, "a conditional expression")
    }
    if (Node.isTemplateExpression(node)) {
      let lazy = false
      for (const span of node.getTemplateSpans()) {
        const v = expr(span.getExpression(), scope)
        if (v === undefined) return undefined
        if (scope.involvesLazy(v)) lazy = true
      }
      return lazy
        ? report(node, 1002, `a template literal on a lazy value`)
        : other(node, "a template literal with substitutions")
    }
    if (Node.isAwaitExpression(node)) return other(node, "await")
    if (Node.isNewExpression(node)) return other(node, "new")
    if (Node.isArrowFunction(node) || Node.isFunctionExpression(node))
      return other(node, "a function other than a .map callback")
    if (Node.isClassExpression(node)) return other(node, "a class")
    return other(node, `the expression ${short(node)}`)
  }

  const call = (node: import("ts-morph").CallExpression, scope: Scope): Val | undefined => {
    const callee = node.getExpression()
    const args = node.getArguments()
    // A @task call (unless a local binding shadows the name).
    if (Node.isIdentifier(callee) && tasks.has(callee.getText()) && scope.lookup(callee.getText()) === undefined) {
      const out: Val[] = []
      let failed = false
      for (const arg of args) {
        if (Node.isSpreadElement(arg)) {
          other(arg, "a spread argument")
          failed = true
          continue
        }
        const v = expr(arg as Expression, scope)
        if (v === undefined) failed = true
        else out.push(v)
      }
      if (failed) return undefined
      return {
        $node: scope.add({ kind: "call", task: tasks.get(callee.getText())!, args: out }, { lazy: true, deep: false })
      }
    }
    if (Node.isPropertyAccessExpression(callee) && callee.getName() === "map" && !callee.hasQuestionDotToken()) {
      const over = expr(callee.getExpression(), scope)
      if (over === undefined) return undefined
      if (scope.lazy(over)) {
        return report(
          node,
          1005,
          `.map over ${short(callee.getExpression())}, which comes from a task: fan-out at run time is not supported yet`
        )
      }
      const callback = args[0]
      if (args.length !== 1 || !Node.isArrowFunction(callback)) {
        return report(node, 1004, ".map takes one arrow function in a @graph body", "write .map((x) => ...)")
      }
      const params = callback.getParameters()
      const param = params[0]
      if (
        params.length !== 1 ||
        !Node.isIdentifier(param.getNameNode()) ||
        param.hasInitializer() ||
        param.isRestParameter()
      ) {
        return report(
          callback,
          1004,
          "a .map callback in a @graph body takes exactly one parameter, the element",
          "write .map((x) => ...); pair elements with their index in a parameter of the graph"
        )
      }
      const overIndex = scope.materialize(over)
      const overInfo = scope.info[overIndex]
      const body = compileBody(callback, param.getName(), `${name}.map`, scope, {
        lazy: overInfo.deep,
        deep: overInfo.deep
      })
      if (body === undefined) return undefined
      const out = body.scope.info[body.ir.output]
      return {
        $node: scope.add({ kind: "map", over: overIndex, body: body.ir }, { lazy: false, deep: out.lazy || out.deep })
      }
    }
    // Neither a task nor .map: report 1003 if a lazy value goes in, else 1006.
    let lazyArg: Node | undefined
    let failed = false
    for (const arg of args) {
      if (Node.isSpreadElement(arg)) continue
      const v = expr(arg as Expression, scope)
      if (v === undefined) failed = true
      else if (lazyArg === undefined && scope.involvesLazy(v)) lazyArg = arg
    }
    if (lazyArg !== undefined) {
      return report(node, 1003, `the lazy value ${short(lazyArg)} is passed to ${short(callee)}, which is not a @task`)
    }
    if (failed) return undefined
    return report(node, 1006, `${short(callee)} is neither a @task nor .map`)
  }

  /** The statements of a body (a function's, or an arrow's block), ending with `return`. */
  const statements = (list: Statement[], scope: Scope, where: Node): Val | undefined => {
    let result: Val | undefined
    let returned = false
    let failed = false
    for (const statement of list) {
      if (returned) {
        other(statement, "a statement after return")
        failed = true
        break
      }
      if (Node.isVariableStatement(statement)) {
        if (statement.getDeclarationKind() !== "const") {
          other(statement, `a ${statement.getDeclarationKind()} declaration (bindings are const)`)
          failed = true
          for (const d of statement.getDeclarations())
            if (Node.isIdentifier(d.getNameNode())) scope.bindings.set(d.getName(), poisoned)
          continue
        }
        for (const declaration of statement.getDeclarations()) {
          const nameNode = declaration.getNameNode()
          const init = declaration.getInitializer()
          if (!Node.isIdentifier(nameNode)) {
            other(nameNode, "a destructuring binding")
            failed = true
            for (const id of nameNode.getDescendantsOfKind(SyntaxKind.Identifier))
              scope.bindings.set(id.getText(), poisoned)
            continue
          }
          if (init === undefined) {
            other(declaration, "a const without a value")
            failed = true
            scope.bindings.set(nameNode.getText(), poisoned)
            continue
          }
          const v = expr(init, scope)
          if (v === undefined) failed = true
          scope.bindings.set(nameNode.getText(), v === undefined ? poisoned : v)
        }
        continue
      }
      if (Node.isReturnStatement(statement)) {
        returned = true
        const e = statement.getExpression()
        if (e === undefined) {
          other(statement, "return without a value")
          failed = true
          continue
        }
        result = expr(e, scope)
        if (result === undefined) failed = true
        continue
      }
      failed = true
      statementError(statement, scope)
    }
    if (!returned && !failed) return other(where, "a @graph body without a return at its end")
    return failed ? undefined : result
  }

  /** Reports a statement the DSL does not have: 1001 when it branches or loops on a lazy value. */
  const statementError = (statement: Statement, scope: Scope): void => {
    const lazyCondition = (e: Expression | undefined): boolean | undefined => {
      if (e === undefined) return false
      const v = expr(e, scope)
      return v === undefined ? undefined : scope.involvesLazy(v)
    }
    const branch = (e: Expression | undefined, what: string): void => {
      const lazy = lazyCondition(e)
      if (lazy === undefined) return
      if (lazy) report(statement, 1001, `${what} on the lazy value ${short(e!)}`)
      else other(statement, what)
    }
    if (Node.isIfStatement(statement)) return branch(statement.getExpression(), "if")
    if (Node.isSwitchStatement(statement)) return branch(statement.getExpression(), "switch")
    if (Node.isWhileStatement(statement) || Node.isDoStatement(statement))
      return branch(statement.getExpression(), "a loop")
    if (Node.isForStatement(statement)) return branch(statement.getCondition(), "a for loop")
    if (Node.isForOfStatement(statement) || Node.isForInStatement(statement))
      return branch(statement.getExpression(), "a for loop")
    if (Node.isExpressionStatement(statement)) {
      const before = diagnostics.length
      const e = statement.getExpression()
      if (
        Node.isBinaryExpression(e) &&
        e.getOperatorToken().getKind() >= SyntaxKind.FirstAssignment &&
        e.getOperatorToken().getKind() <= SyntaxKind.LastAssignment
      ) {
        other(statement, "an assignment")
        return
      }
      expr(e, scope)
      if (diagnostics.length === before)
        other(statement, "an expression whose value is not used (bind it with const, or return it)")
      return
    }
    if (Node.isClassDeclaration(statement)) return void other(statement, "a class")
    if (Node.isFunctionDeclaration(statement)) return void other(statement, "a nested function")
    if (Node.isBlock(statement)) return void other(statement, "a block")
    if (Node.isTryStatement(statement)) return void other(statement, "try")
    if (Node.isThrowStatement(statement)) return void other(statement, "throw")
    other(statement, `the statement ${short(statement)}`)
  }

  /** A `.map` callback's body, compiled to its own graph with one parameter (the element). */
  const compileBody = (
    callback: ArrowFunction,
    paramName: string,
    graphName: string,
    parent: Scope,
    element: NodeInfo
  ): { ir: GraphIr; scope: Scope } | undefined => {
    const scope = new Scope(parent)
    scope.bindings.set(paramName, { $node: scope.add({ kind: "param", name: paramName, index: 0 }, element) })
    if (callback.isAsync()) return other(callback, "an async .map callback")
    const body = callback.getBody()
    const result = Node.isBlock(body)
      ? statements(body.getStatements(), scope, callback)
      : expr(body as Expression, scope)
    if (result === undefined) return undefined
    const output = scope.materialize(result)
    return { ir: { version: 1, name: graphName, params: [paramName], nodes: scope.nodes, output }, scope }
  }

  const scope = new Scope(undefined)
  const params: string[] = []
  let paramsOk = true
  for (const [index, param] of fn.getParameters().entries()) {
    const nameNode = param.getNameNode()
    if (!Node.isIdentifier(nameNode) || param.hasInitializer() || param.isRestParameter()) {
      other(param, "a destructured, default or rest parameter")
      paramsOk = false
      for (const id of nameNode.getDescendantsOfKind(SyntaxKind.Identifier)) scope.bindings.set(id.getText(), poisoned)
      if (Node.isIdentifier(nameNode)) scope.bindings.set(nameNode.getText(), poisoned)
      continue
    }
    params.push(nameNode.getText())
    scope.bindings.set(nameNode.getText(), {
      $node: scope.add({ kind: "param", name: nameNode.getText(), index }, { lazy: false, deep: false })
    })
  }
  if (fn.isGenerator()) other(fn, "a generator function")
  const body = fn.getBody()
  const result =
    body !== undefined && Node.isBlock(body)
      ? statements(body.getStatements(), scope, fn.getNameNode() ?? fn)
      : other(fn, "a @graph without a body")
  if (result === undefined || !paramsOk || diagnostics.length > 0) return { ir: undefined, diagnostics }
  const output = scope.materialize(result)
  return { ir: { version: 1, name, params, nodes: scope.nodes, output }, diagnostics }
}
