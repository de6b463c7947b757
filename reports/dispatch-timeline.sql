-- Dispatch timeline: per mailing and minute received, the sent events, the idle minutes before it (no sent
-- event of the mailing: a dispatch pause or an outage), and the delay from the event's own time to its
-- arrival, where the event has one (the first of created, timestamp, eventTime, date that is ISO-8601).
-- Parameters: :from, :to (UTC dates received, 'yyyy-MM-dd', inclusive), :mailing (a mailing id, or NULL for all).
WITH archived AS (
  -- Each event once: SNS and Firehose deliver at least once, and a replay publishes an event again.
  SELECT
    mailing_id,
    received_at,
    event,
    row_number() OVER (PARTITION BY event_key ORDER BY received_at) AS copy_number
  FROM campaign_events
  WHERE dt BETWEEN :from AND :to
    AND event_type IN ('sent')
    AND mailing_id = COALESCE(CAST(:mailing AS bigint), mailing_id)
),
sent AS (
  SELECT
    mailing_id,
    date_trunc('minute', received_at) AS sent_minute,
    received_at,
    try(from_iso8601_timestamp(COALESCE(
      json_extract_scalar(event, '$.created'),
      json_extract_scalar(event, '$.timestamp'),
      json_extract_scalar(event, '$.eventTime'),
      json_extract_scalar(event, '$.date')))) AS event_time
  FROM archived
  WHERE copy_number = 1
),
per_minute AS (
  SELECT
    mailing_id,
    sent_minute,
    count(*) AS sent,
    count(event_time) AS with_event_time,
    round(avg(date_diff('millisecond', event_time, received_at)) / 1000.0, 3) AS avg_delay_seconds,
    round(max(date_diff('millisecond', event_time, received_at)) / 1000.0, 3) AS max_delay_seconds
  FROM sent
  GROUP BY mailing_id, sent_minute
)
SELECT
  mailing_id,
  sent_minute,
  sent,
  COALESCE(date_diff('minute', lag(sent_minute) OVER (PARTITION BY mailing_id ORDER BY sent_minute), sent_minute) - 1, 0)
    AS idle_minutes_before,
  with_event_time,
  avg_delay_seconds,
  max_delay_seconds
FROM per_minute
ORDER BY mailing_id, sent_minute
