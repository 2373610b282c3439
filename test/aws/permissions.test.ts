import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { listOf, statementsOf } from '../../src/policy/document.js'
import { compileActionPatterns } from '../../src/policy/match.js'
import { parsePolicy } from '../../src/policy/parse.js'

const ROOT = resolve(import.meta.dirname, '../..')
const SRC = join(ROOT, 'src')
const EXAMPLES = join(ROOT, 'examples/iam')

/** IAM prefix of each AWS SDK client package scopedown imports. */
const PREFIX: Record<string, string> = {
  athena: 'athena',
  cloudtrail: 'cloudtrail',
  iam: 'iam',
  organizations: 'organizations',
  sts: 'sts',
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
}

/** Every `new XxxCommand(` in src/ whose Xxx is imported from an @aws-sdk client: the action it needs. */
function actionsSent(): { action: string; file: string }[] {
  const out: { action: string; file: string }[] = []
  for (const file of files(SRC)) {
    const text = readFileSync(file, 'utf8')
    const imported = new Map<string, string>()
    for (const m of text.matchAll(
      /import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z0-9-]+)'/g,
    )) {
      for (const name of (m[1] ?? '').split(',')) {
        const clean = name.replace(/\btype\b/, '').trim()
        if (clean.endsWith('Command')) imported.set(clean, m[2] ?? '')
      }
    }
    for (const m of text.matchAll(/new\s+([A-Za-z]+Command)\s*\(/g)) {
      const name = m[1] ?? ''
      const client = imported.get(name)
      if (client === undefined) continue
      const prefix = PREFIX[client]
      if (!prefix)
        throw new Error(
          `${relative(ROOT, file)}: no IAM prefix known for @aws-sdk/client-${client}`,
        )
      out.push({ action: `${prefix}:${name.replace(/Command$/, '')}`, file: relative(ROOT, file) })
    }
  }
  return out
}

describe('least privilege for scopedown itself', () => {
  it('every AWS request the code sends is allowed by a policy file under examples/iam/', () => {
    const allowed = readdirSync(EXAMPLES)
      .filter((f) => f.endsWith('.json') && !f.includes('trust'))
      .flatMap((f) => {
        const doc = parsePolicy(JSON.parse(readFileSync(join(EXAMPLES, f), 'utf8')), { label: f })
        return statementsOf(doc)
          .filter((s) => s.Effect === 'Allow')
          .flatMap((s) => listOf(s.Action))
      })
    const isAllowed = compileActionPatterns(allowed)
    const sent = actionsSent()
    // The scan finds the calls of every adapter: Organizations, IAM, STS, CloudTrail and Athena.
    expect(new Set(sent.map((s) => s.action.split(':')[0]))).toEqual(
      new Set(['athena', 'cloudtrail', 'iam', 'organizations', 'sts']),
    )
    expect(sent.length).toBeGreaterThan(15)
    expect(sent.filter((s) => !isAllowed(s.action))).toEqual([])
  })

  it('the audit role policy grants nothing that writes', () => {
    const doc = parsePolicy(
      JSON.parse(readFileSync(join(EXAMPLES, 'audit-role-policy.json'), 'utf8')),
    )
    const actions = statementsOf(doc).flatMap((s) => listOf(s.Action))
    expect(actions.filter((a) => !/:(Get|List|Describe|Generate)/.test(a))).toEqual([])
  })
})
