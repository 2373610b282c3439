import { describe, expect, it } from 'vitest'
import { type Classification, classifyText, planFromName } from '../../src/source/classify.js'
import { scanFirstValue } from '../../src/source/json-peek.js'

const log = (reader: string, format: string, compression = 'uncompressed'): Classification => ({
  kind: 'log',
  plan: { reader, format, compression } as Extract<Classification, { kind: 'log' }>['plan'],
})

describe('classifyText', () => {
  const event = '{"eventVersion":"1.09","eventTime":"2026-10-01T00:00:00Z","eventName":"X"}'
  it.each<{ name: string; text: string; wholeFile?: boolean; expected: Classification }>([
    {
      name: 'S3 delivery file',
      text: `{"Records":[${event}]}\n`,
      expected: log('records', 'newline_delimited'),
    },
    {
      name: 'S3 delivery file cut by the peek',
      text: `{"Records":[${event},${event.slice(0, 20)}`,
      wholeFile: false,
      expected: log('records', 'newline_delimited'),
    },
    {
      name: 'pretty records',
      text: '{\n  "Records": [\n',
      wholeFile: false,
      expected: log('records', 'unstructured'),
    },
    {
      name: 'JSON Lines',
      text: `${event}\n${event}\n`,
      expected: log('objects', 'newline_delimited'),
    },
    {
      name: 'Logstash line',
      text: '{"requestParameters":null,"@timestamp":"2020-09-14T00:44:23.000Z","eventName":"X"}\n',
      expected: log('objects', 'newline_delimited'),
    },
    { name: 'array of events', text: `[\n  ${event}\n]`, expected: log('objects', 'array') },
    { name: 'empty array', text: '[]', expected: log('objects', 'array') },
    {
      name: 'lookup-events output',
      text: '{\n    "Events": [\n        {\n            "CloudTrailEvent": "{}"',
      wholeFile: false,
      expected: log('lookup', 'unstructured'),
    },
    {
      name: 'BOM and blank lines first',
      text: `\uFEFF\n\n${event}\n`,
      expected: log('objects', 'unstructured'),
    },
    {
      name: 'digest',
      text: '{"awsAccountId":"1","digestStartTime":"x"}',
      expected: { kind: 'ignored', reason: 'a CloudTrail-Digest file' },
    },
    {
      name: 'other JSON',
      text: '{"a":1,"b":{"eventName":"nested"}}',
      expected: {
        kind: 'ignored',
        reason: 'JSON without CloudTrail records (top-level keys: a, b)',
      },
    },
    {
      name: 'array of numbers',
      text: '[1,2,3]',
      expected: { kind: 'ignored', reason: 'a JSON array whose items are not CloudTrail events' },
    },
    { name: 'empty', text: '  \n', expected: { kind: 'bad', reason: 'the file is empty' } },
    {
      name: 'CSV',
      text: 'eventTime,eventName\n',
      expected: { kind: 'bad', reason: 'not JSON: the file starts with "eventTime,eventN"' },
    },
    {
      name: 'truncated whole file',
      text: `{"Records":[${event}`,
      expected: {
        kind: 'bad',
        reason: 'invalid JSON: the file ends before its first value is complete (truncated?)',
      },
    },
  ])('$name', ({ text, wholeFile, expected }) => {
    expect(classifyText(text, { wholeFile: wholeFile ?? true, gzip: false })).toEqual(expected)
  })

  it('reads gzip-compressed text with the gzip plan', () => {
    expect(classifyText('{"Records":[]}', { wholeFile: true, gzip: true })).toEqual(
      log('records', 'newline_delimited', 'gzip'),
    )
  })
})

describe('planFromName', () => {
  it.each([
    ['/x/111122223333_CloudTrail_us-east-1_20261001T0005Z_AbCd1234.json.gz', true],
    ['/x/111122223333_CloudTrail_us-east-1_20261001T0005Z_AbCd1234.json', false],
    ['/x/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20261001T000512Z.json.gz', false],
    ['/x/events.json.gz', false],
  ])('%s: plan from the name alone = %s', (file, fromName) => {
    expect(planFromName(file) !== undefined).toBe(fromName)
  })
})

describe('scanFirstValue', () => {
  it('collects top-level keys only, across escapes and nesting', () => {
    const first = '{"a":{"x":1},"b\\"q":[{"y":2}],"c":"}"}'
    const value = scanFirstValue(`${first}\nrest`)
    expect(value).toMatchObject({ opener: '{', keys: ['a', 'b"q', 'c'], multiLine: false })
    expect(value.end).toBe(first.length)
  })

  it('collects the keys of the first array element only', () => {
    expect(scanFirstValue('[{"a":1},{"b":2}]')).toMatchObject({
      keys: ['a'],
      firstElement: 'object',
      end: 17,
    })
    expect(scanFirstValue('["s"]')).toMatchObject({ keys: [], firstElement: 'other' })
    expect(scanFirstValue('[ ]')).toMatchObject({ firstElement: 'none' })
  })

  it('reports a value the text ends inside, and whether it spans lines', () => {
    expect(scanFirstValue('{\n "a": [1,')).toMatchObject({ end: -1, multiLine: true, keys: ['a'] })
  })
})
