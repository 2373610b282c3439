import { describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli-program.js'
import { memoryIo } from '../../src/commands/io.js'
import { parseLine } from '../../src/commands/map.js'

async function map(stdin: string) {
  const { io, stdout, stderr } = memoryIo({ stdin })
  const code = await runCli(['map'], io)
  const lines = stdout()
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
  return { code, lines, stderr: stderr() }
}

describe('scopedown map', () => {
  it('maps "eventSource eventName" lines and prints one JSON line each, with the catalog version', async () => {
    const { code, lines } = await map(
      'monitoring.amazonaws.com DescribeAlarms\nsts.amazonaws.com GetCallerIdentity\n',
    )
    expect(code).toBe(0)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatchObject({
      eventSource: 'monitoring.amazonaws.com',
      eventName: 'DescribeAlarms',
      actions: ['cloudwatch:DescribeAlarms'],
      status: 'mapped',
      catalog: expect.stringMatching(/^@cloud-copilot\/iam-data /),
    })
    expect(Object.keys(lines[0] ?? {}).slice(0, 4)).toEqual([
      'eventSource',
      'eventName',
      'actions',
      'status',
    ])
    expect(lines[1]).toMatchObject({ actions: [], status: 'permissionless' })
  })

  it('reads whole CloudTrail records, using requestParameters, resources and invokedBy', async () => {
    const record = {
      eventSource: 'lambda.amazonaws.com',
      eventName: 'CreateFunction20150331',
      userIdentity: { type: 'AssumedRole', invokedBy: 'cloudformation.amazonaws.com' },
      requestParameters: { functionName: 'f', role: 'arn:aws:iam::111111111111:role/fn' },
      resources: [],
    }
    const { code, lines } = await map(`${JSON.stringify(record)}\n`)
    expect(code).toBe(0)
    expect(lines[0]).toMatchObject({
      actions: ['iam:PassRole', 'lambda:CreateFunction'],
      resources: { 'iam:PassRole': ['arn:aws:iam::111111111111:role/fn'] },
      note: expect.stringContaining('invoked by cloudformation.amazonaws.com'),
    })
  })

  it('expands a {"Records": [...]} log file line into one output per record', async () => {
    const file = {
      Records: [
        { eventSource: 's3.amazonaws.com', eventName: 'ListBuckets' },
        { eventSource: 's3.amazonaws.com', eventName: 'HeadBucket' },
      ],
    }
    const { lines } = await map(JSON.stringify(file))
    expect(lines.map((l) => l.actions)).toEqual([['s3:ListAllMyBuckets'], ['s3:ListBucket']])
  })

  it('reports unmapped events as such, with the reason', async () => {
    const { code, lines } = await map('s3.amazonaws.com FrobnicateBucket')
    expect(code).toBe(0)
    expect(lines[0]).toMatchObject({
      status: 'unmapped',
      actions: [],
      note: expect.stringContaining('no IAM action'),
    })
  })

  it('prints an invalid line for input it cannot read, carries on, and exits 1', async () => {
    const { code, lines, stderr } = await map(
      'just-one-token\n{not json\ns3.amazonaws.com ListBuckets\n{"eventName":"X"}\n',
    )
    expect(code).toBe(1)
    expect(lines.map((l) => l.status)).toEqual(['invalid', 'invalid', 'mapped', 'invalid'])
    expect(lines[0]).toMatchObject({
      line: 1,
      reason: expect.stringContaining('eventSource eventName'),
    })
    expect(lines[1]).toMatchObject({ line: 2, reason: expect.stringContaining('not valid JSON') })
    expect(lines[3]).toMatchObject({
      line: 4,
      reason: expect.stringContaining('eventSource and eventName'),
    })
    expect(stderr).toContain('3 input line(s) could not be read')
  })

  it('skips blank lines and # comments, and splits on any whitespace', async () => {
    const { code, lines } = await map('\n# a comment\n  ec2.amazonaws.com \t RunInstances  \n\n')
    expect(code).toBe(0)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({
      eventSource: 'ec2.amazonaws.com',
      actions: ['ec2:RunInstances'],
    })
    expect(parseLine('a b c')).toEqual({
      reason: 'expected "eventSource eventName" or a JSON object',
    })
  })
})
