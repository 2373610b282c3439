import {
  AccessDeniedException,
  type Event as CloudTrailApiEvent,
  CloudTrailClient,
  LookupEventsCommand,
  ThrottlingException,
} from '@aws-sdk/client-cloudtrail'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { aggregateEvents } from '../../src/source/aggregate.js'
import {
  createLookupEventsSource,
  type LookupEventsSourceOptions,
} from '../../src/source/lookup-events.js'
import type { UsageQuery } from '../../src/source/types.js'
import { ScopedownError } from '../../src/util/errors.js'
import type { Logger } from '../../src/util/log.js'
import { ACCOUNT, assumedRole, event, iamUser, type Json } from './cloudtrail-builders.js'

const cloudtrail = mockClient(CloudTrailClient)
const WINDOW = { start: '2026-10-01T00:00:00.000Z', end: '2026-10-04T00:00:00.000Z' }
const NOW = new Date('2026-10-05T00:00:00.000Z')
const QUERY: UsageQuery = { window: WINDOW }

const item = (record: Json): CloudTrailApiEvent => ({
  EventId: String(record.eventID),
  EventName: String(record.eventName),
  CloudTrailEvent: JSON.stringify(record),
})

const PAGE1 = [
  event({ time: '2026-10-01T01:00:00Z', name: 'GetObject', identity: assumedRole('app') }),
  event({ time: '2026-10-02T01:00:00Z', name: 'GetObject', identity: assumedRole('app') }),
]
const PAGE2 = [
  event({ time: '2026-10-03T01:00:00Z', name: 'ListBuckets', identity: iamUser('bob') }),
  // LookupEvents' EndTime is inclusive: the window's end is not.
  event({ time: '2026-10-04T00:00:00Z', name: 'ListBuckets', identity: iamUser('bob') }),
]

interface Recorded {
  pauses: number[]
  warnings: string[]
}

function captureLogger(recorded: Recorded): Logger {
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (msg) => {
      recorded.warnings.push(msg)
    },
    error: () => undefined,
    child: () => logger,
  }
  return logger
}

function source(recorded: Recorded, options: Partial<LookupEventsSourceOptions> = {}) {
  return createLookupEventsSource({
    client: new CloudTrailClient({ region: 'us-east-1' }),
    logger: captureLogger(recorded),
    pause: async (ms) => {
      recorded.pauses.push(ms)
    },
    now: () => NOW,
    ...options,
  })
}

let recorded: Recorded

beforeEach(() => {
  cloudtrail.reset()
  recorded = { pauses: [], warnings: [] }
})

afterEach(() => {
  cloudtrail.reset()
})

describe('CloudTrail LookupEvents source', () => {
  it('pages with NextToken over the window, paced, and aggregates the records', async () => {
    cloudtrail
      .on(LookupEventsCommand, { NextToken: undefined })
      .resolves({ Events: PAGE1.map(item), NextToken: 'page-2' })
      .on(LookupEventsCommand, { NextToken: 'page-2' })
      .resolves({ Events: [...PAGE2.map(item), { EventId: 'x', CloudTrailEvent: '{oops' }] })
    const lookup = source(recorded)
    expect(lookup.kind).toBe('cloudtrail-lookup')
    const result = await lookup.usage(QUERY)
    await lookup.close()

    const calls = cloudtrail.commandCalls(LookupEventsCommand)
    expect(calls.map((c) => c.args[0].input)).toEqual([
      { StartTime: new Date(WINDOW.start), EndTime: new Date(WINDOW.end), MaxResults: 50 },
      {
        StartTime: new Date(WINDOW.start),
        EndTime: new Date(WINDOW.end),
        MaxResults: 50,
        NextToken: 'page-2',
      },
    ])
    expect(recorded.pauses).toEqual([500])
    expect(recorded.warnings).toEqual([])

    expect(result).toEqual(aggregateEvents([...PAGE1, ...PAGE2, null], QUERY))
    expect(result.calls.map((c) => [c.principalArn, c.eventName, c.count])).toEqual([
      [`arn:aws:iam::${ACCOUNT}:role/app`, 'GetObject', 2],
      [`arn:aws:iam::${ACCOUNT}:user/bob`, 'ListBuckets', 1],
    ])
    expect(result.inputs).toMatchObject({ eventsInWindow: 3, badRecords: 1 })
  })

  it('retries a throttled call with back-off', async () => {
    cloudtrail
      .on(LookupEventsCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }))
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }))
      .resolves({ Events: PAGE1.map(item) })
    const result = await source(recorded, { pauseMs: 10, backoffMs: 100 }).usage(QUERY)
    expect(cloudtrail.commandCalls(LookupEventsCommand)).toHaveLength(3)
    expect(recorded.pauses).toEqual([100, 200])
    expect(result.calls.map((c) => c.count)).toEqual([2])
  })

  it('gives up on throttling after the bounded retries, with the hint', async () => {
    cloudtrail
      .on(LookupEventsCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }))
    const error = await source(recorded, { maxRetries: 2 })
      .usage(QUERY)
      .catch((e: unknown) => e)
    expect(cloudtrail.commandCalls(LookupEventsCommand)).toHaveLength(3)
    expect(error).toBeInstanceOf(ScopedownError)
    expect(error).toMatchObject({ code: 'SOURCE_FAILED' })
  })

  it('wraps a failure once as SOURCE_FAILED with the permission hint', async () => {
    const denied = new AccessDeniedException({
      message: 'not authorized to perform: cloudtrail:LookupEvents',
      $metadata: {},
    })
    cloudtrail.on(LookupEventsCommand).rejects(denied)
    const error = await source(recorded)
      .usage(QUERY)
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ScopedownError)
    const wrapped = error as ScopedownError
    expect(wrapped.code).toBe('SOURCE_FAILED')
    expect(wrapped.message).toContain('not authorized to perform: cloudtrail:LookupEvents')
    expect(wrapped.hint).toContain('needs cloudtrail:LookupEvents')
    expect(wrapped.cause).toBe(denied)
    expect(cloudtrail.commandCalls(LookupEventsCommand)).toHaveLength(1)
  })

  it('queries each region through its own client and merges them', async () => {
    const clients = new Map<string, CloudTrailClient>()
    const clientForRegion = (region: string) => {
      const client = new CloudTrailClient({ region })
      clients.set(region, client)
      return client
    }
    cloudtrail.on(LookupEventsCommand).callsFake(async (_input, getClient) => {
      const region = await (getClient() as CloudTrailClient).config.region()
      const time = region === 'us-east-1' ? '2026-10-01T01:00:00Z' : '2026-10-02T01:00:00Z'
      return { Events: [item(event({ time, region, name: 'GetObject' }))] }
    })
    const lookup = source(recorded, {
      regions: ['us-east-1', 'eu-west-1', 'us-east-1'],
      clientForRegion,
    })
    const result = await lookup.usage(QUERY)
    expect([...clients.keys()]).toEqual(['us-east-1', 'eu-west-1'])
    expect(cloudtrail.commandCalls(LookupEventsCommand)).toHaveLength(2)
    expect(result.calls.map((c) => [c.count, c.regions])).toEqual([[2, ['eu-west-1', 'us-east-1']]])
    expect(result.coverage.map((c) => c.region)).toEqual(['eu-west-1', 'us-east-1'])
    await lookup.close()
    await expect(lookup.usage(QUERY)).rejects.toMatchObject({ code: 'SOURCE_FAILED' })
  })

  it('warns when the window starts before the 90 days LookupEvents keeps', async () => {
    cloudtrail.on(LookupEventsCommand).resolves({ Events: [] })
    await source(recorded, { now: () => new Date('2027-01-01T00:00:00.000Z') }).usage(QUERY)
    expect(recorded.warnings).toHaveLength(1)
    expect(recorded.warnings[0]).toContain('90 days')
  })
})
