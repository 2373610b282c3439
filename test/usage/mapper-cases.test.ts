import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadCatalog } from '../../src/usage/catalog.js'
import { type ActionMapper, createActionMapper, type MapInput } from '../../src/usage/mapper.js'
import { actionNames } from './helpers.js'

/** A data-driven mapper case (fixtures/cases/mapper/*.json). */
export interface MapperCase {
  name: string
  event: Pick<MapInput, 'eventSource' | 'eventName' | 'requestParameters'>
  /** The exact set of actions. */
  actions?: string[]
  includes?: string[]
  /** Actions that must be marked as only possible (the request does not decide them). */
  possible?: string[]
}

export const MAPPER_CASES_DIR = 'fixtures/cases/mapper'

/** Every case file's cases, named `<file>: <case>`; set PICK_CASE to run the ones whose name contains it. */
export function mapperCases(): MapperCase[] {
  const pick = process.env.PICK_CASE
  return readdirSync(MAPPER_CASES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((file) => {
      const doc = JSON.parse(readFileSync(join(MAPPER_CASES_DIR, file), 'utf8')) as {
        cases: MapperCase[]
      }
      return doc.cases.map((c) => ({ ...c, name: `${file}: ${c.name}` }))
    })
    .filter((c) => !pick || c.name.includes(pick))
}

describe('mapper cases (fixtures/cases/mapper)', () => {
  let mapper: ActionMapper
  beforeAll(async () => {
    mapper = createActionMapper(await loadCatalog())
  })

  it('has cases to run', () => {
    expect(mapperCases().length).toBeGreaterThan(30)
  })

  it.each(mapperCases())('$name', (c) => {
    const result = mapper.map(c.event)
    expect(result.status).toBe('mapped')
    const names = actionNames(result)
    if (c.actions) expect(names).toEqual([...c.actions].sort())
    for (const action of c.includes ?? []) expect(names).toContain(action)
    const possible = result.actions
      .filter((a) => a.note?.startsWith('possible'))
      .map((a) => a.action)
    for (const action of c.possible ?? []) expect(possible).toContain(action)
    if (c.event.requestParameters !== undefined) {
      // A request that is known decides every header rule: nothing is left as "possible".
      const undecided = result.actions.filter((a) => /request does not show/.test(a.note ?? ''))
      expect(undecided).toEqual([])
    }
  })
})
