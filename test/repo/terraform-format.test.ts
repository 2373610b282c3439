import { describe, expect, it } from 'vitest'
import { loadHclParser } from '../../src/repo/hcl-parser.js'
import { createTerraformFormat, readTerraformFile } from '../../src/repo/terraform-format.js'
import type { LocatedPolicy } from '../../src/repo/types.js'
import { ScopedownError } from '../../src/util/errors.js'
import { fixture, notActionToAction, pruneActions } from './policy-edits.js'
import { policyFormatContract } from './policy-format-contract.js'

const parser = await loadHclParser()
const terraform = createTerraformFormat(parser)

/** How a reference reads in the document: Terraform JSON syntax. */
const TABLE_ARN = `\${local.table_arn}`

const SAMPLES = ['jsonencode.tf', 'heredoc.tf', 'policy-document.tf', 'crlf.tf']
policyFormatContract(
  () => terraform,
  SAMPLES.map((name) => ({ name, path: name, content: fixture(`terraform/${name}`) })),
)

function policy(file: string, label: string): { content: string; at: LocatedPolicy } {
  const content = fixture(`terraform/${file}`)
  const at = terraform.extract(content, file).find((p) => p.label === label)
  if (at === undefined) throw new Error(`${label} not found in ${file}`)
  return { content, at }
}

describe('terraformFormat.extract', () => {
  it.each([
    {
      file: 'jsonencode.tf',
      labels: ['aws_iam_role_policy.orders_data', 'aws_iam_policy.orders_queue'],
      encoding: 'jsonencode',
    },
    {
      file: 'heredoc.tf',
      labels: [
        'aws_iam_role_policy.reporter_s3',
        'aws_iam_role_policy.reporter_mail',
        'aws_iam_policy.boundary',
      ],
      encoding: 'heredoc',
    },
    {
      file: 'policy-document.tf',
      labels: ['data.aws_iam_policy_document.assume', 'data.aws_iam_policy_document.builder'],
      encoding: 'policy-document',
    },
  ])('finds every policy of $file', ({ file, labels, encoding }) => {
    const found = terraform.extract(fixture(`terraform/${file}`), file)
    expect(found.map((p) => p.label)).toEqual(labels)
    expect(new Set(found.map((p) => p.encoding))).toEqual(new Set([encoding]))
  })

  it('reads jsonencode() objects as policy JSON, keeping references as interpolations', () => {
    const { at } = policy('jsonencode.tf', 'aws_iam_role_policy.orders_data')
    expect(at).toMatchObject({ kind: 'inline', policyName: 'orders-data', format: 'terraform' })
    expect(at.document).toMatchObject({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Tables',
          Action: [
            'dynamodb:BatchWriteItem',
            'dynamodb:DeleteItem',
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:Query',
          ],
          Resource: [TABLE_ARN, `${TABLE_ARN}/index/*`],
        },
        { Sid: 'Events' },
        { Sid: 'Tracing', Action: 'xray:PutTraceSegments' },
      ],
    })
  })

  it('reads heredoc JSON, with the span on the JSON value only', () => {
    const { content, at } = policy('heredoc.tf', 'aws_iam_role_policy.reporter_mail')
    const text = content.slice(at.span.start, at.span.end)
    expect(text.startsWith('{\n      "Version"')).toBe(true)
    expect(text.endsWith('\n    }')).toBe(true)
    expect(at.document).toEqual(JSON.parse(text))
  })

  it('reads aws_iam_policy_document blocks as IAM JSON', () => {
    const { at } = policy('policy-document.tf', 'data.aws_iam_policy_document.builder')
    expect(at.document).toMatchObject({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Artifacts',
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        },
        { Sid: 'Registry', Effect: 'Allow', Resource: ['*'] },
        {
          Sid: 'Parameters',
          Condition: { StringEquals: { 'aws:RequestedRegion': ['eu-west-1'] } },
        },
        { Sid: 'NotIam', NotAction: ['iam:*', 'organizations:*'] },
        { Sid: 'NoProdDeletes', Effect: 'Deny' },
      ],
    })
  })

  it('reports unsupported shapes with reasons instead of failing', () => {
    const file = readTerraformFile(fixture('terraform/unsupported.tf'), 'unsupported.tf', parser)
    const reasons = Object.fromEntries(
      file.holders.map((h) => [
        h.label,
        h.source.kind === 'unsupported' ? h.source.reason : h.source.kind,
      ]),
    )
    expect(reasons).toEqual({
      'aws_iam_role_policy.team':
        'aws_iam_role_policy.team uses `for_each`, which scopedown does not expand',
      'aws_iam_role_policy.shared_computed':
        'aws_iam_role_policy.shared_computed: Action is computed and cannot be tightened',
      'aws_iam_role_policy.shared_template': expect.stringContaining('templatefile('),
      'aws_iam_role_policy.shared_merged': 'data-document',
    })
    expect(file.documents.get('data.aws_iam_policy_document.merged')).toEqual({
      unsupported:
        'data.aws_iam_policy_document.merged merges other documents through `source_policy_documents`',
    })
    expect(terraform.extract(fixture('terraform/unsupported.tf'), 'unsupported.tf')).toEqual([])
  })

  it('names the file and line of a syntax error', () => {
    const run = () => terraform.extract(fixture('terraform/broken.tf'), 'iam/broken.tf')
    expect(run).toThrow(ScopedownError)
    expect(run).toThrow('iam/broken.tf:5:5: Terraform syntax error')
  })

  it('reports file() references for the locator to follow', () => {
    const file = readTerraformFile(fixture('terraform/file-ref/main.tf'), 'mod/main.tf', parser)
    expect(file.holders.map((h) => [h.label, h.source])).toEqual([
      [
        'aws_iam_role.etl.inline_policy["etl-athena"]',
        { kind: 'file', path: 'mod/policies/athena.json' },
      ],
      ['aws_iam_policy.etl_glue', { kind: 'file', path: 'mod/policies/glue.json' }],
    ])
  })
})

const keepOnly = (actions: string[]) => (doc: unknown) =>
  pruneActions(doc, (a) => actions.includes(a))

/** Planner-like edits, each checked against a reviewed golden file. */
const EDITS: { name: string; file: string; label: string; edit: (doc: unknown) => unknown }[] = [
  {
    name: 'jsonencode-prune-and-drop-statement',
    file: 'jsonencode.tf',
    label: 'aws_iam_role_policy.orders_data',
    edit: keepOnly([
      'dynamodb:BatchWriteItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'xray:PutTraceSegments',
    ]),
  },
  {
    name: 'jsonencode-inline-tuple',
    file: 'jsonencode.tf',
    label: 'aws_iam_role_policy.orders_data',
    edit: keepOnly(['dynamodb:GetItem', 'events:PutEvents', 'xray:PutTraceSegments']),
  },
  {
    name: 'jsonencode-managed-policy',
    file: 'jsonencode.tf',
    label: 'aws_iam_policy.orders_queue',
    edit: keepOnly(['sqs:DeleteMessage', 'sqs:ReceiveMessage']),
  },
  {
    name: 'heredoc-flush-left',
    file: 'heredoc.tf',
    label: 'aws_iam_role_policy.reporter_s3',
    edit: keepOnly(['s3:GetObject', 's3:ListBucket']),
  },
  {
    name: 'heredoc-indented',
    file: 'heredoc.tf',
    label: 'aws_iam_role_policy.reporter_mail',
    edit: keepOnly(['ses:SendRawEmail']),
  },
  {
    name: 'policy-document-prune',
    file: 'policy-document.tf',
    label: 'data.aws_iam_policy_document.builder',
    edit: keepOnly(['s3:GetObject', 's3:DeleteObject', 'ssm:GetParameter', 's3:DeleteBucket']),
  },
  {
    name: 'policy-document-not-actions',
    file: 'policy-document.tf',
    label: 'data.aws_iam_policy_document.builder',
    edit: (doc) => notActionToAction(doc, ['ec2:DescribeInstances', 's3:ListAllMyBuckets']),
  },
  {
    name: 'crlf-jsonencode',
    file: 'crlf.tf',
    label: 'aws_iam_role_policy.crlf',
    edit: keepOnly(['sns:Publish']),
  },
]

describe('terraformFormat.replace', () => {
  it.each(EDITS)('$name', async ({ name, file, label, edit }) => {
    const { content, at } = policy(file, label)
    const edited = terraform.replace(content, at, edit(at.document))
    expect(parser.parse(edited).ok).toBe(true)
    await expect(edited).toMatchFileSnapshot(
      `../../fixtures/repo-formats/terraform/expected/${name}.tf`,
    )
  })

  it('keeps CRLF line endings', () => {
    const { content, at } = policy('crlf.tf', 'aws_iam_role_policy.crlf')
    const edited = terraform.replace(content, at, keepOnly(['sns:Publish'])(at.document))
    expect(edited.replace(/\r\n/g, '')).not.toContain('\n')
  })

  it('re-aligns `=` when a jsonencode statement swaps NotAction for Action', () => {
    const content = [
      'resource "aws_iam_role_policy" "p" {',
      '  policy = jsonencode({',
      '    Statement = [{',
      '      Effect    = "Allow"',
      '      NotAction = ["iam:*"]',
      '      Resource  = "*"',
      '    }]',
      '  })',
      '}',
      '',
    ].join('\n')
    const [at] = terraform.extract(content, 'p.tf')
    if (at === undefined) throw new Error('no policy')
    const edited = terraform.replace(content, at, notActionToAction(at.document, ['s3:GetObject']))
    expect(edited).toContain(
      [
        '      Effect   = "Allow"',
        '      Action   = ["s3:GetObject"]',
        '      Resource = "*"',
      ].join('\n'),
    )
  })

  it.each([
    {
      name: 'a new statement',
      edit: (doc: { Statement: unknown[] }) => ({
        ...doc,
        Statement: [...doc.Statement, { Effect: 'Allow', Action: ['a:b'] }],
      }),
      message: 'statements were added or reordered',
    },
    {
      name: 'changed resources',
      edit: (doc: { Statement: Record<string, unknown>[] }) => ({
        ...doc,
        Statement: doc.Statement.map((s, i) =>
          i === 0 ? { ...s, Resource: ['arn:aws:s3:::other/*'] } : s,
        ),
      }),
      message: 'statement 1 changed `Resource`',
    },
  ])('refuses to write $name into an aws_iam_policy_document', ({ edit, message }) => {
    const { content, at } = policy('policy-document.tf', 'data.aws_iam_policy_document.builder')
    const run = () => terraform.replace(content, at, edit(at.document as never))
    expect(run).toThrow(ScopedownError)
    expect(run).toThrow(message)
  })
})

describe('loadHclParser', () => {
  it('reports offsets as JavaScript string indices, also after astral characters', () => {
    const content = '# 😀 héllo\nresource "aws_iam_role" "r" {\n  name = "ü"\n}\n'
    const parsed = parser.parse(content)
    if (!parsed.ok) throw new Error('parse failed')
    const block = parsed.body.blocks[0]
    const name = block?.body.attributes[0]
    expect(content.slice(block?.start, block?.end).startsWith('resource')).toBe(true)
    expect(content.slice(name?.start, name?.end)).toBe('name = "ü"')
  })
})
