/**
 * HCL (Terraform) parsing with exact source positions.
 *
 * We use tree-sitter's HCL grammar (`@tree-sitter-grammars/tree-sitter-hcl`, Apache-2.0) through
 * `web-tree-sitter` (MIT): the grammar ships a WebAssembly build, so nothing native is compiled
 * and every node carries its offsets, which byte-exact edits need. The JSON-producing HCL parsers
 * on npm (`@cdktf/hcl2json`, `hcl2-parser`) drop positions and comments.
 *
 * The tree-sitter tree is copied into plain objects ({@link HclBody}) and freed at once, so the
 * rest of the code is synchronous and never leaks WebAssembly memory.
 */
import { createRequire } from 'node:module'
import { Language, type Node, Parser } from 'web-tree-sitter'
import type { Span } from './syntax-tree.js'

/** The attributes and nested blocks of a file or a block, in source order. */
export interface HclBody extends Span {
  attributes: readonly HclAttribute[]
  blocks: readonly HclBlock[]
}

/** `type "label" "label" { body }`, e.g. `resource "aws_iam_role" "app" { ... }`. */
export interface HclBlock extends Span {
  type: string
  labels: readonly string[]
  body: HclBody
}

/** `name = expression`. */
export interface HclAttribute extends Span {
  name: string
  nameSpan: Span
  expr: HclExpr
}

/** The expressions scopedown understands; anything else is `other` and kept verbatim. */
export type HclExpr =
  | (Span & { kind: 'literal'; value: string | number | boolean | null })
  | (Span & { kind: 'template'; source: string })
  | (Span & { kind: 'heredoc'; marker: string; indented: boolean; body: Span; templated: boolean })
  | (Span & { kind: 'tuple'; items: readonly HclExpr[] })
  | (Span & { kind: 'object'; elems: readonly HclObjectElem[] })
  | (Span & { kind: 'call'; name: string; args: readonly HclExpr[] })
  | (Span & { kind: 'reference'; path: readonly string[] })
  | (Span & { kind: 'other'; nodeType: string })

/** `key = value` inside an object expression; `key` is undefined for computed keys. */
export interface HclObjectElem extends Span {
  key: string | undefined
  keySpan: Span
  value: HclExpr
}

/** A parsed file: its top-level body, or the position of the first syntax error. */
export type HclParseResult = { ok: true; body: HclBody } | { ok: false; errorAt: number }

/** A loaded parser. Loading is async (WebAssembly); parsing is synchronous. */
export interface HclParser {
  parse(content: string): HclParseResult
}

let languageLoad: Promise<Language> | undefined

/** Load the Terraform grammar once per process and return a parser over it. */
export async function loadHclParser(): Promise<HclParser> {
  languageLoad ??= (async () => {
    await Parser.init()
    const require = createRequire(import.meta.url)
    return Language.load(
      require.resolve('@tree-sitter-grammars/tree-sitter-hcl/tree-sitter-terraform.wasm'),
    )
  })()
  const language = await languageLoad
  const parser = new Parser()
  parser.setLanguage(language)
  return {
    parse(content) {
      const tree = parser.parse(content)
      if (tree === null) return { ok: false, errorAt: 0 }
      try {
        const errorAt = firstError(tree.rootNode)
        if (errorAt !== undefined) return { ok: false, errorAt }
        return { ok: true, body: toBody(copy(tree.rootNode), content) }
      } finally {
        tree.delete()
      }
    },
  }
}

/** A plain copy of a tree-sitter node. */
interface Cst extends Span {
  type: string
  children: readonly Cst[]
  fields: Readonly<Record<string, Cst>>
}

function copy(node: Node): Cst {
  const children: Cst[] = []
  const fields: Record<string, Cst> = {}
  for (const [i, child] of node.children.entries()) {
    if (child === null) continue
    const c = copy(child)
    children.push(c)
    const field = node.fieldNameForChild(i)
    if (field) fields[field] = c
  }
  return { type: node.type, start: node.startIndex, end: node.endIndex, children, fields }
}

function firstError(node: Node): number | undefined {
  if (!node.hasError) return undefined
  if (node.isError || node.isMissing) return node.startIndex
  for (const child of node.children) {
    const at = child === null ? undefined : firstError(child)
    if (at !== undefined) return at
  }
  return node.startIndex
}

const childOf = (node: Cst, type: string) => node.children.find((c) => c.type === type)
const childrenOf = (node: Cst, type: string) => node.children.filter((c) => c.type === type)

function toBody(root: Cst, content: string): HclBody {
  const body = root.type === 'body' ? root : childOf(root, 'body')
  if (body === undefined) return { start: root.start, end: root.start, attributes: [], blocks: [] }
  return {
    start: body.start,
    end: body.end,
    attributes: childrenOf(body, 'attribute').map((a) => toAttribute(a, content)),
    blocks: childrenOf(body, 'block').map((b) => toBlock(b, content)),
  }
}

function toBlock(node: Cst, content: string): HclBlock {
  const name = childOf(node, 'identifier')
  const labels = node.children
    .filter((c) => c.type === 'string_lit' || (c.type === 'identifier' && c !== name))
    .map((c) =>
      c.type === 'string_lit' ? unquote(content.slice(c.start, c.end)) : text(c, content),
    )
  const open = childOf(node, 'block_start')
  const body = childOf(node, 'body')
  const empty = {
    start: open?.end ?? node.end,
    end: open?.end ?? node.end,
    attributes: [],
    blocks: [],
  }
  return {
    type: name ? text(name, content) : '',
    labels,
    body: body ? toBody(body, content) : empty,
    start: node.start,
    end: node.end,
  }
}

function toAttribute(node: Cst, content: string): HclAttribute {
  const name = childOf(node, 'identifier') as Cst
  const expr = childOf(node, 'expression') as Cst
  return {
    name: text(name, content),
    nameSpan: { start: name.start, end: name.end },
    expr: toExpr(expr, content),
    start: node.start,
    end: node.end,
  }
}

function toExpr(node: Cst, content: string): HclExpr {
  const span = { start: node.start, end: node.end }
  if (node.type === 'expression') {
    const parts = node.children.filter((c) => c.type !== 'comment')
    const [head, ...rest] = parts
    if (head === undefined) return { ...span, kind: 'other', nodeType: 'expression' }
    if (rest.length === 0) return { ...toExpr(head, content), ...span }
    if (head.type === 'variable_expr' && rest.every((r) => r.type === 'get_attr')) {
      const path = [head, ...rest].map((p) => text(p, content).replace(/^\./, '').trim())
      return { ...span, kind: 'reference', path }
    }
    return { ...span, kind: 'other', nodeType: 'expression' }
  }
  switch (node.type) {
    case 'literal_value':
    case 'collection_value':
    case 'template_expr':
      return toExpr(node.children[0] as Cst, content)
    case 'string_lit':
      return { ...span, kind: 'literal', value: unquote(content.slice(node.start, node.end)) }
    case 'numeric_lit':
      return { ...span, kind: 'literal', value: Number(text(node, content)) }
    case 'bool_lit':
      return { ...span, kind: 'literal', value: text(node, content) === 'true' }
    case 'null_lit':
      return { ...span, kind: 'literal', value: null }
    case 'quoted_template':
      return { ...span, kind: 'template', source: content.slice(node.start + 1, node.end - 1) }
    case 'heredoc_template':
      return toHeredoc(node, content)
    case 'variable_expr':
      return { ...span, kind: 'reference', path: [text(node, content)] }
    case 'tuple':
      return {
        ...span,
        kind: 'tuple',
        items: childrenOf(node, 'expression').map((e) => toExpr(e, content)),
      }
    case 'object':
      return {
        ...span,
        kind: 'object',
        elems: childrenOf(node, 'object_elem').map((e) => toElem(e, content)),
      }
    case 'function_call': {
      const name = childOf(node, 'identifier')
      const args = childOf(node, 'function_arguments')
      return {
        ...span,
        kind: 'call',
        name: name ? text(name, content) : '',
        args: args ? childrenOf(args, 'expression').map((e) => toExpr(e, content)) : [],
      }
    }
    default:
      return { ...span, kind: 'other', nodeType: node.type }
  }
}

function toElem(node: Cst, content: string): HclObjectElem {
  const keyNode = node.fields.key as Cst
  const valueNode = node.fields.val as Cst
  const key = toExpr(keyNode, content)
  let name: string | undefined
  if (key.kind === 'literal' && typeof key.value === 'string') name = key.value
  else if (key.kind === 'reference' && key.path.length === 1) name = key.path[0]
  return {
    key: name,
    keySpan: { start: keyNode.start, end: keyNode.end },
    value: toExpr(valueNode, content),
    start: node.start,
    end: node.end,
  }
}

function toHeredoc(node: Cst, content: string): HclExpr {
  const start = childOf(node, 'heredoc_start')
  const markers = childrenOf(node, 'heredoc_identifier')
  const open = markers[0]
  const close = markers[markers.length - 1]
  const bodyStart = open ? content.indexOf('\n', open.end) + 1 : node.start
  const bodyEnd = close ? content.lastIndexOf('\n', close.start - 1) + 1 : node.end
  return {
    kind: 'heredoc',
    marker: open ? text(open, content) : '',
    indented: start ? text(start, content) === '<<-' : false,
    body: { start: bodyStart, end: Math.max(bodyStart, bodyEnd) },
    templated: node.children.some(
      (c) => c.type === 'template_interpolation' || c.type === 'template_directive',
    ),
    start: node.start,
    end: node.end,
  }
}

function text(node: Cst, content: string): string {
  return content.slice(node.start, node.end)
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' }

/**
 * The value of a quoted HCL string without interpolation. `$${` and `%%{` stay as written, as in
 * Terraform's JSON syntax, so a value read here and written back is the same text.
 */
export function unquote(quoted: string): string {
  return quoted
    .slice(1, -1)
    .replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (whole, esc: string) => {
      if (esc.length > 1) return String.fromCodePoint(Number.parseInt(esc.slice(1), 16))
      return ESCAPES[esc] ?? whole
    })
}
