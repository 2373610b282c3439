#!/usr/bin/env node
// Which scopedown runs:
// - an installed package has no src/ (package.json `files`): it runs the compiled dist/cli.js,
//   with no TypeScript compilation at start;
// - a checkout has src/ and tsx (a devDependency): it runs the source, so `npx scopedown` in a
//   clone needs no build and never runs a dist/ left behind by an earlier build or `npm pack`;
// - a checkout installed without devDependencies falls back to a built dist/.
import { existsSync } from 'node:fs'

const here = (path) => new URL(path, import.meta.url)

async function tsxRegister() {
  try {
    return (await import('tsx/esm/api')).register
  } catch {
    return undefined
  }
}

const register = existsSync(here('../src/cli.ts')) ? await tsxRegister() : undefined
if (register) {
  register()
  await import(here('../src/cli.ts').href)
} else if (existsSync(here('../dist/cli.js'))) {
  await import(here('../dist/cli.js').href)
} else {
  process.stderr.write(
    'error: scopedown is not built (no dist/cli.js) and tsx is not installed\n' +
      'hint: in a clone, run `npm ci` (installs tsx) or `npm run build`\n',
  )
  process.exitCode = 2
}
