import { describe, expect, it } from 'vitest'
import { createCatalog, loadCatalog, patternToRegExp } from '../../src/usage/catalog.js'

describe('action catalog', () => {
  it('loads the real catalog and answers case-insensitively', async () => {
    const catalog = await loadCatalog()
    expect(catalog.version).toMatch(/^@cloud-copilot\/iam-data \d/)
    expect(catalog.get('S3:getobject')?.action).toBe('s3:GetObject')
    expect(catalog.get('s3:NoSuchAction')).toBeUndefined()
    expect(catalog.hasService('IAM')).toBe(true)
    const gets = catalog.expand('s3:Get*').map((a) => a.action)
    expect(gets).toContain('s3:GetObject')
    expect(gets.every((a) => a.startsWith('s3:Get'))).toBe(true)
    expect(catalog.expand('*').length).toBeGreaterThan(15_000)
  })

  it('matches ? as one character and escapes regex metacharacters', () => {
    expect(patternToRegExp('ec2:Describe?pcs').test('ec2:DescribeVpcs')).toBe(true)
    expect(patternToRegExp('a.b').test('axb')).toBe(false)
    const small = createCatalog('test', [
      {
        action: 'x:ReadA',
        service: 'x',
        accessLevel: 'Read',
        resourceTypes: [],
        dependentActions: [],
      },
      {
        action: 'x:WriteA',
        service: 'x',
        accessLevel: 'Write',
        resourceTypes: [],
        dependentActions: [],
      },
    ])
    expect(small.expand('X:read*').map((a) => a.action)).toEqual(['x:ReadA'])
    expect(small.expand('*:*').length).toBe(2)
  })
})
