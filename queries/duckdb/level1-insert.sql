-- First aggregation level: reads one batch of files and adds its rows to `level1`.
-- Window: [start, end) on eventTime (or "@timestamp" when eventTime is absent).
-- Parameters:
--   $files VARCHAR[], $format VARCHAR, $compression VARCHAR: used by the events reader below.
--   $start, $end VARCHAR: ISO-8601 instants bounding the window [start, end).
--   $filterAccounts BOOLEAN, $accounts VARCHAR[]: keep only these recipientAccountIds when true.
--   $detailPaths VARCHAR[]: the JSON paths of REQUEST_DETAIL_PATHS, in key order.
--   $detailKeyPattern VARCHAR: a regex matching any top-level key those paths start with.
-- The line __EVENTS__ is replaced by one events-*.sql reader, which yields one column
-- `e cloudtrail_event` per record.
--
-- One scan feeds two GROUPING SETS: the call rows (no day, so a role calling the same API every
-- day stays one row) and the coverage rows (account, region, day). Records with no usable time,
-- eventSource or eventName are `bad`: counted, never attributed.
--
-- Attribution (who is the principal whose policies allowed the call):
--   AssumedRole   -> sessionContext.sessionIssuer.arn: the role ARN with its path. When the issuer
--                    is missing, the role ARN is rebuilt from the assumed-role ARN, without path
--                    (CloudTrail's assumed-role ARNs omit it).
--   IAMUser, Root -> userIdentity.arn.
--   FederatedUser -> sessionIssuer.arn: the IAM user whose policies bound the GetFederationToken
--                    session (principal_type IAMUser); userIdentity.arn if the issuer is missing.
--   Anything else (AWSService, AWSAccount, IdentityCenterUser, WebIdentityUser, SAMLUser,
--   Unknown, no userIdentity or no type = 'none') has no principal: counted as unattributed.
INSERT INTO level1 BY NAME
WITH
  events AS (
__EVENTS__
  ),
  timed AS (
    SELECT TRY_CAST(coalesce(e.eventTime, e."@timestamp") AS TIMESTAMPTZ) AS t, e FROM events
  ),
  classified AS (
    SELECT
      t,
      t IS NULL OR e.eventSource IS NULL OR e.eventName IS NULL AS bad,
      CAST(t AS DATE) AS day,
      coalesce(e.userIdentity."type", 'none') AS identity_type,
      CASE e.userIdentity."type"
        WHEN 'AssumedRole' THEN coalesce(
          e.userIdentity.sessionContext.sessionIssuer.arn,
          CASE
            WHEN regexp_matches(e.userIdentity.arn, '^arn:[^:]+:sts::\d+:assumed-role/[^/]+/')
            THEN regexp_replace(
              e.userIdentity.arn,
              '^arn:([^:]+):sts::(\d+):assumed-role/([^/]+)/.*$',
              'arn:\1:iam::\2:role/\3'
            )
          END
        )
        WHEN 'IAMUser' THEN e.userIdentity.arn
        WHEN 'Root' THEN e.userIdentity.arn
        WHEN 'FederatedUser' THEN coalesce(
          e.userIdentity.sessionContext.sessionIssuer.arn,
          e.userIdentity.arn
        )
      END AS principal,
      CASE e.userIdentity."type"
        WHEN 'AssumedRole' THEN 'AssumedRole'
        WHEN 'IAMUser' THEN 'IAMUser'
        WHEN 'FederatedUser' THEN 'IAMUser'
        WHEN 'Root' THEN 'Root'
      END AS principal_type,
      e.eventSource AS event_source,
      e.eventName AS event_name,
      e.awsRegion AS region,
      e.errorCode AS error_code,
      -- A cheap text test first: most events carry none of the keys, and extracting every path
      -- from every event was a third of the load time (1M-event benchmark).
      CASE
        WHEN regexp_matches(e.requestParameters::VARCHAR, $detailKeyPattern)
        THEN json_extract(e.requestParameters, $detailPaths)
      END AS detail_values,
      e.userIdentity.invokedBy AS invoked_by,
      -- Kept as the raw list: grouping on it is cheap, extracting ARNs per event is not.
      e.resources AS resources,
      coalesce(e.recipientAccountId, 'unknown') AS account
    FROM timed
  ),
  projected AS (
    -- NULL instead of a list of NULLs when no path matched (most events): cheaper to group.
    SELECT
      * EXCLUDE (detail_values),
      CASE WHEN list_aggregate(detail_values, 'count') > 0 THEN detail_values END AS details
    FROM classified
  )
SELECT
  GROUPING(day) = 0 AS is_day,
  bad,
  identity_type,
  principal,
  principal_type,
  event_source,
  event_name,
  region,
  error_code,
  details,
  invoked_by,
  resources,
  account,
  day,
  count(*) AS n,
  min(t) AS first_seen,
  max(t) AS last_seen
FROM projected
WHERE (t IS NULL OR (t >= CAST($start AS TIMESTAMPTZ) AND t < CAST($end AS TIMESTAMPTZ)))
  AND (NOT $filterAccounts OR list_contains($accounts, account))
GROUP BY GROUPING SETS (
  (bad, identity_type, principal, principal_type, event_source, event_name, region, error_code,
    details, invoked_by, resources),
  (bad, account, region, day)
);
