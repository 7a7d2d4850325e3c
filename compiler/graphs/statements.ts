/**
 * Statements of a `@graph` body (or of a `.map` callback's block): `const` bindings and a final
 * `return`. Any other statement is WEFT1004, or WEFT1001 when it branches or loops on a lazy value.
 *
 * @module
 */
import {
  Node,
  SyntaxKind,
  type Expression,
  type ReturnStatement,
  type Statement,
  type VariableStatement
} from "ts-morph"
import { short, type GraphContext } from "./context.js"
import { poisoned, type Scope, type Val } from "./scope.js"

/** The statements of a body, ending with `return`: its value, or `undefined` when anything was reported. */
export function compileStatements(list: Statement[], scope: Scope, where: Node, cx: GraphContext): Val | undefined {
  let result: Val | undefined
  let returned = false
  let failed = false
  for (const statement of list) {
    if (returned) {
      cx.other(statement, "a statement after return")
      failed = true
      break
    }
    if (Node.isVariableStatement(statement)) {
      if (!bindConsts(statement, scope, cx)) failed = true
      continue
    }
    if (Node.isReturnStatement(statement)) {
      returned = true
      result = returnValue(statement, scope, cx)
      if (result === undefined) failed = true
      continue
    }
    failed = true
    statementError(statement, scope, cx)
  }
  if (!returned && !failed) return cx.other(where, "a @graph body without a return at its end")
  return failed ? undefined : result
}

/**
 * Binds the `const` declarations of `statement`; false when anything was reported. A name whose
 * declaration was reported is bound as `poisoned`, so that its uses report nothing more.
 */
function bindConsts(statement: VariableStatement, scope: Scope, cx: GraphContext): boolean {
  if (statement.getDeclarationKind() !== "const") {
    cx.other(statement, `a ${statement.getDeclarationKind()} declaration (bindings are const)`)
    for (const d of statement.getDeclarations())
      if (Node.isIdentifier(d.getNameNode())) scope.bindings.set(d.getName(), poisoned)
    return false
  }
  let ok = true
  for (const declaration of statement.getDeclarations()) {
    const nameNode = declaration.getNameNode()
    const init = declaration.getInitializer()
    if (!Node.isIdentifier(nameNode)) {
      cx.other(nameNode, "a destructuring binding")
      ok = false
      for (const id of nameNode.getDescendantsOfKind(SyntaxKind.Identifier)) scope.bindings.set(id.getText(), poisoned)
      continue
    }
    if (init === undefined) {
      cx.other(declaration, "a const without a value")
      ok = false
      scope.bindings.set(nameNode.getText(), poisoned)
      continue
    }
    const v = cx.expression(init, scope)
    if (v === undefined) ok = false
    scope.bindings.set(nameNode.getText(), v === undefined ? poisoned : v)
  }
  return ok
}

function returnValue(statement: ReturnStatement, scope: Scope, cx: GraphContext): Val | undefined {
  const e = statement.getExpression()
  if (e === undefined) return cx.other(statement, "return without a value")
  return cx.expression(e, scope)
}

/** Reports a statement the DSL does not have: WEFT1001 when it branches or loops on a lazy value. */
function statementError(statement: Statement, scope: Scope, cx: GraphContext): void {
  const branch = (e: Expression | undefined, what: string): void => branchError(statement, e, what, scope, cx)
  if (Node.isIfStatement(statement)) return branch(statement.getExpression(), "if")
  if (Node.isSwitchStatement(statement)) return branch(statement.getExpression(), "switch")
  if (Node.isWhileStatement(statement) || Node.isDoStatement(statement))
    return branch(statement.getExpression(), "a loop")
  if (Node.isForStatement(statement)) return branch(statement.getCondition(), "a for loop")
  if (Node.isForOfStatement(statement) || Node.isForInStatement(statement))
    return branch(statement.getExpression(), "a for loop")
  if (Node.isExpressionStatement(statement))
    return expressionStatementError(statement.getExpression(), statement, scope, cx)
  if (Node.isClassDeclaration(statement)) return void cx.other(statement, "a class")
  if (Node.isFunctionDeclaration(statement)) return void cx.other(statement, "a nested function")
  if (Node.isBlock(statement)) return void cx.other(statement, "a block")
  if (Node.isTryStatement(statement)) return void cx.other(statement, "try")
  if (Node.isThrowStatement(statement)) return void cx.other(statement, "throw")
  cx.other(statement, `the statement ${short(statement)}`)
}

/** A branch or loop: WEFT1001 when its condition is lazy, WEFT1004 when not, nothing more when the condition was reported. */
function branchError(
  statement: Statement,
  condition: Expression | undefined,
  what: string,
  scope: Scope,
  cx: GraphContext
): void {
  if (condition === undefined) return void cx.other(statement, what)
  const v = cx.expression(condition, scope)
  if (v === undefined) return
  if (scope.involvesLazy(v)) cx.report(statement, 1001, `${what} on the lazy value ${short(condition)}`)
  else cx.other(statement, what)
}

/** An expression statement: an assignment, or a value not used (unless the expression reported something). */
function expressionStatementError(e: Expression, statement: Statement, scope: Scope, cx: GraphContext): void {
  if (
    Node.isBinaryExpression(e) &&
    e.getOperatorToken().getKind() >= SyntaxKind.FirstAssignment &&
    e.getOperatorToken().getKind() <= SyntaxKind.LastAssignment
  ) {
    cx.other(statement, "an assignment")
    return
  }
  const before = cx.diagnostics.length
  cx.expression(e, scope)
  if (cx.diagnostics.length === before)
    cx.other(statement, "an expression whose value is not used (bind it with const, or return it)")
}
