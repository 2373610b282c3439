import { describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli-program.js'
import { memoryIo } from '../../src/commands/io.js'

async function explain(...args: string[]) {
  const { io, stdout, stderr } = memoryIo()
  const code = await runCli(['explain-action', ...args], io)
  return { code, stdout: stdout(), stderr: stderr() }
}

describe('scopedown explain-action', () => {
  it('shows catalog facts, observability and the events that map to the action', async () => {
    const { code, stdout } = await explain('s3:listbucket')
    expect(code).toBe(0)
    expect(stdout).toMatch(/^s3:ListBucket {2}\(@cloud-copilot\/iam-data /)
    expect(stdout).toContain('access level:      List')
    expect(stdout).toContain(`bucket  arn:\${Partition}:s3:::\${BucketName}`)
    expect(stdout).toContain('observability:     data, absence cannot be trusted')
    expect(stdout).toMatch(/s3\.amazonaws\.com ListObjects {2}\[override\]/)
  })

  it('lists what a call of the same name may also need (request headers), since the catalog lists no dependent actions', async () => {
    const { code, stdout } = await explain('s3:CreateBucket')
    expect(code).toBe(0)
    expect(stdout).toContain('a CreateBucket call may also need:')
    expect(stdout).toMatch(/ {2}s3:PutBucketAcl {2}\(possible: depends on x-amz-acl in the request/)
    const json = JSON.parse((await explain('sqs:SendMessage', '--json')).stdout)
    expect(json.callAlsoNeeds).toEqual([])
  })

  it('prints JSON with --json', async () => {
    const { code, stdout } = await explain('iam:PassRole', '--json')
    expect(code).toBe(0)
    const json = JSON.parse(stdout)
    expect(json).toMatchObject({
      action: 'iam:PassRole',
      accessLevel: 'Write',
      resourceTypes: [{ name: 'role' }],
      observability: { class: 'unlogged', trusted: false },
      events: [{ via: 'dependent' }],
    })
    expect(json.catalog).toMatch(/^@cloud-copilot\/iam-data /)
  })

  it('exits 2 for an unknown action and suggests the closest names', async () => {
    const { code, stderr } = await explain('s3:GetObjekt')
    expect(code).toBe(2)
    expect(stderr).toContain("unknown IAM action 's3:GetObjekt'")
    expect(stderr).toMatch(/hint: did you mean s3:GetObject/)
  })

  it('explains an API name that is not an action by what authorises it', async () => {
    const { code, stderr } = await explain('s3:ListObjects')
    expect(code).toBe(2)
    expect(stderr).toContain(
      'hint: s3:ListObjects is an API operation, not an IAM action: it is authorised by s3:ListBucket',
    )
  })
})
