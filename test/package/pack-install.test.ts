import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assumedRole, event, writeS3Log } from '../source/cloudtrail-builders.js'
import { CURL_FROM_DISK, loadWorkflow, runStep, standIn, stepRunning } from './workflow.js'

/**
 * The package as users get it. `npm pack` (which builds dist/ through `prepack`) makes the
 * tarball; then, in empty folders and with dependencies from the npm registry, the two ways it
 * is installed: as a dependency (`npm install <tarball>`, for `import ... from 'scopedown'`), and
 * as the scheduled workflow does it (its install step, run as it is: the tarball checked by
 * SHA-256, extracted, then `npm ci --omit=dev --ignore-scripts` over the npm-shrinkwrap.json it
 * carries: exactly the tested dependency tree).
 * Everything then runs with plain Node: no tsx, no src/, no devDependencies.
 */
const ROOT = resolve(import.meta.dirname, '../..')
const run = promisify(execFile)
const BIG = { maxBuffer: 64 * 1024 * 1024 }
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string
  bin: Record<string, string>
  exports: Record<string, string | Record<string, string>>
  dependencies: Record<string, string>
}

let work: string
let packedFiles: string[]
/** `npm install <tarball>` in an empty project. */
let libraryDir: string
/** Where examples/github-actions/scopedown-monthly.yml's install step put the package. */
let appDir: string
let bin: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'scopedown-pack-'))
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: ROOT,
    ...BIG,
  })
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[]
  if (!info) throw new Error(`npm pack printed no package: ${packed.stdout}`)
  packedFiles = info.files.map((f) => f.path)
  const tarball = join(work, info.filename)

  libraryDir = join(work, 'library')
  await mkdir(libraryDir)
  await writeFile(
    join(libraryDir, 'package.json'),
    JSON.stringify({ name: 'scopedown-install-check', private: true, type: 'module' }),
  )
  // The workflow's own install step, with the tarball served from disk.
  const runner = join(work, 'runner')
  const tools = join(work, 'tools')
  await Promise.all([mkdir(runner), mkdir(tools)])
  standIn(tools, 'curl', CURL_FROM_DISK)
  const install = stepRunning(loadWorkflow(), /npm ci/)
  const githubPath = join(work, 'github-path')
  const env = {
    SCOPEDOWN_TARBALL_URL: tarball,
    SCOPEDOWN_TARBALL_SHA256: createHash('sha256').update(readFileSync(tarball)).digest('hex'),
    RUNNER_TEMP: runner,
    GITHUB_PATH: githubPath,
    // --prefer-offline: what npm ci already fetched comes from the local cache.
    npm_config_prefer_offline: 'true',
  }
  await Promise.all([
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], {
      cwd: libraryDir,
      ...BIG,
    }),
    runStep(loadWorkflow(), install, { cwd: work, env, path: tools }),
  ])
  appDir = join(runner, 'scopedown', 'package')
  bin = join(readFileSync(githubPath, 'utf8').trim(), 'scopedown')
}, 600_000)

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true })
})

/** Files under `dir` (relative to the repository), recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
}

describe('npm pack', () => {
  it('ships the compiled CLI and library, and no TypeScript sources or tests', () => {
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        'bin/scopedown.js',
        'dist/cli.js',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/usage/catalog-snapshot.json',
        'npm-shrinkwrap.json',
        'scopedown.schema.json',
      ]),
    )
    const leaked = packedFiles.filter((f) => /^(src|test|fixtures|bench|scripts)\//.test(f))
    expect(leaked).toEqual([])
    expect(packedFiles.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([])
  })

  it('ships every file the code reads at run time, where dist/ finds it as src/ does', () => {
    const queries = filesUnder('queries').filter((f) => f.endsWith('.sql'))
    expect(queries.length).toBeGreaterThan(5)
    expect(packedFiles).toEqual(expect.arrayContaining(queries))
    const data = filesUnder('src').filter((f) => f.endsWith('.json'))
    expect(data.length).toBeGreaterThan(3)
    expect(packedFiles).toEqual(
      expect.arrayContaining(data.map((f) => f.replace(/^src\//, 'dist/'))),
    )
  })

  it('points bin and exports at files in the pack', () => {
    const targets = [
      ...Object.values(PKG.bin),
      ...Object.values(PKG.exports).flatMap((t) =>
        typeof t === 'string' ? [t] : Object.values(t),
      ),
    ]
    for (const target of targets) expect(packedFiles).toContain(target.replace(/^\.\//, ''))
  })
})

describe('the installed package', () => {
  it('installs, from its shrinkwrap, the locked versions of its dependencies and no tsx', () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version: string }>
    }
    const installed = (dir: string, name: string) =>
      (
        JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as {
          version: string
        }
      ).version
    for (const name of Object.keys(PKG.dependencies)) {
      expect(`${name}@${installed(appDir, name)}`).toBe(
        `${name}@${lock.packages[`node_modules/${name}`]?.version}`,
      )
    }
    for (const dir of [appDir, libraryDir]) {
      expect(() => installed(dir, 'tsx')).toThrow()
      expect(() => installed(dir, 'typescript')).toThrow()
    }
  })

  it('runs the bin that npm links for a dependency', async () => {
    const linked = join(libraryDir, 'node_modules', '.bin', 'scopedown')
    const help = await run(linked, ['--help'], { cwd: libraryDir })
    expect(help.stdout).toContain('Usage: scopedown')
  })

  it('runs `scopedown --help` and `scopedown --version`', async () => {
    const help = await run(bin, ['--help'], { cwd: work })
    expect(help.stdout).toContain('Usage: scopedown')
    expect(help.stdout).toContain('explain-action')
    const version = await run(bin, ['--version'], { cwd: work })
    expect(version.stdout).toBe(`${PKG.version}\n`)
  })

  it('runs `scopedown usage` on CloudTrail files, reading its SQL from the package', async () => {
    const logs = join(work, 'logs')
    writeS3Log(logs, [
      event({
        time: '2026-10-10T10:00:00Z',
        source: 's3.amazonaws.com',
        name: 'ListBuckets',
        identity: assumedRole('reader'),
      }),
      event({
        time: '2026-10-11T10:00:00Z',
        source: 's3.amazonaws.com',
        name: 'ListBuckets',
        identity: assumedRole('reader'),
      }),
    ])
    const window = ['--start', '2026-10-01', '--end', '2026-10-31']
    const argv = ['usage', '--logs', logs, ...window, '--format', 'jsonl']
    const { stdout } = await run(bin, argv, { cwd: work })
    const rows = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(rows).toEqual([
      expect.objectContaining({
        principalArn: 'arn:aws:iam::111111111111:role/reader',
        eventSource: 's3.amazonaws.com',
        eventName: 'ListBuckets',
        count: 2,
      }),
    ])
  })

  it('runs `scopedown explain-action` with the catalog', async () => {
    const { stdout } = await run(bin, ['explain-action', 's3:GetObject'], { cwd: work })
    expect(stdout).toMatch(/^s3:GetObject {2}\(@cloud-copilot\/iam-data \d/)
  })

  it("plans a role with `import { planScopedown } from 'scopedown'` in plain Node", async () => {
    const script = `
      import { createObservability, loadCatalog, parsePolicy, planScopedown } from 'scopedown'
      const catalog = await loadCatalog()
      const window = { start: '2026-08-03T00:00:00.000Z', end: '2026-11-01T00:00:00.000Z' }
      const role = { accountId: '111111111111', name: 'app', path: '/', arn: 'arn:aws:iam::111111111111:role/app' }
      const observability = createObservability(catalog)
      const plan = planScopedown({
        role,
        createDate: '2025-01-01T00:00:00.000Z',
        policies: [{ id: 'inline:sqs', kind: 'inline', name: 'sqs', editable: true,
          document: parsePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }] }) }],
        usage: {
          principalArn: role.arn, window, denied: [], unmapped: [], permissionless: [],
          used: [{ action: 'sqs:SendMessage', calls: 5, firstSeen: window.start, lastSeen: '2026-10-20T00:00:00.000Z',
            resources: [], resourcesCapped: false, via: [] }],
          coverage: [{ accountId: '111111111111', region: 'eu-west-1', firstEvent: window.start,
            lastEvent: '2026-10-31T23:00:00.000Z', daysWithEvents: 90, missingDays: [] }],
        },
        rules: { neverRemove: [], protectedSidPrefix: 'ScopedownKeep', minRoleAgeDays: 30,
          minCoverageDays: 81, narrowResources: false, mode: 'batch' },
        observability: (action) => { const v = observability.classify(action); return { trusted: v.trusted, class: v.class } },
        now: window.end,
        source: 'duckdb',
      }, catalog)
      const kept = plan.decisions.filter((d) => d.verdict === 'keep').map((d) => d.action)
      console.log(JSON.stringify({ status: plan.status, kept, removed: plan.summary.removed }))
    `
    await writeFile(join(libraryDir, 'plan.mjs'), script)
    const { stdout } = await run(process.execPath, ['plan.mjs'], { cwd: libraryDir })
    const result = JSON.parse(stdout) as { status: string; kept: string[]; removed: number }
    expect(result.status).toBe('tighten')
    expect(result.kept).toContain('sqs:SendMessage')
    expect(result.kept).not.toContain('sqs:DeleteQueue')
    expect(result.removed).toBeGreaterThan(10)
  })
})
