import { describe, expect, it } from 'vitest'
import { serializeJson } from '../../src/repo/json-dialect.js'
import { jsonFormat } from '../../src/repo/json-format.js'
import { detectJsonStyle } from '../../src/repo/json-syntax.js'
import { ScopedownError } from '../../src/util/errors.js'
import { fixture, notActionToAction, pruneActions } from './policy-edits.js'
import { policyFormatContract } from './policy-format-contract.js'

const POLICY_FILES = [
  'two-space.json',
  'four-space-inline-arrays.json',
  'tabs.json',
  'crlf.json',
  'statement-object.json',
  'minified-no-newline.json',
  'policy-document-wrapper.json',
  'not-action.json',
  'bom.json',
]
const sample = (name: string) => ({
  name,
  path: `policies/${name}`,
  content: fixture(`json/${name}`),
})

policyFormatContract(() => jsonFormat, POLICY_FILES.map(sample))

describe('jsonFormat.extract', () => {
  it('finds the document and its exact span', () => {
    const content = fixture('json/policy-document-wrapper.json')
    const [policy] = jsonFormat.extract(content, 'p/app-logs.json')
    expect(policy).toMatchObject({
      file: 'p/app-logs.json',
      format: 'json',
      encoding: 'json-file',
      policyName: 'app-logs',
    })
    const span = content.slice(policy?.span.start, policy?.span.end)
    expect(JSON.parse(span)).toEqual(JSON.parse(content).PolicyDocument)
  })

  it('names a plain policy file after the file', () => {
    const [policy] = jsonFormat.extract(fixture('json/two-space.json'), 'inline/s3-read.json')
    expect(policy?.policyName).toBe('s3-read')
    expect(policy?.span).toEqual({ start: 0, end: fixture('json/two-space.json').trimEnd().length })
  })

  it('returns nothing for JSON that is not a policy', () => {
    expect(jsonFormat.extract(fixture('json/not-a-policy.json'), 'roles/app/role.json')).toEqual([])
  })

  it('reports a syntax error with the file, line and column', () => {
    const run = () => jsonFormat.extract(fixture('json/broken.json'), 'inline/broken.json')
    expect(run).toThrow(ScopedownError)
    expect(run).toThrow('inline/broken.json:6:33: expected a JSON value, found "]"')
  })
})

describe('serializeJson mimics the detected style', () => {
  it.each(['two-space.json', 'tabs.json', 'crlf.json', 'not-action.json'])(
    '%s is reproduced exactly from its parsed value',
    (name) => {
      const content = fixture(`json/${name}`)
      const style = detectJsonStyle(content)
      expect(serializeJson(JSON.parse(content), style) + style.eol).toBe(content)
    },
  )

  it.each([
    ['two-space.json', { indentUnit: '  ', eol: '\n', colon: ': ', inlineScalarArrays: false }],
    ['four-space-inline-arrays.json', { indentUnit: '    ', inlineScalarArrays: true }],
    ['tabs.json', { indentUnit: '\t' }],
    ['crlf.json', { eol: '\r\n' }],
    ['minified-no-newline.json', { colon: ':', inlineSeparator: ',' }],
  ])('detects the style of %s', (name, expected) => {
    expect(detectJsonStyle(fixture(`json/${name}`))).toMatchObject(expected)
  })
})

/** Planner-like edits, each checked against a reviewed golden file. */
const EDITS: { name: string; file: string; edit: (doc: unknown) => unknown }[] = [
  {
    name: 'two-space-prune',
    file: 'two-space.json',
    edit: (doc) =>
      pruneActions(doc, (a) => ['s3:GetObject', 's3:ListBucket', 's3:DeleteBucket'].includes(a)),
  },
  {
    name: 'two-space-drop-one-action',
    file: 'two-space.json',
    edit: (doc) => pruneActions(doc, (a) => a !== 's3:PutObject'),
  },
  {
    name: 'inline-arrays-prune',
    file: 'four-space-inline-arrays.json',
    edit: (doc) => pruneActions(doc, (a) => a === 'dynamodb:Query' || a === 'logs:PutLogEvents'),
  },
  {
    name: 'crlf-prune',
    file: 'crlf.json',
    edit: (doc) => pruneActions(doc, (a) => a === 'kms:Decrypt'),
  },
  {
    name: 'tabs-drop-all-but-one',
    file: 'tabs.json',
    edit: (doc) => pruneActions(doc, (a) => a === 'ec2:DescribeInstances'),
  },
  {
    name: 'not-action-to-action',
    file: 'not-action.json',
    edit: (doc) => notActionToAction(doc, ['ec2:DescribeInstances', 's3:GetObject']),
  },
  {
    name: 'wrapper-prune',
    file: 'policy-document-wrapper.json',
    edit: (doc) => pruneActions(doc, (a) => a !== 'logs:CreateLogGroup'),
  },
  {
    name: 'statement-object-prune',
    file: 'statement-object.json',
    edit: (doc) => pruneActions(doc, (a) => a === 'secretsmanager:GetSecretValue'),
  },
  {
    name: 'minified-prune',
    file: 'minified-no-newline.json',
    edit: (doc) => pruneActions(doc, (a) => a === 'sns:Publish'),
  },
]

describe('jsonFormat.replace', () => {
  it.each(EDITS)('$name', async ({ name, file, edit }) => {
    const content = fixture(`json/${file}`)
    const [policy] = jsonFormat.extract(content, file)
    if (policy === undefined) throw new Error('no policy')
    const edited = jsonFormat.replace(content, policy, edit(policy.document))
    await expect(edited).toMatchFileSnapshot(
      `../../fixtures/repo-formats/json/expected/${name}.${file.split('.').pop()}`,
    )
  })

  it('keeps a single remaining action in list form when the file used a list', () => {
    const content = fixture('json/crlf.json')
    const [policy] = jsonFormat.extract(content, 'crlf.json')
    if (policy === undefined) throw new Error('no policy')
    const edited = jsonFormat.replace(
      content,
      policy,
      pruneActions(policy.document, (a) => a === 'kms:Decrypt'),
    )
    expect(edited).toContain('"Action": [\r\n        "kms:Decrypt"\r\n      ]')
    expect(
      edited.split('\n').every((line, i, all) => i === all.length - 1 || line.endsWith('\r')),
    ).toBe(true)
  })

  it('writes a lone action as a string when the file used a string', () => {
    const content = fixture('json/two-space.json')
    const [policy] = jsonFormat.extract(content, 'two-space.json')
    if (policy === undefined) throw new Error('no policy')
    const next = structuredClone(policy.document) as { Statement: { Action: unknown }[] }
    const queues = next.Statement[1]
    if (queues) queues.Action = ['sqs:ReceiveMessage']
    expect(jsonFormat.replace(content, policy, next)).toContain('"Action": "sqs:ReceiveMessage",')
  })

  it('keeps the byte-order mark and the missing final newline', () => {
    for (const file of ['bom.json', 'minified-no-newline.json']) {
      const content = fixture(`json/${file}`)
      const [policy] = jsonFormat.extract(content, file)
      if (policy === undefined) throw new Error('no policy')
      const edited = jsonFormat.replace(
        content,
        policy,
        pruneActions(policy.document, () => true),
      )
      expect(edited.charCodeAt(0) === 0xfeff).toBe(content.charCodeAt(0) === 0xfeff)
      expect(edited.endsWith('\n')).toBe(content.endsWith('\n'))
    }
  })
})
