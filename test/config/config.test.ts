import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli-program.js'
import { memoryIo } from '../../src/commands/io.js'
import { loadConfig, minCoverageDays, validateConfig } from '../../src/config/load.js'
import { configJsonSchema } from '../../src/config/schema.js'

async function writeConfig(content: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'scopedown-config-'))
  const file = join(dir, 'scopedown.config.json')
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content))
  return file
}

describe('config', () => {
  it('fills safe defaults: dry-run, 90 days, human and service-linked roles skipped', () => {
    const { config, issues } = validateConfig({ source: { type: 'duckdb', paths: ['logs'] } })
    expect(issues).toEqual([])
    expect(config?.publish.mode).toBe('dry-run')
    expect(config?.window.days).toBe(90)
    expect(config?.roles.includeHumanRoles).toBe(false)
    expect(config?.roles.includeServiceLinkedRoles).toBe(false)
    expect(config?.rules.protectedSidPrefix).toBe('ScopedownKeep')
    expect(config && minCoverageDays(config)).toBe(81)
  })

  it('lists every problem with its dotted path, not just the first', () => {
    const { issues } = validateConfig({
      source: { type: 'duckdb', paths: [] },
      roles: { accounts: ['12'] },
      publish: { mode: 'github' },
    })
    expect(issues.map((i) => i.path)).toEqual([
      'source.paths',
      'roles.accounts.0',
      'publish.github',
    ])
  })

  it('rejects an unknown source type and unknown keys', () => {
    const { issues } = validateConfig({ source: { type: 'splunk' }, extra: true })
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(['source.type', 'extra']))
  })

  it('resolves relative paths against the config file folder', async () => {
    const file = await writeConfig({
      source: { type: 'duckdb', paths: ['logs'] },
      repo: { path: 'repo' },
    })
    const config = await loadConfig(file)
    const dir = file.replace(/\/scopedown\.config\.json$/, '')
    expect(config.source.type === 'duckdb' && config.source.paths).toEqual([join(dir, 'logs')])
    expect(config.repo.path).toBe(join(dir, 'repo'))
  })

  it('validate-config exits 2 and prints each issue with its path', async () => {
    const file = await writeConfig({
      source: { type: 'duckdb', paths: ['x'] },
      window: { days: 0 },
    })
    const { io, stderr } = memoryIo()
    expect(await runCli(['validate-config', '--config', file], io)).toBe(2)
    expect(stderr()).toMatch(/window\.days: Too small/)
  })

  it('validate-config names a file that is not JSON', async () => {
    const file = await writeConfig('{ not json')
    const { io, stderr } = memoryIo()
    expect(await runCli(['validate-config', '--config', file], io)).toBe(2)
    expect(stderr()).toContain(`${file} is not valid JSON`)
  })

  it('validate-config accepts a good file', async () => {
    const file = await writeConfig({
      source: { type: 'athena', region: 'eu-west-1', database: 'd', table: 't' },
    })
    const { io, stdout } = memoryIo()
    expect(await runCli(['validate-config', '--config', file], io)).toBe(0)
    expect(stdout()).toContain('source athena')
  })

  it('the committed scopedown.schema.json matches the schema (run `npm run schema` to refresh)', async () => {
    const committed = JSON.parse(
      await readFile(new URL('../../scopedown.schema.json', import.meta.url), 'utf8'),
    )
    expect(committed).toEqual(configJsonSchema())
  })
})
