import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * docs/cloudtrail-quirks.md lists 78 quirks (Q1..Q78). Every one is either the subject
 * of a test case here (tagged "Qn" in the test) or owned by another part of scopedown.
 */
const OWNED_ELSEWHERE: Record<number, string> = {
  60: 'source coverage: CloudTrail delivers up to ~15 minutes late, so the window end must trail now',
  67: 'source: org trails store logs under AWSLogs/<org-id>/<account-id>/, a file-layout concern',
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : /\.(ts|json)$/.test(entry.name)
        ? [join(dir, entry.name)]
        : [],
  )
}

const TEST_DIRS = ['test/usage', 'test/peers', 'test/commands']

function quirksTagged(): Map<number, string[]> {
  const tagged = new Map<number, string[]>()
  for (const dir of TEST_DIRS) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.test.ts'))) {
      const text = readFileSync(join(dir, file), 'utf8')
      for (const match of text.matchAll(/\bQ(\d{1,2})\b/g)) {
        const n = Number(match[1])
        tagged.set(n, [...new Set([...(tagged.get(n) ?? []), file])])
      }
    }
  }
  return tagged
}

describe('quirk index', () => {
  it('lives in the repository: docs/cloudtrail-quirks.md defines Q1..Q78, each once', () => {
    const doc = readFileSync('docs/cloudtrail-quirks.md', 'utf8')
    const defined = [...doc.matchAll(/^(\d{1,2})\. /gm)].map((m) => Number(m[1]))
    expect(defined).toEqual(Array.from({ length: 78 }, (_, i) => i + 1))
  })

  it('every Qn cited in src/ resolves to an entry of the index', () => {
    const cited = new Set<number>()
    for (const file of sourceFiles('src')) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\bQ(\d{1,3})\b/g))
        cited.add(Number(m[1]))
    }
    expect([...cited].filter((n) => n < 1 || n > 78)).toEqual([])
  })

  it('covers Q1..Q78: each quirk has a test case or a stated owner', () => {
    const tagged = quirksTagged()
    const uncovered = Array.from({ length: 78 }, (_, i) => i + 1).filter(
      (n) => !tagged.has(n) && !OWNED_ELSEWHERE[n],
    )
    expect(uncovered).toEqual([])
  })

  it('does not claim a quirk both ways', () => {
    const tagged = quirksTagged()
    const both = Object.keys(OWNED_ELSEWHERE).filter((n) => tagged.has(Number(n)))
    expect(both).toEqual([])
  })
})
