-- Issue 13: each topic declares the ACLED event type and sub-event type it corresponds to, so that
-- wirewatch's counts can be set beside ACLED's (the reference dataset analysts already use).

ALTER TABLE topics ADD COLUMN IF NOT EXISTS acled_event_type text;
ALTER TABLE topics ADD COLUMN IF NOT EXISTS acled_sub_event_type text;
COMMENT ON COLUMN topics.acled_event_type IS 'The ACLED event type the topic corresponds to (config/topics.yaml acled:), or NULL.';

CREATE OR REPLACE VIEW report_acled_daily AS
SELECT (s.first_seen_at AT TIME ZONE 'UTC')::date AS day,
       tp.acled_event_type,
       tp.acled_sub_event_type,
       count(DISTINCT st.story_id)                 AS stories,
       sum(st.articles)::bigint                    AS articles
FROM report_story_topics st
JOIN topics tp ON tp.id = st.topic_id AND tp.acled_event_type IS NOT NULL
JOIN stories s ON s.id = st.story_id
GROUP BY 1, 2, 3;
COMMENT ON VIEW report_acled_daily IS 'Stories per ACLED event type and sub-event type and UTC day the story was first seen, to set beside ACLED counts.';
