-- One row per (principal, eventSource, eventName) with events in the window [start, end),
-- aggregated in CloudTrail Lake so only small results come back. CloudTrail Lake SQL (Trino
-- functions over one event data store). Lake's schema differs from the Athena table: eventTime
-- is a TIMESTAMP (UTC, no zone), requestParameters is a map(varchar, varchar) whose nested
-- objects are JSON text, resources is an array of row(accountId, type, arn).
-- __EDS__ is replaced by the event data store ID (validated [A-Za-z0-9-]): the only text
-- substitution; every value is a positional parameter (StartQuery QueryParameters, at most 10,
-- each 1 to 1024 characters), all read once in `params`:
--   1 start VARCHAR, 2 end VARCHAR: ISO-8601 instants of the window [start, end).
--   3 accounts VARCHAR: JSON array of recipientAccountIds to keep, or JSON null for all.
--   4 principals VARCHAR: JSON array of principal ARNs to keep (exact, case-sensitive), or JSON
--     null for all (also when the list does not fit one parameter: the caller then filters).
--   5 deniedCodes VARCHAR (JSON array): errorCodes that mean "refused by authorization".
--   6 detailPaths VARCHAR (JSON array): the JSON paths of REQUEST_DETAIL_PATHS, in key order.
--   7 maxResources INTEGER: distinct resource ARNs kept per row (sorted); one more is fetched
--     so the caller can tell the list was capped.
-- Details: each path `$.key.rest` reads the map entry `key`; with no `rest` the entry itself is
-- the value (JSON text when it starts with { or [, otherwise a string: Lake's map loses JSON
-- types, so numbers and booleans arrive as strings); with a `rest` the entry is parsed as JSON
-- and `rest` extracted from it. An entry that is not valid JSON yields no value (the mapper then
-- keeps its alternatives).
-- Attribution (as queries/athena/calls.sql): AssumedRole -> sessionIssuer.arn (or the role
-- rebuilt from the assumed-role ARN); IAMUser, Root -> arn; FederatedUser -> sessionIssuer arn
-- (principal type IAMUser). Other identities are unattributed (see unattributed.sql).
-- Joins are INNER JOIN ... ON true (Lake lists no CROSS JOIN); ARNs are collected with
-- set_union instead of UNNEST. Lists go out as JSON text (json_format): every value is a string.
WITH
  params AS (
    SELECT
      CAST(from_iso8601_timestamp(?) AT TIME ZONE 'UTC' AS timestamp(3)) AS window_start,
      CAST(from_iso8601_timestamp(?) AT TIME ZONE 'UTC' AS timestamp(3)) AS window_end,
      CAST(json_parse(?) AS array(varchar)) AS accounts,
      CAST(json_parse(?) AS array(varchar)) AS principals,
      CAST(json_parse(?) AS array(varchar)) AS denied_codes,
      CAST(json_parse(?) AS array(varchar)) AS detail_paths,
      CAST(? AS integer) AS max_resources
  ),
  detail_spec AS (
    SELECT
      transform(detail_paths, jp -> regexp_extract(jp, '^\$\.([A-Za-z0-9_]+)', 1)) AS keys,
      transform(detail_paths, jp -> regexp_replace(jp, '^\$\.[A-Za-z0-9_]+', '\$')) AS rests
    FROM params
  ),
  attributed AS (
    SELECT
      e.eventTime AS t,
      CASE e.userIdentity.type
        WHEN 'AssumedRole' THEN coalesce(
          nullif(e.userIdentity.sessionContext.sessionIssuer.arn, ''),
          CASE
            WHEN regexp_like(e.userIdentity.arn, '^arn:[^:]+:sts::\d+:assumed-role/[^/]+/')
            THEN regexp_replace(
              e.userIdentity.arn,
              '^arn:([^:]+):sts::(\d+):assumed-role/([^/]+)/.*$',
              'arn:$1:iam::$2:role/$3'
            )
          END
        )
        WHEN 'IAMUser' THEN nullif(e.userIdentity.arn, '')
        WHEN 'Root' THEN nullif(e.userIdentity.arn, '')
        WHEN 'FederatedUser' THEN coalesce(
          nullif(e.userIdentity.sessionContext.sessionIssuer.arn, ''),
          nullif(e.userIdentity.arn, '')
        )
      END AS principal,
      CASE e.userIdentity.type
        WHEN 'AssumedRole' THEN 'AssumedRole'
        WHEN 'IAMUser' THEN 'IAMUser'
        WHEN 'FederatedUser' THEN 'IAMUser'
        WHEN 'Root' THEN 'Root'
      END AS principal_type,
      e.eventSource AS event_source,
      e.eventName AS event_name,
      e.awsRegion AS region,
      e.errorCode AS error_code,
      e.requestParameters AS request_parameters,
      nullif(e.userIdentity.invokedBy, '') AS invoked_by,
      e.resources AS resources,
      coalesce(e.recipientAccountId, 'unknown') AS account
    FROM __EDS__ AS e
  ),
  call_rows AS (
    SELECT
      a.principal,
      a.principal_type,
      a.event_source,
      a.event_name,
      a.region,
      a.t,
      coalesce(contains(p.denied_codes, a.error_code), false) AS denied,
      -- A cheap key test first: most events carry none of the keys.
      CASE
        WHEN arrays_overlap(map_keys(a.request_parameters), s.keys)
        THEN zip_with(
          s.keys,
          s.rests,
          (k, r) -> CASE
            WHEN element_at(a.request_parameters, k) IS NULL THEN NULL
            WHEN r <> '$' THEN try(
              json_format(json_extract(element_at(a.request_parameters, k), r))
            )
            WHEN regexp_like(element_at(a.request_parameters, k), '^\s*[\[{]') THEN try(
              json_format(json_parse(element_at(a.request_parameters, k)))
            )
            ELSE json_format(CAST(element_at(a.request_parameters, k) AS JSON))
          END
        )
      END AS detail_values,
      a.invoked_by,
      coalesce(
        filter(transform(a.resources, x -> x.arn), arn -> arn IS NOT NULL),
        CAST(ARRAY[] AS array(varchar))
      ) AS arns
    FROM attributed AS a
    INNER JOIN params AS p ON true
    INNER JOIN detail_spec AS s ON true
    WHERE a.t >= p.window_start AND a.t < p.window_end
      AND a.event_source IS NOT NULL AND a.event_name IS NOT NULL
      AND a.principal IS NOT NULL
      AND (p.accounts IS NULL OR contains(p.accounts, a.account))
      AND (p.principals IS NULL OR contains(p.principals, a.principal))
  ),
  projected AS (
    -- NULL instead of a list of nulls when no path matched (most events): cheaper to group.
    SELECT
      principal,
      principal_type,
      event_source,
      event_name,
      region,
      t,
      denied,
      CASE
        WHEN any_match(detail_values, v -> v IS NOT NULL AND v <> 'null') THEN detail_values
      END AS details,
      invoked_by,
      arns
    FROM call_rows
  ),
  totals AS (
    SELECT
      principal,
      event_source,
      event_name,
      min(principal_type) AS principal_type,
      count(*) AS call_count,
      count_if(denied) AS denied_count,
      min(t) AS first_seen,
      max(t) AS last_seen,
      array_agg(DISTINCT region) FILTER (WHERE region IS NOT NULL) AS regions,
      set_union(arns) AS arns
    FROM projected
    GROUP BY principal, event_source, event_name
  ),
  detail_sums AS (
    SELECT
      principal,
      event_source,
      event_name,
      details,
      invoked_by,
      count(*) AS call_count,
      count_if(denied) AS denied_count
    FROM projected
    WHERE details IS NOT NULL OR invoked_by IS NOT NULL
    GROUP BY principal, event_source, event_name, details, invoked_by
  ),
  -- Each detail as [values (JSON texts in path order, or null), invokedBy, count, deniedCount].
  detail_lists AS (
    SELECT
      principal,
      event_source,
      event_name,
      array_agg(
        ARRAY[
          CAST(details AS JSON),
          CAST(invoked_by AS JSON),
          CAST(call_count AS JSON),
          CAST(denied_count AS JSON)
        ]
      ) AS details
    FROM detail_sums
    GROUP BY principal, event_source, event_name
  )
SELECT
  tot.principal,
  tot.principal_type,
  tot.event_source,
  tot.event_name,
  tot.call_count,
  tot.denied_count,
  CAST(round(to_unixtime(with_timezone(tot.first_seen, 'UTC')) * 1000) AS BIGINT)
    AS first_seen_ms,
  CAST(round(to_unixtime(with_timezone(tot.last_seen, 'UTC')) * 1000) AS BIGINT)
    AS last_seen_ms,
  json_format(CAST(array_sort(tot.regions) AS JSON)) AS regions_json,
  json_format(CAST(slice(array_sort(tot.arns), 1, p.max_resources + 1) AS JSON)) AS arns_json,
  json_format(CAST(d.details AS JSON)) AS details_json
FROM totals AS tot
INNER JOIN params AS p ON true
LEFT JOIN detail_lists AS d
  ON d.principal = tot.principal AND d.event_source = tot.event_source
    AND d.event_name = tot.event_name
ORDER BY tot.principal, tot.event_source, tot.event_name
