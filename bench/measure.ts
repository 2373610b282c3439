/**
 * Measures one whole process: wall time and peak resident memory. GNU time (`/usr/bin/time`)
 * reports the child's max RSS from wait4(2); without it, only wall time is known.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const GNU_TIME = '/usr/bin/time'

export interface Measurement {
  wallSeconds: number
  /** Peak RSS in MiB, or undefined when GNU time is not installed. */
  peakRssMiB: number | undefined
  /** What the process printed on stdout (the scanners print a JSON summary). */
  stdout: string
}

/** Runs `command args` to completion (stdout captured, stderr passed through) and measures it. */
export async function measure(
  command: string,
  args: readonly string[],
  options: { cwd?: string; stdoutToNull?: boolean } = {},
): Promise<Measurement> {
  const timeFile = join(tmpdir(), `scopedown-bench-${process.pid}-${Date.now()}.time`)
  const useTime = existsSync(GNU_TIME)
  const [file, argv] = useTime
    ? [GNU_TIME, ['-f', '%e %M', '-o', timeFile, command, ...args]]
    : [command, [...args]]
  const started = process.hrtime.bigint()
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(file, argv, {
      cwd: options.cwd,
      stdio: ['ignore', options.stdoutToNull ? 'ignore' : 'pipe', 'inherit'],
    })
    const chunks: Buffer[] = []
    child.stdout?.on('data', (c: Buffer) => chunks.push(c))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(chunks).toString('utf8'))
      else reject(new Error(`${command} exited with ${code}`))
    })
  })
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9
  if (!useTime) return { wallSeconds: elapsed, peakRssMiB: undefined, stdout }
  const last = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? ''
  rmSync(timeFile, { force: true })
  // GNU time's own elapsed figure has 10 ms resolution; ours is finer, so only %M is used.
  const maxKiB = Number(last.split(' ')[1])
  return {
    wallSeconds: elapsed,
    peakRssMiB: Number.isFinite(maxKiB) ? maxKiB / 1024 : undefined,
    stdout,
  }
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** Left-aligned first column, right-aligned others. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('   ')
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}
