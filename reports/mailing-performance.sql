-- Mailing performance: per mailing, what was sent, bounced (hard/soft), delivered, opened and clicked
-- (all and unique recipients), unsubscribed and complained about, with the rates.
-- Parameters: :from, :to (UTC dates received, 'yyyy-MM-dd', inclusive), :mailing (a mailing id, or NULL for all).
-- Delivered = sent - bounced (at least 0). Open, click, unsubscribe and complaint rates are per delivered;
-- click-to-open is unique clickers per unique opener. A unique recipient is the recipient id (an event
-- without one counts once by itself).
WITH archived AS (
  -- Each event once: SNS and Firehose deliver at least once, and a replay publishes an event again.
  SELECT
    event_key,
    event_type,
    mailing_id,
    recipient_id,
    event,
    row_number() OVER (PARTITION BY event_key ORDER BY received_at) AS copy_number
  FROM campaign_events
  WHERE dt BETWEEN :from AND :to
    AND event_type IN ('sent', 'bounce', 'open', 'click', 'unsubscribe', 'spamcomplaint')
    AND mailing_id = COALESCE(CAST(:mailing AS bigint), mailing_id)
),
events AS (
  SELECT
    event_type,
    mailing_id,
    COALESCE(recipient_id, event_key) AS recipient,
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
counts AS (
  SELECT
    mailing_id,
    count_if(event_type = 'sent') AS sent,
    count_if(event_type = 'bounce') AS bounced,
    count_if(bounce_category = 'hard') AS hard_bounced,
    count_if(bounce_category = 'soft') AS soft_bounced,
    count_if(event_type = 'open') AS opens,
    count(DISTINCT CASE WHEN event_type = 'open' THEN recipient END) AS unique_opens,
    count_if(event_type = 'click') AS clicks,
    count(DISTINCT CASE WHEN event_type = 'click' THEN recipient END) AS unique_clicks,
    count_if(event_type = 'unsubscribe') AS unsubscribes,
    count_if(event_type = 'spamcomplaint') AS complaints
  FROM events
  GROUP BY mailing_id
),
delivered AS (
  SELECT counts.*, greatest(sent - bounced, 0) AS delivered FROM counts
)
SELECT
  mailing_id,
  sent,
  bounced,
  hard_bounced,
  soft_bounced,
  delivered,
  opens,
  unique_opens,
  clicks,
  unique_clicks,
  unsubscribes,
  complaints,
  round(CAST(bounced AS double) / nullif(sent, 0), 4) AS bounce_rate,
  round(CAST(unique_opens AS double) / nullif(delivered, 0), 4) AS open_rate,
  round(CAST(unique_clicks AS double) / nullif(delivered, 0), 4) AS click_rate,
  round(CAST(unique_clicks AS double) / nullif(unique_opens, 0), 4) AS click_to_open_rate,
  round(CAST(unsubscribes AS double) / nullif(delivered, 0), 4) AS unsubscribe_rate,
  round(CAST(complaints AS double) / nullif(delivered, 0), 4) AS complaint_rate
FROM delivered
ORDER BY mailing_id
