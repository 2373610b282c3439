import { describe, expect, it } from 'vitest'
import { validateConfig } from '../../src/config/load.js'
import { createLogSource } from '../../src/run/deps.js'
import { silentLogger } from '../../src/util/log.js'

describe('createLogSource', () => {
  it.each([
    [
      {
        type: 'cloudtrail-lake',
        region: 'us-east-1',
        eventDataStore:
          'arn:aws:cloudtrail:us-east-1:111111111111:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE',
      },
      'cloudtrail-lake',
    ],
    [
      { type: 'cloudtrail-lookup', region: 'us-east-1', regions: ['us-east-1', 'eu-west-1'] },
      'cloudtrail-lookup',
    ],
  ])('builds the %o source from the config', async (source, kind) => {
    const { config, issues } = validateConfig({ source })
    expect(issues).toEqual([])
    const built = await createLogSource(config!, silentLogger)
    expect(built.kind).toBe(kind)
    await built.close()
  })
})
