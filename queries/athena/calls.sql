-- One row per (principal, eventSource, eventName) with events in the window [start, end),
-- aggregated in Athena so only small results come back. Athena engine v3 (Trino) dialect.
-- Reads the CloudTrail table AWS documents for Athena (eventtime string, useridentity struct,
-- requestparameters JSON text, resources array of struct). __TABLE__ is replaced by the quoted
-- table identifier from the config: the only text substitution; every value is a parameter.
-- Positional parameters (ExecutionParameters), in this order (1-10 read once in `params`):
--   1 start VARCHAR, 2 end VARCHAR: ISO-8601 instants of the window [start, end).
--   3 filterAccounts BOOLEAN, 4 accounts VARCHAR (JSON array): unless filterAccounts is false,
--     keep only these recipientAccountIds.
--   5 allPrincipals BOOLEAN, 6 principals VARCHAR (JSON array): unless allPrincipals, keep only
--     these principal ARNs (exact, case-sensitive match).
--   7 deniedCodes VARCHAR (JSON array): errorCodes that mean "refused by authorization".
--   8 detailKeyPattern VARCHAR: a regex; requestparameters that do not match it skip the JSON
--     path extraction ('' matches everything).
--   9 detailPaths VARCHAR (JSON array): the JSON paths of REQUEST_DETAIL_PATHS, in key order.
--   10 maxResources INTEGER: distinct resource ARNs kept per row (sorted); one more is fetched
--     so the caller can tell the list was capped.
--   11.. partition values, only when the config names partition columns (source.partitions):
--     the line `-- __PARTITION_FILTER__` below is then replaced by a WHERE on the scan, built
--     from the validated, quoted column names and parameter markers only, whose values follow,
--     in order: the first and last date partition to read (VARCHAR 'yyyy/MM/dd' for a date
--     column, or INTEGER yyyyMMdd compared with the year, month and day columns as numbers),
--     from the day before the window's first day to two days after its end's day (CloudTrail
--     delivers late); then, when accounts are given and an account column is named, one VARCHAR
--     per account (an IN list; `false` when the list is empty).
-- Attribution (as queries/duckdb/level1-insert.sql): AssumedRole -> sessionissuer.arn (or the
-- role rebuilt from the assumed-role ARN); IAMUser, Root -> arn; FederatedUser -> sessionissuer
-- arn (principal type IAMUser). Other identities are unattributed (see unattributed.sql).
-- Partition pruning: without source.partitions the placeholder stays a comment and Athena scans
-- every partition of the table. The partition predicates are coarse: the window and accounts
-- are still applied to eventtime and recipientaccountid below, so no in-window event is lost.
-- Lists and arrays go out as JSON text (json_format): Athena returns every value as VARCHAR.
WITH
  params AS (
    SELECT
      from_iso8601_timestamp(?) AS window_start,
      from_iso8601_timestamp(?) AS window_end,
      ? AS filter_accounts,
      CAST(json_parse(?) AS array(varchar)) AS accounts,
      ? AS all_principals,
      CAST(json_parse(?) AS array(varchar)) AS principals,
      CAST(json_parse(?) AS array(varchar)) AS denied_codes,
      ? AS detail_key_pattern,
      CAST(json_parse(?) AS array(varchar)) AS detail_paths,
      ? AS max_resources
  ),
  attributed AS (
    SELECT
      try(from_iso8601_timestamp(e.eventtime)) AS t,
      CASE e.useridentity.type
        WHEN 'AssumedRole' THEN coalesce(
          nullif(e.useridentity.sessioncontext.sessionissuer.arn, ''),
          CASE
            WHEN regexp_like(e.useridentity.arn, '^arn:[^:]+:sts::\d+:assumed-role/[^/]+/')
            THEN regexp_replace(
              e.useridentity.arn,
              '^arn:([^:]+):sts::(\d+):assumed-role/([^/]+)/.*$',
              'arn:$1:iam::$2:role/$3'
            )
          END
        )
        WHEN 'IAMUser' THEN nullif(e.useridentity.arn, '')
        WHEN 'Root' THEN nullif(e.useridentity.arn, '')
        WHEN 'FederatedUser' THEN coalesce(
          nullif(e.useridentity.sessioncontext.sessionissuer.arn, ''),
          nullif(e.useridentity.arn, '')
        )
      END AS principal,
      CASE e.useridentity.type
        WHEN 'AssumedRole' THEN 'AssumedRole'
        WHEN 'IAMUser' THEN 'IAMUser'
        WHEN 'FederatedUser' THEN 'IAMUser'
        WHEN 'Root' THEN 'Root'
      END AS principal_type,
      e.eventsource AS event_source,
      e.eventname AS event_name,
      e.awsregion AS region,
      e.errorcode AS error_code,
      e.requestparameters AS request_parameters,
      nullif(e.useridentity.invokedby, '') AS invoked_by,
      e.resources AS resources,
      coalesce(e.recipientaccountid, 'unknown') AS account
    FROM __TABLE__ AS e
    -- __PARTITION_FILTER__
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
      -- A cheap text test first: most events carry none of the keys.
      CASE
        WHEN regexp_like(a.request_parameters, p.detail_key_pattern)
        THEN transform(
          p.detail_paths,
          jp -> try(json_format(json_extract(a.request_parameters, jp)))
        )
      END AS detail_values,
      a.invoked_by,
      a.resources
    FROM attributed AS a
    CROSS JOIN params AS p
    WHERE a.t >= p.window_start AND a.t < p.window_end
      AND a.event_source IS NOT NULL AND a.event_name IS NOT NULL
      AND a.principal IS NOT NULL
      AND (NOT p.filter_accounts OR contains(p.accounts, a.account))
      AND (p.all_principals OR contains(p.principals, a.principal))
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
      resources
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
      array_agg(DISTINCT region) FILTER (WHERE region IS NOT NULL) AS regions
    FROM projected
    GROUP BY principal, event_source, event_name
  ),
  distinct_arns AS (
    SELECT DISTINCT c.principal, c.event_source, c.event_name, r.arn
    FROM projected AS c
    CROSS JOIN UNNEST(transform(c.resources, x -> x.arn)) AS r (arn)
    WHERE r.arn IS NOT NULL
  ),
  -- row_number with a bound: Athena keeps the top rows per group only (bounded memory).
  ranked_arns AS (
    SELECT
      principal,
      event_source,
      event_name,
      arn,
      row_number() OVER (PARTITION BY principal, event_source, event_name ORDER BY arn) AS rn
    FROM distinct_arns
  ),
  first_arns AS (
    SELECT r.principal, r.event_source, r.event_name, array_agg(r.arn ORDER BY r.arn) AS arns
    FROM ranked_arns AS r
    CROSS JOIN params AS p
    WHERE r.rn <= p.max_resources + 1
    GROUP BY r.principal, r.event_source, r.event_name
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
  CAST(round(to_unixtime(tot.first_seen) * 1000) AS BIGINT) AS first_seen_ms,
  CAST(round(to_unixtime(tot.last_seen) * 1000) AS BIGINT) AS last_seen_ms,
  json_format(CAST(array_sort(tot.regions) AS JSON)) AS regions_json,
  json_format(CAST(f.arns AS JSON)) AS arns_json,
  json_format(CAST(d.details AS JSON)) AS details_json
FROM totals AS tot
LEFT JOIN first_arns AS f
  ON f.principal = tot.principal AND f.event_source = tot.event_source
    AND f.event_name = tot.event_name
LEFT JOIN detail_lists AS d
  ON d.principal = tot.principal AND d.event_source = tot.event_source
    AND d.event_name = tot.event_name
ORDER BY tot.principal, tot.event_source, tot.event_name
