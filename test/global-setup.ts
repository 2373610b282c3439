import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { ensureDemoLogs, organizationFingerprint } from '../fixtures/demo-org/cache.js'
import { DEMO_END } from '../fixtures/demo-org/org.js'

/**
 * Generates the demo organization's logs once per test run (cached across runs by manifest), so
 * test files share one copy instead of racing to write it.
 */
export default async function setup(project: TestProject): Promise<void> {
  const logs = await ensureDemoLogs({
    // One folder per organization definition: checkouts with different demo estates (branches,
    // worktrees) on one machine never regenerate each other's logs.
    outDir: join(tmpdir(), `scopedown-test-demo-logs-${organizationFingerprint().slice(0, 12)}`),
    end: new Date(DEMO_END),
  })
  project.provide('demoLogs', logs.dir)
}

declare module 'vitest' {
  export interface ProvidedContext {
    demoLogs: string
  }
}
