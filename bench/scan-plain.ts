/**
 * Approach (b): the plain Node.js loop, one thread. For each file: read, gunzip, JSON.parse,
 * then count calls per (principal, eventSource, eventName) in a Map. Prints a JSON summary.
 * Usage: node --import tsx bench/scan-plain.ts <file-list.txt>
 */
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'

interface Tally {
  count: number
  denied: number
  first: string
  last: string
}

const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'Client.UnauthorizedOperation'])

interface CloudTrailRecord {
  eventTime?: string
  eventSource?: string
  eventName?: string
  errorCode?: string
  userIdentity?: {
    type?: string
    arn?: string
    sessionContext?: { sessionIssuer?: { arn?: string } }
  }
}

function principalOf(r: CloudTrailRecord): string {
  const id = r.userIdentity
  if (id?.type === 'AssumedRole') return id.sessionContext?.sessionIssuer?.arn ?? 'unknown'
  return id?.arn ?? `(${id?.type ?? 'none'})`
}

const listFile = process.argv[2]
if (!listFile) throw new Error('usage: scan-plain.ts <file-list.txt>')
const started = performance.now()
const files = readFileSync(listFile, 'utf8').split('\n').filter(Boolean)
const tallies = new Map<string, Tally>()
let events = 0
for (const file of files) {
  const { Records } = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as {
    Records: CloudTrailRecord[]
  }
  for (const r of Records) {
    events++
    const key = `${principalOf(r)}\t${r.eventSource}\t${r.eventName}`
    const time = r.eventTime ?? ''
    const t = tallies.get(key)
    const denied = r.errorCode !== undefined && DENIED.has(r.errorCode) ? 1 : 0
    if (t) {
      t.count++
      t.denied += denied
      if (time < t.first) t.first = time
      if (time > t.last) t.last = time
    } else {
      tallies.set(key, { count: 1, denied, first: time, last: time })
    }
  }
}
const scanSeconds = (performance.now() - started) / 1000
console.log(JSON.stringify({ events, groups: tallies.size, scanSeconds }))
