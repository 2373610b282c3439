-- Events in the window that no IAM principal can be charged with (AWS services, other accounts,
-- Identity Center users, records without userIdentity ...), per identity type and API call.
-- Reads `level1` (the window [start, end) was applied while loading). No parameters.
SELECT identity_type, event_source, event_name, sum(n)::BIGINT AS count
FROM level1
WHERE NOT is_day AND NOT bad AND principal IS NULL
GROUP BY identity_type, event_source, event_name
ORDER BY identity_type, event_source, event_name;
