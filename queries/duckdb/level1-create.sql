-- Creates (or empties) `level1`: the first aggregation level of one usage() call, filled batch by
-- batch by level1-insert.sql and read by calls.sql, unattributed.sql, coverage.sql and totals.sql.
-- No parameters; it holds only events in the window [start, end) (level1-insert.sql filters).
-- Rows of two kinds share the table (see level1-insert.sql):
--   is_day = false: per (identity, principal, eventSource, eventName, region, errorCode, details,
--                   invokedBy, resources): the call rows.
--   is_day = true:  per (recipient account, region, UTC day): the coverage rows.
-- A batch may insert rows whose keys repeat earlier batches: every reader re-aggregates.
CREATE OR REPLACE TEMP TABLE level1 (
  is_day BOOLEAN NOT NULL,
  bad BOOLEAN NOT NULL,
  identity_type VARCHAR,
  principal VARCHAR,
  principal_type VARCHAR,
  event_source VARCHAR,
  event_name VARCHAR,
  region VARCHAR,
  error_code VARCHAR,
  details JSON[],
  invoked_by VARCHAR,
  resources STRUCT("ARN" VARCHAR)[],
  account VARCHAR,
  day DATE,
  n BIGINT NOT NULL,
  first_seen TIMESTAMPTZ,
  last_seen TIMESTAMPTZ
);
