/**
 * Access Advisor per role: GenerateServiceLastAccessedDetails (ACTION_LEVEL), polled with
 * back-off until the job completes, then every page of GetServiceLastAccessedDetails, turned into
 * the planner's pure {@link AccessAdvisorEvidence}. Jobs are paced by the caller's per-API limit
 * (IAM limits how many report jobs run at once). A failed job is an error for that role only.
 */
import {
  GenerateServiceLastAccessedDetailsCommand,
  GetServiceLastAccessedDetailsCommand,
  type GetServiceLastAccessedDetailsCommandOutput,
  type IAMClient,
} from '@aws-sdk/client-iam'
import type { AccessAdvisorEvidence, AccessAdvisorService } from '../plan/access-advisor.js'
import { ScopedownError } from '../util/errors.js'
import { sleep } from '../util/retry.js'
import { DAY_MS } from '../util/window.js'
import type { AwsCaller } from './calls.js'

/** IAM reports activity for at least the last 400 days (GenerateServiceLastAccessedDetails docs). */
export const TRACKING_DAYS = 400

export interface AccessAdvisorOptions {
  iam: IAMClient
  call: AwsCaller
  accountId: string
  /** First wait between polls; doubles up to 30 s. */
  pollMs: number
  maxPolls: number
  sleep?: (ms: number) => Promise<void>
}

const iso = (d: Date | string | undefined) => (d ? new Date(d).toISOString() : undefined)

/** Generates, waits for and reads one role's report. */
export async function readAccessAdvisor(
  roleArn: string,
  options: AccessAdvisorOptions,
): Promise<AccessAdvisorEvidence> {
  const pause = options.sleep ?? sleep
  const target = (action: string) => ({ action, accountId: options.accountId, resource: roleArn })
  const job = await options.call(target('iam:GenerateServiceLastAccessedDetails'), () =>
    options.iam.send(
      new GenerateServiceLastAccessedDetailsCommand({ Arn: roleArn, Granularity: 'ACTION_LEVEL' }),
    ),
  )
  const jobId = job.JobId
  if (!jobId)
    throw new ScopedownError('SOURCE_FAILED', `Access Advisor gave no job id for ${roleArn}`)
  const page = (marker?: string) =>
    options.call(target('iam:GetServiceLastAccessedDetails'), () =>
      options.iam.send(
        new GetServiceLastAccessedDetailsCommand({
          JobId: jobId,
          ...(marker ? { Marker: marker } : {}),
        }),
      ),
    )
  let first: GetServiceLastAccessedDetailsCommandOutput | undefined
  for (let poll = 0; poll < options.maxPolls; poll += 1) {
    const answer = await page()
    if (answer.JobStatus === 'COMPLETED') {
      first = answer
      break
    }
    if (answer.JobStatus === 'FAILED') {
      throw new ScopedownError(
        'SOURCE_FAILED',
        `Access Advisor job ${jobId} for ${roleArn} failed: ${answer.Error?.Message ?? answer.Error?.Code ?? 'no reason given'}`,
        {
          hint: 'run again later; Access Advisor is then not used for this role (its unobservable actions are kept)',
        },
      )
    }
    await pause(Math.min(30_000, options.pollMs * 2 ** poll))
  }
  if (!first) {
    throw new ScopedownError(
      'SOURCE_FAILED',
      `Access Advisor job ${jobId} for ${roleArn} did not finish after ${options.maxPolls} polls`,
      { hint: 'raise aws.accessAdvisor.maxPolls or pollMs' },
    )
  }
  const pages = [first]
  let marker = first.IsTruncated ? first.Marker : undefined
  while (marker) {
    const next = await page(marker)
    pages.push(next)
    marker = next.IsTruncated ? next.Marker : undefined
  }
  const generatedAt = iso(first.JobCompletionDate) ?? new Date().toISOString()
  return {
    roleArn,
    generatedAt,
    trackingStart: new Date(Date.parse(generatedAt) - TRACKING_DAYS * DAY_MS).toISOString(),
    services: pages.flatMap((p) => (p.ServicesLastAccessed ?? []).map(toService)),
  }
}

function toService(
  s: NonNullable<GetServiceLastAccessedDetailsCommandOutput['ServicesLastAccessed']>[number],
): AccessAdvisorService {
  const lastAccessed = iso(s.LastAuthenticated)
  return {
    namespace: s.ServiceNamespace ?? '',
    ...(lastAccessed ? { lastAccessed } : {}),
    ...(s.LastAuthenticatedRegion ? { lastRegion: s.LastAuthenticatedRegion } : {}),
    ...(s.TrackedActionsLastAccessed
      ? {
          actions: s.TrackedActionsLastAccessed.flatMap((a) => {
            if (!a.ActionName) return []
            const at = iso(a.LastAccessedTime)
            return [
              {
                name: a.ActionName.split(':').pop() ?? a.ActionName,
                ...(at ? { lastAccessed: at } : {}),
                ...(a.LastAccessedRegion ? { lastRegion: a.LastAccessedRegion } : {}),
              },
            ]
          }),
        }
      : {}),
  }
}
