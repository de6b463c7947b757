-- Bounce and complaint trends: per UTC day received, sent events, bounces (hard, soft, unknown) and spam
-- complaints, with the rates per sent event of that day.
-- Parameters: :from, :to (UTC dates received, 'yyyy-MM-dd', inclusive), :mailing (a mailing id, or NULL for all).
WITH archived AS (
  -- Each event once: SNS and Firehose deliver at least once, and a replay publishes an event again.
  SELECT
    dt,
    event_type,
    event,
    row_number() OVER (PARTITION BY event_key ORDER BY received_at) AS copy_number
  FROM campaign_events
  WHERE dt BETWEEN :from AND :to
    AND event_type IN ('sent', 'bounce', 'spamcomplaint')
    AND mailing_id = COALESCE(CAST(:mailing AS bigint), mailing_id)
),
events AS (
  SELECT
    dt,
    event_type,
    CASE
      WHEN event_type <> 'bounce' THEN 'none'
      WHEN replace(replace(replace(lower(COALESCE(
        json_extract_scalar(event, '$.bounceCategory'),
        json_extract_scalar(event, '$.bounceType'),
        json_extract_scalar(event, '$.category'))), '_', ''), '-', ''), ' ', '') IN ('hard', 'hardbounce') THEN 'hard'
      WHEN replace(replace(replace(lower(COALESCE(
        json_extract_scalar(event, '$.bounceCategory'),
        json_extract_scalar(event, '$.bounceType'),
        json_extract_scalar(event, '$.category'))), '_', ''), '-', ''), ' ', '') IN ('soft', 'softbounce') THEN 'soft'
      ELSE 'unknown'
    END AS bounce_category
  FROM archived
  WHERE copy_number = 1
),
daily AS (
  SELECT
    dt AS day,
    count_if(event_type = 'sent') AS sent,
    count_if(event_type = 'bounce') AS bounces,
    count_if(bounce_category = 'hard') AS hard_bounces,
    count_if(bounce_category = 'soft') AS soft_bounces,
    count_if(bounce_category = 'unknown') AS unknown_bounces,
    count_if(event_type = 'spamcomplaint') AS complaints
  FROM events
  GROUP BY dt
)
SELECT
  day,
  sent,
  bounces,
  hard_bounces,
  soft_bounces,
  unknown_bounces,
  complaints,
  round(CAST(bounces AS double) / nullif(sent, 0), 4) AS bounce_rate,
  round(CAST(hard_bounces AS double) / nullif(sent, 0), 4) AS hard_bounce_rate,
  round(CAST(complaints AS double) / nullif(sent, 0), 4) AS complaint_rate
FROM daily
ORDER BY day
