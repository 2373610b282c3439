-- What the logs cover in the window [start, end): per recipient account and region, the first
-- and last event, the UTC days (YYYY-MM-DD) with at least one event, and the number of events
-- (their sum is the run's eventsInWindow). Missing days are derived from the window by the
-- caller. Athena engine v3 (Trino) dialect. __TABLE__ is replaced by the quoted table
-- identifier from the config: the only text substitution; every value is a parameter.
-- Positional parameters (ExecutionParameters), in this order (1-4 read once in `params`):
--   1 start VARCHAR, 2 end VARCHAR: ISO-8601 instants of the window [start, end).
--   3 filterAccounts BOOLEAN, 4 accounts VARCHAR (JSON array): unless filterAccounts is false,
--     keep only these recipientAccountIds.
--   5.. partition values, only when the config names partition columns (source.partitions):
--     `-- __PARTITION_FILTER__` is replaced by a WHERE on the scan whose parameter values follow:
--     the first and last date partition to read, then the accounts; see calls.sql.
-- Partition pruning: none without source.partitions (every partition is scanned).
WITH
  params AS (
    SELECT
      from_iso8601_timestamp(?) AS window_start,
      from_iso8601_timestamp(?) AS window_end,
      ? AS filter_accounts,
      CAST(json_parse(?) AS array(varchar)) AS accounts
  ),
  timed AS (
    SELECT
      try(from_iso8601_timestamp(e.eventtime)) AS t,
      e.eventsource AS event_source,
      e.eventname AS event_name,
      coalesce(e.recipientaccountid, 'unknown') AS account,
      coalesce(e.awsregion, 'unknown') AS region
    FROM __TABLE__ AS e
    -- __PARTITION_FILTER__
  )
SELECT
  d.account,
  d.region,
  CAST(round(to_unixtime(min(d.t)) * 1000) AS BIGINT) AS first_event_ms,
  CAST(round(to_unixtime(max(d.t)) * 1000) AS BIGINT) AS last_event_ms,
  json_format(
    CAST(array_sort(array_agg(DISTINCT CAST(date(d.t AT TIME ZONE 'UTC') AS varchar))) AS JSON)
  ) AS days_json,
  count(*) AS event_count
FROM timed AS d
CROSS JOIN params AS p
WHERE d.t >= p.window_start AND d.t < p.window_end
  AND d.event_source IS NOT NULL AND d.event_name IS NOT NULL
  AND (NOT p.filter_accounts OR contains(p.accounts, d.account))
GROUP BY d.account, d.region
ORDER BY d.account, d.region
