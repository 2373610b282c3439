import type { Command } from 'commander'
import { loadCatalog } from '../usage/catalog.js'
import { type ActionMapper, createActionMapper, type MapInput } from '../usage/mapper.js'
import type { CliIo, ExitCodeSink } from './io.js'

const HELP = `
Input, one per line on stdin:
  eventSource eventName                 e.g.  s3.amazonaws.com HeadObject
  a CloudTrail record as JSON           e.g.  {"eventSource":"s3.amazonaws.com","eventName":"GetObject",
                                               "requestParameters":{"versionId":"x"}}
  a log file object {"Records":[...]}   one output line per record
Output: one JSON line per event:
  {"eventSource","eventName","actions":[...],"status":"mapped|permissionless|unmapped", ...}
Lines that cannot be read give {"line":n,"status":"invalid","reason":...}; the exit code is then 1.`

/** `scopedown map`: the mapper on its own, for checking what scopedown makes of given events. */
export function register(program: Command, io: CliIo, exit: ExitCodeSink): void {
  program
    .command('map')
    .description('map CloudTrail events (stdin) to the IAM actions they need, one JSON line each')
    .addHelpText('after', HELP)
    .action(async () => {
      const mapper = createActionMapper(await loadCatalog())
      const lines = (await io.readStdin()).split(/\r?\n/)
      let invalid = 0
      for (const [index, raw] of lines.entries()) {
        const line = raw.trim()
        if (line === '' || line.startsWith('#')) continue
        const parsed = parseLine(line)
        if ('reason' in parsed) {
          invalid++
          io.stdout.write(
            `${JSON.stringify({ line: index + 1, status: 'invalid', reason: parsed.reason })}\n`,
          )
          continue
        }
        for (const input of parsed.inputs) io.stdout.write(`${formatResult(mapper, input)}\n`)
      }
      if (invalid > 0) {
        io.stderr.write(`${invalid} input line(s) could not be read\n`)
        exit.set(1)
      }
    })
}

function formatResult(mapper: ActionMapper, input: MapInput): string {
  const result = mapper.map(input)
  const resources = Object.fromEntries(
    result.actions.filter((a) => a.resources).map((a) => [a.action, a.resources]),
  )
  const notes = Object.fromEntries(
    result.actions.filter((a) => a.note).map((a) => [a.action, a.note]),
  )
  return JSON.stringify({
    eventSource: input.eventSource,
    eventName: input.eventName,
    actions: result.actions.map((a) => a.action),
    status: result.status,
    ...(Object.keys(resources).length > 0 ? { resources } : {}),
    ...(Object.keys(notes).length > 0 ? { notes } : {}),
    ...(result.note ? { note: result.note } : {}),
    catalog: mapper.catalogVersion,
  })
}

type Parsed = { inputs: MapInput[] } | { reason: string }

/** A `source name` pair, a record, or a `{"Records":[...]}` file body. */
export function parseLine(line: string): Parsed {
  if (!line.startsWith('{')) {
    const parts = line.split(/\s+/)
    if (parts.length !== 2) return { reason: 'expected "eventSource eventName" or a JSON object' }
    const [eventSource = '', eventName = ''] = parts
    return { inputs: [{ eventSource, eventName }] }
  }
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch (error) {
    return { reason: `not valid JSON: ${(error as Error).message}` }
  }
  const records = isObject(json) && Array.isArray(json.Records) ? json.Records : [json]
  const inputs: MapInput[] = []
  for (const [i, record] of records.entries()) {
    const input = recordToInput(record)
    if (typeof input === 'string') {
      return { reason: records.length > 1 ? `record ${i + 1}: ${input}` : input }
    }
    inputs.push(input)
  }
  return { inputs }
}

function recordToInput(record: unknown): MapInput | string {
  if (!isObject(record)) return 'a record must be a JSON object'
  const { eventSource, eventName, requestParameters, resources, apiVersion, eventType } = record
  if (typeof eventSource !== 'string' || typeof eventName !== 'string') {
    return 'the record needs string fields eventSource and eventName'
  }
  if (
    requestParameters !== undefined &&
    requestParameters !== null &&
    !isObject(requestParameters)
  ) {
    return 'requestParameters must be an object'
  }
  const identity = isObject(record.userIdentity) ? record.userIdentity : {}
  return {
    eventSource,
    eventName,
    ...(requestParameters !== undefined ? { requestParameters } : {}),
    ...(Array.isArray(resources) ? { resources: resources.filter(isResource) } : {}),
    ...(typeof apiVersion === 'string' ? { apiVersion } : {}),
    ...(typeof identity.invokedBy === 'string' ? { invokedBy: identity.invokedBy } : {}),
    ...(typeof eventType === 'string' ? { eventType } : {}),
  }
}

function isResource(value: unknown): value is { ARN?: string; type?: string } | string {
  return typeof value === 'string' || isObject(value)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
