-- Session setup for the DuckDB CloudTrail source; run once per connection. No parameters.
-- No window here: level1-insert.sql keeps events in [start, end).

-- Times are compared and cut into days in UTC, whatever the machine's time zone.
SET TimeZone = 'UTC';
-- Our aggregates never depend on row order; this lets parallel readers keep less in memory.
SET preserve_insertion_order = false;
-- Track query progress (polled by the loader for its progress callback) without printing it.
SET enable_progress_bar = true;
SET enable_progress_bar_print = false;

-- The few CloudTrail fields scopedown reads, declared once and never inferred: schema inference
-- samples some files and then fails on a field it did not see, or is 5x slower when told to read
-- every file (shared/design/performance-notes.md). Unknown fields are ignored; a field present
-- with another JSON type than declared fails the strict reader (the loader then retries the file
-- with the tolerant one).
--   "@timestamp": Logstash's CloudTrail codec moves eventTime there (OTRF datasets).
--   requestParameters: kept as JSON text; only REQUEST_DETAIL_PATHS are ever extracted from it.
CREATE TYPE cloudtrail_event AS STRUCT(
  eventTime VARCHAR,
  "@timestamp" VARCHAR,
  eventSource VARCHAR,
  eventName VARCHAR,
  errorCode VARCHAR,
  awsRegion VARCHAR,
  recipientAccountId VARCHAR,
  userIdentity STRUCT(
    "type" VARCHAR,
    arn VARCHAR,
    invokedBy VARCHAR,
    sessionContext STRUCT(sessionIssuer STRUCT(arn VARCHAR))
  ),
  resources STRUCT("ARN" VARCHAR)[],
  requestParameters JSON
);
