import { mkdtemp, readdir, readFile, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateDemoLogs } from '../../fixtures/demo-org/generate.js'
import { DEMO_END, DEMO_TRAIL_DATA_EVENTS } from '../../fixtures/demo-org/org.js'
import { createRng } from '../../fixtures/demo-org/prng.js'
import { runCli } from '../../src/cli-program.js'
import { memoryIo } from '../../src/commands/io.js'
import { type ActionCatalog, loadCatalog } from '../../src/usage/catalog.js'
import { createActionMapper } from '../../src/usage/mapper.js'
import { demoRepoClone } from '../helpers/demo-repo.js'

/**
 * The ledger's promise as a property: for random estates (the demo organization generated with
 * other seeds) and random sets of unreadable files, no proposal removes an action that a role
 * used in a file that could not be read. The generator's records are the ground truth.
 */

interface Record_ {
  eventSource: string
  eventName: string
  requestParameters?: Record<string, unknown> | null
  errorCode?: string
  userIdentity?: { sessionContext?: { sessionIssuer?: { arn?: string } } }
}

let catalog: ActionCatalog
beforeAll(async () => {
  catalog = await loadCatalog()
})

async function gzFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.json.gz') && !e.name.includes('Digest'))
    .map((e) => join(e.parentPath, e.name))
    .sort()
}

/** Per role ARN, the IAM actions its allowed calls in `files` need. */
async function usedIn(files: readonly string[]): Promise<Map<string, Set<string>>> {
  const mapper = createActionMapper(catalog)
  const out = new Map<string, Set<string>>()
  for (const file of files) {
    const { Records } = JSON.parse(gunzipSync(await readFile(file)).toString('utf8')) as {
      Records: Record_[]
    }
    for (const r of Records) {
      const role = r.userIdentity?.sessionContext?.sessionIssuer?.arn
      if (!role || r.errorCode) continue
      const mapped = mapper.map({
        eventSource: r.eventSource,
        eventName: r.eventName,
        requestParameters: r.requestParameters ?? null,
      })
      const set = out.get(role) ?? new Set<string>()
      for (const a of mapped.actions) set.add(a.action.toLowerCase())
      out.set(role, set)
    }
  }
  return out
}

describe('no proposal removes an action used in an unreadable file', () => {
  it.each([
    { seed: 'holes-1', broken: 1 },
    { seed: 'holes-2', broken: 4 },
    { seed: 'holes-3', broken: 12 },
  ])(
    'estate $seed with $broken unreadable files',
    async ({ seed, broken }) => {
      const logs = await mkdtemp(join(tmpdir(), 'scopedown-holes-'))
      await generateDemoLogs({ outDir: logs, end: new Date(DEMO_END), seed })
      const rng = createRng(`${seed}|pick`)
      const files = await gzFiles(logs)
      const picked = new Set<string>()
      while (picked.size < broken) picked.add(files[rng.int(0, files.length - 1)] as string)
      const truth = await usedIn([...picked])
      for (const file of picked) await truncate(file, rng.int(20, 220))

      const repo = await demoRepoClone()
      const outDir = join(logs, '..', `${seed}-reports-${Date.now()}`)
      const config = join(logs, '..', `${seed}-config-${Date.now()}.json`)
      await writeFile(
        config,
        JSON.stringify({
          source: { type: 'duckdb', paths: [logs] },
          window: { days: 90, end: DEMO_END },
          repo: { path: repo },
          rules: { dataEvents: [...DEMO_TRAIL_DATA_EVENTS] },
          scps: [{ files: ['org/scps/protect-security-tooling.json'] }],
          publish: { mode: 'dry-run', outDir },
        }),
      )
      const { io } = memoryIo({ now: new Date(DEMO_END) })
      expect(await runCli(['run', '--config', config], io)).toBe(1)
      const report = JSON.parse(await readFile(join(outDir, 'run-report.json'), 'utf8'))
      expect(report.unreadable.count).toBe(broken)
      let checked = 0
      for (const outcome of report.outcomes as {
        role: { arn: string }
        status: string
        reportDir?: string
      }[]) {
        if (outcome.status !== 'tightened' || !outcome.reportDir) continue
        const plan = JSON.parse(await readFile(join(outcome.reportDir, 'plan.json'), 'utf8'))
        const removed = new Set((plan.removed as string[]).map((a) => a.toLowerCase()))
        for (const action of truth.get(outcome.role.arn) ?? []) {
          checked++
          expect(removed.has(action), `${outcome.role.arn} lost ${action}`).toBe(false)
        }
      }
      // Roles whose account lost files are not tightened at all; the others had nothing to lose.
      expect(checked).toBe(0)
    },
    240_000,
  )
})
