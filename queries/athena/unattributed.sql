-- Events in the window [start, end) that no IAM principal can be charged with (AWS services,
-- other accounts, Identity Center users, records without userIdentity ...), per identity type
-- and API call. Athena engine v3 (Trino) dialect. __TABLE__ is replaced by the quoted table
-- identifier from the config: the only text substitution; every value is a parameter.
-- Attribution is the same CASE as calls.sql: an event is unattributed when it yields no
-- principal. Not filtered by principal (these events have none).
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
  attributed AS (
    SELECT
      try(from_iso8601_timestamp(e.eventtime)) AS t,
      coalesce(e.useridentity.type, 'none') AS identity_type,
      CASE e.useridentity.type
        WHEN 'AssumedRole' THEN coalesce(
          nullif(e.useridentity.sessioncontext.sessionissuer.arn, ''),
          CASE
            WHEN regexp_like(e.useridentity.arn, '^arn:[^:]+:sts::\d+:assumed-role/[^/]+/')
            THEN e.useridentity.arn
          END
        )
        WHEN 'IAMUser' THEN nullif(e.useridentity.arn, '')
        WHEN 'Root' THEN nullif(e.useridentity.arn, '')
        WHEN 'FederatedUser' THEN coalesce(
          nullif(e.useridentity.sessioncontext.sessionissuer.arn, ''),
          nullif(e.useridentity.arn, '')
        )
      END AS principal,
      e.eventsource AS event_source,
      e.eventname AS event_name,
      coalesce(e.recipientaccountid, 'unknown') AS account
    FROM __TABLE__ AS e
    -- __PARTITION_FILTER__
  )
SELECT a.identity_type, a.event_source, a.event_name, count(*) AS event_count
FROM attributed AS a
CROSS JOIN params AS p
WHERE a.t >= p.window_start AND a.t < p.window_end
  AND a.event_source IS NOT NULL AND a.event_name IS NOT NULL
  AND a.principal IS NULL
  AND (NOT p.filter_accounts OR contains(p.accounts, a.account))
GROUP BY a.identity_type, a.event_source, a.event_name
ORDER BY a.identity_type, a.event_source, a.event_name
