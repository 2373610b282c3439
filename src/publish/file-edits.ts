import { InvariantError } from '../util/errors.js'
import type { FileEdit } from './types.js'

/**
 * Checks file edits before any gateway writes them: every path stays inside the repository and
 * appears once. The paths come from scopedown's own repo module, so a bad one is a bug.
 */
export function assertRepoPaths(files: readonly FileEdit[]): void {
  const seen = new Set<string>()
  for (const { path } of files) {
    const segments = path.split('/')
    const unsafe =
      path === '' ||
      path.startsWith('/') ||
      path.includes('\\') ||
      hasControlCharacter(path) ||
      segments.some((s) => s === '' || s === '.' || s === '..') ||
      segments[0]?.toLowerCase() === '.git'
    if (unsafe)
      throw new InvariantError(`file edit path ${JSON.stringify(path)} leaves the repository`)
    if (seen.has(path))
      throw new InvariantError(`file edit path ${JSON.stringify(path)} appears twice`)
    seen.add(path)
  }
}

/** Edits in path order, so every gateway writes and reports them the same way. */
export function sortedEdits(files: readonly FileEdit[]): FileEdit[] {
  return [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x20 || code === 0x7f) return true
  }
  return false
}
