/**
 * The contract every {@link PolicyFormat} keeps, run against each format's sample files:
 * - replacing a document with itself gives back the file byte for byte;
 * - a tightening edit changes nothing outside the document's span;
 * - the edited file still parses and holds exactly the new document.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { PolicyFormat } from '../../src/repo/types.js'
import { actionsOf, normalize, pruneActions } from './policy-edits.js'

export interface FormatSample {
  name: string
  path: string
  content: string
}

export function policyFormatContract(format: () => PolicyFormat, samples: readonly FormatSample[]) {
  describe(`PolicyFormat contract: ${samples.length} samples`, () => {
    it.each(samples)(
      '$name: replacing each document with itself is byte-identical',
      ({ path, content }) => {
        const found = format().extract(content, path)
        expect(found.length).toBeGreaterThan(0)
        for (const policy of found)
          expect(format().replace(content, policy, policy.document)).toBe(content)
      },
    )

    it.each(samples)('$name: a tightening edit stays inside its span', ({ path, content }) => {
      const f = format()
      const found = f.extract(content, path)
      fc.assert(
        fc.property(
          fc.nat({ max: found.length - 1 }),
          fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
          (which, mask) => {
            const policy = found[which]
            if (policy === undefined) return
            const actions = actionsOf(policy.document)
            const next = pruneActions(
              policy.document,
              (action) => mask[actions.findIndex((a) => a.action === action) % 40] ?? true,
            )
            const edited = f.replace(content, policy, next)
            const growth = edited.length - content.length
            expect(edited.slice(0, policy.span.start)).toBe(content.slice(0, policy.span.start))
            expect(edited.slice(policy.span.end + growth)).toBe(content.slice(policy.span.end))
            const again = f.extract(edited, path).find((p) => p.span.start === policy.span.start)
            expect(normalize(again?.document)).toEqual(normalize(next))
          },
        ),
        { numRuns: 25, seed: 20261122 },
      )
    })
  })
}
