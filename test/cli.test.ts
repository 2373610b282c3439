import { describe, expect, it } from 'vitest'
import { runCli } from '../src/cli-program.js'
import { memoryIo } from '../src/commands/io.js'

describe('cli', () => {
  it('prints help and exits 0', async () => {
    const { io, stdout } = memoryIo()
    expect(await runCli(['--help'], io)).toBe(0)
    expect(stdout()).toContain('scopedown')
  })

  it('exits 2 on an unknown command, saying what to type instead', async () => {
    const { io, stderr } = memoryIo()
    expect(await runCli(['frobnicate'], io)).toBe(2)
    expect(stderr()).toMatch(/scopedown --help/)
  })
})
