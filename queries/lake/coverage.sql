-- What the logs cover in the window [start, end): per recipient account and region, the first
-- and last event, the UTC days (YYYY-MM-DD) with at least one event, and the number of events
-- (their sum is the run's eventsInWindow). Missing days are derived from the window by the
-- caller. CloudTrail Lake SQL (Trino functions over one event data store; eventTime is a UTC
-- TIMESTAMP, so its date is the UTC day). __EDS__ is replaced by the event data store ID
-- (validated [A-Za-z0-9-]): the only text substitution; every value is a positional parameter
-- (StartQuery QueryParameters), all read once in `params`:
--   1 start VARCHAR, 2 end VARCHAR: ISO-8601 instants of the window [start, end).
--   3 accounts VARCHAR: JSON array of recipientAccountIds to keep, or JSON null for all.
WITH
  params AS (
    SELECT
      CAST(from_iso8601_timestamp(?) AT TIME ZONE 'UTC' AS timestamp(3)) AS window_start,
      CAST(from_iso8601_timestamp(?) AT TIME ZONE 'UTC' AS timestamp(3)) AS window_end,
      CAST(json_parse(?) AS array(varchar)) AS accounts
  ),
  timed AS (
    SELECT
      e.eventTime AS t,
      e.eventSource AS event_source,
      e.eventName AS event_name,
      coalesce(e.recipientAccountId, 'unknown') AS account,
      coalesce(e.awsRegion, 'unknown') AS region
    FROM __EDS__ AS e
  )
SELECT
  d.account,
  d.region,
  CAST(round(to_unixtime(with_timezone(min(d.t), 'UTC')) * 1000) AS BIGINT) AS first_event_ms,
  CAST(round(to_unixtime(with_timezone(max(d.t), 'UTC')) * 1000) AS BIGINT) AS last_event_ms,
  json_format(
    CAST(array_sort(array_agg(DISTINCT CAST(CAST(d.t AS date) AS varchar))) AS JSON)
  ) AS days_json,
  count(*) AS event_count
FROM timed AS d
INNER JOIN params AS p ON true
WHERE d.t >= p.window_start AND d.t < p.window_end
  AND d.event_source IS NOT NULL AND d.event_name IS NOT NULL
  AND (p.accounts IS NULL OR contains(p.accounts, d.account))
GROUP BY d.account, d.region
ORDER BY d.account, d.region
