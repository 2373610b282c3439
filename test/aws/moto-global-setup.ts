import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import type { TestProject } from 'vitest/node'

/**
 * Starts moto's server (a local stand-in for STS, IAM, Organizations and CloudTrail) on a free
 * port of 127.0.0.1 for the AWS end-to-end tests, and stops it at the end. Without moto the tests
 * skip, saying how to run them; in CI (CI=true) a moto that cannot start fails the run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const found = spawnSync('moto_server', ['--help'], { stdio: 'ignore' })
  if (found.error || found.status !== 0) {
    const why = 'moto_server is not installed (bash scripts/ci/install-moto.sh installs it)'
    if (process.env.CI === 'true') throw new Error(`AWS end-to-end tests need moto: ${why}`)
    project.provide('motoEndpoint', '')
    project.provide('motoSkipReason', why)
    return async () => {}
  }
  const port = await freePort()
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  const endpoint = `http://127.0.0.1:${port}`
  try {
    await waitUntilReady(endpoint, child)
  } catch (error) {
    child.kill()
    throw new Error(
      `moto_server did not start on ${endpoint}: ${(error as Error).message}\n${stderr}`,
    )
  }
  project.provide('motoEndpoint', endpoint)
  project.provide('motoSkipReason', '')
  return async () => {
    child.kill('SIGTERM')
    await new Promise((resolve) => {
      if (child.exitCode !== null) resolve(undefined)
      else child.once('exit', resolve)
    })
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Polls moto's own API until it answers; bounded (about 30 s), fails early if moto exits. */
async function waitUntilReady(endpoint: string, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 150; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}`)
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`)
      if (response.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error('no answer after 30 s')
}

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string
    motoSkipReason: string
  }
}
