/**
 * What the trail records, read live: GetTrail (is it there, multi-region, the organization
 * trail?) and GetEventSelectors (basic or advanced), fed to the same parser as a saved
 * `aws cloudtrail get-event-selectors` answer, so the observability model cannot tell them apart.
 */
import {
  type CloudTrailClient,
  GetEventSelectorsCommand,
  GetTrailCommand,
} from '@aws-sdk/client-cloudtrail'
import { parseEventSelectors, type TrailLogging } from '../usage/observability.js'
import { ScopedownError } from '../util/errors.js'
import type { AwsCaller } from './calls.js'

/** One trail's logging, with what GetTrail said about its reach. */
export interface LiveTrailLogging {
  trailArn: string
  multiRegion: boolean
  organizationTrail: boolean
  logging: TrailLogging
}

export async function readTrailLogging(args: {
  cloudtrail: CloudTrailClient
  call: AwsCaller
  trail: string
  accountId?: string
}): Promise<LiveTrailLogging> {
  const where = { ...(args.accountId ? { accountId: args.accountId } : {}), resource: args.trail }
  const { Trail } = await args.call({ action: 'cloudtrail:GetTrail', ...where }, () =>
    args.cloudtrail.send(new GetTrailCommand({ Name: args.trail })),
  )
  if (!Trail?.TrailARN) {
    throw new ScopedownError('SOURCE_FAILED', `trail ${args.trail} was not found`, {
      hint: 'set aws.trailSelectors.trail to the name or ARN of the trail that delivers the logs',
    })
  }
  const answer = await args.call({ action: 'cloudtrail:GetEventSelectors', ...where }, () =>
    args.cloudtrail.send(new GetEventSelectorsCommand({ TrailName: Trail.TrailARN })),
  )
  const logging = parseEventSelectors({
    TrailARN: answer.TrailARN ?? Trail.TrailARN,
    ...(answer.EventSelectors ? { EventSelectors: answer.EventSelectors } : {}),
    ...(answer.AdvancedEventSelectors
      ? { AdvancedEventSelectors: answer.AdvancedEventSelectors }
      : {}),
  })
  return {
    trailArn: Trail.TrailARN,
    multiRegion: Trail.IsMultiRegionTrail === true,
    organizationTrail: Trail.IsOrganizationTrail === true,
    logging,
  }
}
