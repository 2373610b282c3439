/**
 * Reading and running the example GitHub Actions workflow (examples/github-actions/) in tests:
 * its `run:` scripts are executed with bash as the runner would, with the tools they call
 * outside the test's reach (aws, curl) replaced by recording stand-ins on PATH.
 */
import { execFile } from 'node:child_process'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { parse } from 'yaml'

export const EXAMPLE_DIR = resolve(import.meta.dirname, '../../examples/github-actions')
export const WORKFLOW_FILE = join(EXAMPLE_DIR, 'scopedown-monthly.yml')

export interface WorkflowStep {
  name?: string
  uses?: string
  run?: string
  with?: Record<string, unknown>
  env?: Record<string, string>
}

export interface Workflow {
  name: string
  on: Record<string, unknown>
  permissions: Record<string, string>
  env: Record<string, string | number>
  jobs: Record<string, { 'runs-on': string; steps: WorkflowStep[] }>
}

/** The workflow, parsed with a real YAML parser (a syntax error throws). */
export function loadWorkflow(): Workflow {
  return parse(readFileSync(WORKFLOW_FILE, 'utf8'), { strict: true, uniqueKeys: true }) as Workflow
}

export function allSteps(workflow: Workflow): WorkflowStep[] {
  return Object.values(workflow.jobs).flatMap((job) => job.steps)
}

/** The one step whose script matches `pattern`; throws when there is none or several. */
export function stepRunning(workflow: Workflow, pattern: RegExp): WorkflowStep & { run: string } {
  const steps = allSteps(workflow).filter((s) => s.run !== undefined && pattern.test(s.run))
  if (steps.length !== 1 || steps[0]?.run === undefined) {
    throw new Error(`expected one step running ${pattern}, found ${steps.length}`)
  }
  return steps[0] as WorkflowStep & { run: string }
}

/** A `curl ... -o FILE URL` stand-in for a URL that is a local path (a tarball on disk). */
export const CURL_FROM_DISK = `out=""; url=""
while [ $# -gt 0 ]; do
  case "$1" in -o) out="$2"; shift 2 ;; -*) shift ;; *) url="$1"; shift ;; esac
done
cp "$url" "$out"`

/** Writes an executable shell script `name` into `dir` (a stand-in for a tool on PATH). */
export function standIn(dir: string, name: string, body: string): void {
  const file = join(dir, name)
  writeFileSync(file, `#!/usr/bin/env bash\nset -euo pipefail\n${body}\n`)
  chmodSync(file, 0o755)
}

/**
 * Runs a step's script as GitHub's runner does (`bash -e`, plus pipefail), in `cwd`, with the
 * workflow's env, the step's env and `env`, and `path` in front of PATH. Rejects on a non-zero
 * exit, with stdout and stderr on the error.
 */
export async function runStep(
  workflow: Workflow,
  step: WorkflowStep & { run: string },
  options: { cwd: string; env?: Record<string, string>; path?: string },
): Promise<{ stdout: string; stderr: string }> {
  if (step.run.includes('${{')) {
    throw new Error(`step "${step.name}" uses an expression in its script: run it through env`)
  }
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...Object.fromEntries(Object.entries(workflow.env).map(([k, v]) => [k, String(v)])),
    ...step.env,
    ...options.env,
  }
  if (options.path) env.PATH = `${options.path}:${env.PATH}`
  try {
    return await promisify(execFile)('bash', ['-e', '-o', 'pipefail', '-c', step.run], {
      cwd: options.cwd,
      env,
      maxBuffer: 64 * 1024 * 1024,
    })
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
    throw new Error(`step "${step.name}" failed\n${stdout}\n${stderr}`, { cause: error })
  }
}
