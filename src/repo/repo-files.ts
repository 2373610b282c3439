/**
 * The only file access the repo layer needs, behind a two-method interface so tests run on an
 * in-memory tree and the real adapter stays a few lines of `node:fs`.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ScopedownError } from '../util/errors.js'

/** Read-only view of a checkout. Paths are repo-relative with `/` separators. */
export interface RepoFiles {
  /** Every file, sorted. */
  list(): Promise<readonly string[]>
  /** A file's text, or undefined when it does not exist. Throws for files that are not UTF-8. */
  read(path: string): Promise<string | undefined>
}

/** An in-memory tree, for tests and dry runs. */
export function memoryFiles(files: Readonly<Record<string, string>>): RepoFiles {
  return {
    list: async () => Object.keys(files).sort(),
    read: async (path) => (Object.hasOwn(files, path) ? files[path] : undefined),
  }
}

/** Directories that never hold the source of truth. */
const SKIPPED = new Set(['.git', 'node_modules', '.terraform'])

/**
 * A working copy on disk. The listing is taken once and cached: a run reads a checkout that
 * nothing else changes underneath it.
 */
export function checkoutFiles(root: string): RepoFiles {
  let listing: Promise<string[]> | undefined
  const walk = async (dir: string, prefix: string): Promise<string[]> => {
    const entries = await readdir(dir, { withFileTypes: true })
    const out: string[] = []
    for (const entry of entries) {
      if (SKIPPED.has(entry.name)) continue
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`
      if (entry.isDirectory()) out.push(...(await walk(join(dir, entry.name), path)))
      else if (entry.isFile()) out.push(path)
    }
    return out
  }
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
  return {
    list: async () => {
      listing ??= walk(root, '').then((paths) => paths.sort())
      return listing
    },
    async read(path) {
      let bytes: Buffer
      try {
        bytes = await readFile(join(root, ...path.split('/')))
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw error
      }
      try {
        return utf8.decode(bytes)
      } catch (error) {
        throw new ScopedownError('POLICY_INVALID', `${path} is not UTF-8 text`, {
          cause: error,
          hint: 'scopedown edits text files byte for byte and only reads UTF-8.',
        })
      }
    },
  }
}
