import { describe, expect, it } from 'vitest'
import { compileTemplate } from '../../src/repo/path-template.js'

describe('compileTemplate', () => {
  it.each([
    {
      template: 'accounts/{accountId}/roles/{roleName}/**/*.json',
      path: 'accounts/111111111111/roles/app/inline/s3.json',
      expected: { accountId: '111111111111', roleName: 'app' },
    },
    {
      template: 'accounts/{accountId}/roles/{roleName}/**/*.json',
      path: 'accounts/111111111111/roles/app/s3.json',
      expected: { accountId: '111111111111', roleName: 'app' },
    },
    {
      template: 'accounts/{accountId}/roles/{roleName}/*.json',
      path: 'accounts/1/roles/app/x/s3.json',
      expected: undefined,
    },
    {
      template: 'iam/{accountName}/{roleName}.json',
      path: 'iam/prod/app.json',
      expected: { accountName: 'prod', roleName: 'app' },
    },
    { template: 'a/{x}/b/{x}.json', path: 'a/q/b/q.json', expected: { x: 'q' } },
    { template: 'a/{x}/b/{x}.json', path: 'a/q/b/r.json', expected: undefined },
    { template: 'policies/?.json', path: 'policies/a.json', expected: {} },
  ])('$template matches $path', ({ template, path, expected }) => {
    expect(compileTemplate(template).match(path)).toEqual(expected)
  })

  it('only matches the values it is given', () => {
    const t = compileTemplate('accounts/{accountId}/roles/{roleName}/**/*.json')
    expect(t.match('accounts/111111111111/roles/app/a.json', { roleName: 'app' })).toBeDefined()
    expect(t.match('accounts/111111111111/roles/app/a.json', { roleName: 'other' })).toBeUndefined()
  })

  it('fills placeholders, or says it cannot', () => {
    const t = compileTemplate('accounts/{accountName}/roles/{roleName}/role.json')
    expect(t.fill({ accountName: 'prod', roleName: 'app' })).toBe(
      'accounts/prod/roles/app/role.json',
    )
    expect(t.fill({ roleName: 'app' })).toBeUndefined()
    expect(t.names).toEqual(['accountName', 'roleName'])
  })
})
