import { beforeAll, describe, expect, it } from 'vitest'
import { mapperCases } from '../../scripts/mapping-coverage.js'
import { loadCatalog } from '../../src/usage/catalog.js'
import { type ActionMapper, createActionMapper } from '../../src/usage/mapper.js'
import { actionNames } from './helpers.js'

describe('mapper cases (fixtures/cases/mapper)', () => {
  let mapper: ActionMapper
  beforeAll(async () => {
    mapper = createActionMapper(await loadCatalog())
  })

  it('has cases to run', () => {
    expect(mapperCases().length).toBeGreaterThan(30)
  })

  it.each(mapperCases(process.env.PICK_CASE))('$name', (c) => {
    const result = mapper.map(c.event)
    expect(result.status).toBe(c.status ?? 'mapped')
    const names = actionNames(result)
    if (c.actions) expect(names).toEqual([...c.actions].sort())
    for (const action of c.includes ?? []) expect(names).toContain(action)
    const possible = result.actions
      .filter((a) => a.note?.startsWith('possible'))
      .map((a) => a.action)
    for (const action of c.possible ?? []) expect(possible).toContain(action)
    if (c.event.requestParameters !== undefined) {
      // A request that is known decides every header rule: nothing is left as "possible".
      const undecided = result.actions.filter((a) =>
        /in the request, which is not known/.test(a.note ?? ''),
      )
      expect(undecided).toEqual([])
    }
  })
})
