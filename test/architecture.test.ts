import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * Data flows one way: a module may import util/, model.ts and anything upstream of it, never
 * downstream. This reads the import lines of src/** and fails on a backwards edge.
 */
const ORDER = [
  'config',
  'source',
  'usage',
  'policy',
  'plan',
  'repo',
  'publish',
  'report',
  'aws',
  'run',
  'commands',
]
const SRC = resolve(import.meta.dirname, '../src')

function layerOf(file: string): number | 'free' | 'top' {
  const rel = relative(SRC, file)
  const top = rel.split('/')[0] ?? ''
  if (top === 'util' || top.startsWith('model.')) return 'free'
  const index = ORDER.indexOf(top)
  return index === -1 ? 'top' : index
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

describe('architecture', () => {
  it('imports only flow downstream: config -> source -> usage -> policy -> plan -> repo -> publish -> report -> aws -> run -> commands', () => {
    const backwards: string[] = []
    const files = sourceFiles(SRC)
    for (const file of files) {
      const from = layerOf(file)
      if (from === 'top') continue
      const text = readFileSync(file, 'utf8')
      for (const match of text.matchAll(/^\s*(?:import|export)[^'"]*from\s+'(\.[^']+)'/gm)) {
        const target = resolve(dirname(file), match[1] ?? '')
        const to = layerOf(target)
        if (to === 'free') continue
        if (from === 'free' || to === 'top' || to > from) {
          backwards.push(`${relative(SRC, file)} imports ${relative(SRC, target)}`)
        }
      }
    }
    expect(files.length).toBeGreaterThan(5)
    expect(backwards).toEqual([])
  })
})
