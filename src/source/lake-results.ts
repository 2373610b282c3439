import { ScopedownError } from '../util/errors.js'
import { literalParam, varcharParam } from './athena-results.js'

/** An event data store ID as the FROM clause takes it. */
const EDS_ID = /^[A-Za-z0-9-]+$/

/** StartQuery caps each QueryParameters entry at this many characters. */
export const LAKE_PARAM_MAX = 1024

/**
 * The event data store ID from the config: an ID, or an ARN
 * (`arn:aws:cloudtrail:region:account:eventdatastore/<id>`) whose last segment is the ID. The one
 * piece of text substituted into the Lake queries; anything but `[A-Za-z0-9-]` is CONFIG_INVALID.
 */
export function eventDataStoreId(eventDataStore: string): string {
  const id = eventDataStore.startsWith('arn:')
    ? (eventDataStore.split('/').at(-1) ?? '')
    : eventDataStore
  if (!EDS_ID.test(id)) {
    throw new ScopedownError(
      'CONFIG_INVALID',
      `source.eventDataStore ${JSON.stringify(eventDataStore)} is not an event data store ID or ARN`,
      {
        hint: 'give the event data store ID (letters, digits and hyphens) or its ARN, as `aws cloudtrail list-event-data-stores` shows it',
      },
    )
  }
  return id
}

/**
 * A QueryParameters value for a VARCHAR. Lake parameters are taken, as in Athena, to be SQL
 * literal text: a single-quoted string here. All encoding goes through these three functions.
 */
export function lakeVarcharParam(value: string): string {
  return varcharParam(value)
}

/** A list bound as one VARCHAR holding a JSON array; undefined (= all) as JSON null. */
export function lakeListParam(values: readonly string[] | undefined): string {
  return varcharParam(values === undefined ? 'null' : JSON.stringify(values))
}

/** An INTEGER QueryParameters value. */
export function lakeLiteralParam(value: number): string {
  return literalParam(value)
}

/**
 * GetQueryResults rows (each a list of one-entry `{column: value}` maps) as objects keyed by
 * column name; absent values are undefined.
 */
export function lakeRows(
  rows: readonly (readonly Record<string, string>[])[] | undefined,
): Record<string, string | undefined>[] {
  return (rows ?? []).map((row) => {
    const out: Record<string, string | undefined> = {}
    for (const cell of row) {
      for (const [name, value] of Object.entries(cell)) out[name] = value ?? undefined
    }
    return out
  })
}
