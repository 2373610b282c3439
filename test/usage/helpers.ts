import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { ApiCall } from '../../src/source/types.js'
import type { MappingResult } from '../../src/usage/mapper.js'
import { SHARED_DATA } from '../helpers/shared-data.js'

export { SHARED_DATA }

/** Real public data (shared/data); tests that read it skip, saying so in their name, when absent. */
export const hasSharedData = existsSync(join(SHARED_DATA, 'cloudtrail'))
export const NEEDS_DATA = `(reads ${SHARED_DATA}; skipped when it is absent)`

export function actionNames(result: MappingResult): string[] {
  return result.actions.map((a) => a.action)
}

/** An ApiCall with sensible defaults, for summarizeUsage tests. */
export function apiCall(
  overrides: Partial<ApiCall> & Pick<ApiCall, 'eventSource' | 'eventName'>,
): ApiCall {
  return {
    principalArn: 'arn:aws:iam::111111111111:role/app',
    principalType: 'AssumedRole',
    accountId: '111111111111',
    count: 1,
    deniedCount: 0,
    firstSeen: '2026-10-01T00:00:00.000Z',
    lastSeen: '2026-10-02T00:00:00.000Z',
    regions: ['us-east-1'],
    resources: [],
    resourcesCapped: false,
    details: [],
    ...overrides,
  }
}
