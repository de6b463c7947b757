-- Channel affinity and engagement score: per recipient and media type, opens and clicks, the last
-- engagement, and a recency-weighted score.
--   score    = sum over the recipient's opens and clicks on the media type of weight * 0.5 ^ (age_days / 14)
--              weight: open 1, click 3; age_days: from the event's arrival to the end of :to (UTC), in days
--              (an engagement loses half its weight every 14 days)
--   affinity = score / the recipient's score over every media type (0..1; NULL when that is 0)
-- The media type is the event's mediaType, else the only key of its mediaTypesToAddresses, else 'unknown'.
-- Parameters: :from, :to (UTC dates received, 'yyyy-MM-dd', inclusive), :mailing (a mailing id, or NULL for all).
WITH archived AS (
  -- Each event once: SNS and Firehose deliver at least once, and a replay publishes an event again.
  SELECT
    recipient_id,
    event_type,
    received_at,
    event,
    row_number() OVER (PARTITION BY event_key ORDER BY received_at) AS copy_number
  FROM campaign_events
  WHERE dt BETWEEN :from AND :to
    AND event_type IN ('open', 'click')
    AND mailing_id = COALESCE(CAST(:mailing AS bigint), mailing_id)
    AND recipient_id IS NOT NULL
),
engagements AS (
  SELECT
    recipient_id,
    COALESCE(
      json_extract_scalar(event, '$.mediaType'),
      CASE
        WHEN cardinality(try(CAST(json_extract(event, '$.mediaTypesToAddresses') AS map(varchar, varchar)))) = 1
        THEN map_keys(try(CAST(json_extract(event, '$.mediaTypesToAddresses') AS map(varchar, varchar))))[1]
      END,
      'unknown') AS media_type,
    event_type,
    received_at,
    CAST(date_diff('second', received_at, CAST(CAST(:to AS date) + INTERVAL '1' DAY AS timestamp)) AS double)
      / 86400 AS age_days
  FROM archived
  WHERE copy_number = 1
),
scored AS (
  SELECT
    recipient_id,
    media_type,
    count_if(event_type = 'open') AS opens,
    count_if(event_type = 'click') AS clicks,
    max(received_at) AS last_engaged_at,
    sum(CASE WHEN event_type = 'click' THEN 3 ELSE 1 END * power(0.5, age_days / 14)) AS score
  FROM engagements
  GROUP BY recipient_id, media_type
)
SELECT
  recipient_id,
  media_type,
  opens,
  clicks,
  last_engaged_at,
  round(score, 4) AS score,
  round(score / nullif(sum(score) OVER (PARTITION BY recipient_id), 0), 4) AS affinity
FROM scored
ORDER BY score DESC, recipient_id, media_type
