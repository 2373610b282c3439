-- Events in the window [start, end) that no IAM principal can be charged with (AWS services,
-- other accounts, Identity Center users, records without userIdentity ...), per identity type
-- and API call. CloudTrail Lake SQL (Trino functions over one event data store; eventTime is a
-- UTC TIMESTAMP). __EDS__ is replaced by the event data store ID (validated [A-Za-z0-9-]): the
-- only text substitution; every value is a positional parameter (StartQuery QueryParameters).
-- Attribution is the same CASE as calls.sql: an event is unattributed when it yields no
-- principal. Not filtered by principal (these events have none).
-- Positional parameters, in this order, all read once in `params`:
--   1 start VARCHAR, 2 end VARCHAR: ISO-8601 instants of the window [start, end).
--   3 accounts VARCHAR: JSON array of recipientAccountIds to keep, or JSON null for all.
WITH
  params AS (
    SELECT
      CAST(from_iso8601_timestamp(?) AT TIME ZONE 'UTC' AS timestamp(3)) AS window_start,
      CAST(from_iso8601_timestamp(?) AT TIME ZONE 'UTC' AS timestamp(3)) AS window_end,
      CAST(json_parse(?) AS array(varchar)) AS accounts
  ),
  attributed AS (
    SELECT
      e.eventTime AS t,
      coalesce(e.userIdentity.type, 'none') AS identity_type,
      CASE e.userIdentity.type
        WHEN 'AssumedRole' THEN coalesce(
          nullif(e.userIdentity.sessionContext.sessionIssuer.arn, ''),
          CASE
            WHEN regexp_like(e.userIdentity.arn, '^arn:[^:]+:sts::\d+:assumed-role/[^/]+/')
            THEN e.userIdentity.arn
          END
        )
        WHEN 'IAMUser' THEN nullif(e.userIdentity.arn, '')
        WHEN 'Root' THEN nullif(e.userIdentity.arn, '')
        WHEN 'FederatedUser' THEN coalesce(
          nullif(e.userIdentity.sessionContext.sessionIssuer.arn, ''),
          nullif(e.userIdentity.arn, '')
        )
      END AS principal,
      e.eventSource AS event_source,
      e.eventName AS event_name,
      coalesce(e.recipientAccountId, 'unknown') AS account
    FROM __EDS__ AS e
  )
SELECT a.identity_type, a.event_source, a.event_name, count(*) AS event_count
FROM attributed AS a
INNER JOIN params AS p ON true
WHERE a.t >= p.window_start AND a.t < p.window_end
  AND a.event_source IS NOT NULL AND a.event_name IS NOT NULL
  AND a.principal IS NULL
  AND (p.accounts IS NULL OR contains(p.accounts, a.account))
GROUP BY a.identity_type, a.event_source, a.event_name
ORDER BY a.identity_type, a.event_source, a.event_name
