/**
 * Builders for synthetic CloudTrail records and the files they live in, written to temp folders
 * by the tests (nothing here is a test itself). Accounts 111111111111 and 222222222222.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'

export const ACCOUNT = '111111111111'
export const OTHER_ACCOUNT = '222222222222'

export type Json = Record<string, unknown>

/** userIdentity of a role session; `path` is the role path, e.g. `/service/`. */
export function assumedRole(
  role: string,
  options: { path?: string; account?: string; invokedBy?: string; withIssuer?: boolean } = {},
): Json {
  const account = options.account ?? ACCOUNT
  const rolePath = options.path ?? '/'
  return {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLE:${role}-session`,
    arn: `arn:aws:sts::${account}:assumed-role/${role}/${role}-session`,
    accountId: account,
    ...(options.invokedBy ? { invokedBy: options.invokedBy } : {}),
    sessionContext: {
      ...(options.withIssuer === false
        ? {}
        : {
            sessionIssuer: {
              type: 'Role',
              principalId: 'AROAEXAMPLE',
              arn: `arn:aws:iam::${account}:role${rolePath}${role}`,
              accountId: account,
              userName: role,
            },
          }),
      attributes: { creationDate: '2026-10-01T00:00:00Z', mfaAuthenticated: 'false' },
    },
  }
}

export function iamUser(name: string, account = ACCOUNT): Json {
  return {
    type: 'IAMUser',
    principalId: 'AIDAEXAMPLE',
    arn: `arn:aws:iam::${account}:user/${name}`,
    accountId: account,
    userName: name,
  }
}

export function root(account = ACCOUNT): Json {
  return {
    type: 'Root',
    principalId: account,
    arn: `arn:aws:iam::${account}:root`,
    accountId: account,
  }
}

export function federatedUser(name: string, issuerUser: string, account = ACCOUNT): Json {
  return {
    type: 'FederatedUser',
    principalId: `${account}:${name}`,
    arn: `arn:aws:sts::${account}:federated-user/${name}`,
    accountId: account,
    sessionContext: {
      sessionIssuer: {
        type: 'IAMUser',
        arn: `arn:aws:iam::${account}:user/${issuerUser}`,
        userName: issuerUser,
      },
    },
  }
}

export function awsService(service: string): Json {
  return { type: 'AWSService', invokedBy: service }
}

export interface EventOptions {
  time: string
  source?: string
  name?: string
  identity?: Json | null
  errorCode?: string
  region?: string
  account?: string
  resources?: string[]
  params?: Json | null
  /** Fields to set or (with undefined) delete after building. */
  override?: Record<string, unknown>
}

/** A full CloudTrail record (eventVersion 1.09), shaped like a real S3-delivered one. */
export function event(options: EventOptions): Json {
  const account = options.account ?? ACCOUNT
  const record: Json = {
    eventVersion: '1.09',
    userIdentity: options.identity === undefined ? assumedRole('app') : options.identity,
    eventTime: options.time,
    eventSource: options.source ?? 's3.amazonaws.com',
    eventName: options.name ?? 'ListBuckets',
    awsRegion: options.region ?? 'us-east-1',
    sourceIPAddress: '192.0.2.10',
    userAgent: 'aws-cli/2.15.0',
    ...(options.errorCode ? { errorCode: options.errorCode, errorMessage: 'not authorized' } : {}),
    requestParameters: options.params === undefined ? null : options.params,
    responseElements: null,
    requestID: 'EXAMPLE',
    eventID: `00000000-0000-0000-0000-${options.time.replace(/\D/g, '').slice(0, 12)}`,
    readOnly: true,
    ...(options.resources
      ? {
          resources: options.resources.map((arn) => ({
            accountId: account,
            type: 'AWS::Example',
            ARN: arn,
          })),
        }
      : {}),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: account,
    eventCategory: 'Management',
  }
  for (const [key, value] of Object.entries(options.override ?? {})) {
    if (value === undefined) delete record[key]
    else record[key] = value
  }
  return record
}

/** A temp folder removed by `cleanup()`. */
export function tempFolder(prefix = 'scopedown-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Writes a file (creating folders); strings are UTF-8, `gzip` compresses. Returns the path. */
export function writeFile(
  dir: string,
  relative: string,
  content: string | Buffer,
  gzip = false,
): string {
  const file = path.join(dir, relative)
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, gzip ? gzipSync(content) : content)
  return file
}

/**
 * Writes an S3-delivered log file: `AWSLogs/[org/]<account>/CloudTrail/<region>/YYYY/MM/DD/
 * <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<id>.json.gz`, one line `{"Records":[...]}`.
 * `delivered` is the delivery time (folder and name); it defaults to the latest event's time.
 */
export function writeS3Log(
  dir: string,
  records: readonly Json[],
  options: {
    account?: string
    region?: string
    delivered?: string
    org?: string
    id?: string
    gzip?: boolean
  } = {},
): string {
  const account = options.account ?? ACCOUNT
  const region = options.region ?? 'us-east-1'
  const latest = records
    .map((r) => String(r.eventTime ?? ''))
    .sort()
    .at(-1)
  const delivered = new Date(options.delivered ?? (latest || '2026-10-01T00:00:00Z'))
  const [y, m, d] = delivered.toISOString().slice(0, 10).split('-')
  const stamp = `${delivered.toISOString().slice(0, 16).replace(/[-:]/g, '')}Z`
  const gzip = options.gzip ?? true
  const name = `${account}_CloudTrail_${region}_${stamp}_${options.id ?? 'AbCd1234'}.json${gzip ? '.gz' : ''}`
  const prefix = options.org ? `AWSLogs/${options.org}/${account}` : `AWSLogs/${account}`
  return writeFile(
    dir,
    `${prefix}/CloudTrail/${region}/${y}/${m}/${d}/${name}`,
    `${JSON.stringify({ Records: records })}\n`,
    gzip,
  )
}
