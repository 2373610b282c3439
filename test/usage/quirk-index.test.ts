import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * shared/design/cloudtrail-to-iam.md lists 78 quirks (Q1..Q78). Every one is either the subject
 * of a test case here (tagged "Qn" in the test) or owned by another part of scopedown.
 */
const OWNED_ELSEWHERE: Record<number, string> = {
  60: 'source coverage: CloudTrail delivers up to ~15 minutes late, so the window end must trail now',
  67: 'source: org trails store logs under AWSLogs/<org-id>/<account-id>/, a file-layout concern',
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
