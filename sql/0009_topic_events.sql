-- Issue 13: the event facts of each article-topic, from its evidence sentences (wirewatch.events):
-- casualty figures with their qualifier, places with country and coordinates, the event's day.

ALTER TABLE article_topics ADD COLUMN IF NOT EXISTS killed integer;
ALTER TABLE article_topics ADD COLUMN IF NOT EXISTS killed_qualifier text;
ALTER TABLE article_topics ADD COLUMN IF NOT EXISTS injured integer;
ALTER TABLE article_topics ADD COLUMN IF NOT EXISTS injured_qualifier text;
ALTER TABLE article_topics ADD COLUMN IF NOT EXISTS casualty_text text[] NOT NULL DEFAULT '{}';
ALTER TABLE article_topics ADD COLUMN IF NOT EXISTS places jsonb NOT NULL DEFAULT '[]';
ALTER TABLE article_topics ADD COLUMN IF NOT EXISTS event_date date;

CREATE OR REPLACE VIEW report_events AS
SELECT a.story_id,
       t.article_id,
       t.topic_id,
       p.value->>'name'                        AS place,
       p.value->>'country'                     AS country,
       (p.value->>'latitude')::float8          AS latitude,
       (p.value->>'longitude')::float8         AS longitude,
       t.killed,
       t.killed_qualifier,
       t.injured,
       t.injured_qualifier,
       coalesce(t.event_date, (coalesce(a.published_at, a.feed_published_at) AT TIME ZONE 'UTC')::date) AS event_date
FROM article_topics t
JOIN articles a ON a.id = t.article_id AND a.status = 'extracted'
LEFT JOIN LATERAL jsonb_array_elements(t.places) p ON true
WHERE t.killed IS NOT NULL OR t.injured IS NOT NULL OR t.killed_qualifier IS NOT NULL
   OR t.injured_qualifier IS NOT NULL OR jsonb_array_length(t.places) > 0 OR t.event_date IS NOT NULL;
COMMENT ON VIEW report_events IS 'Event facts per article-topic (one row per place, or one without): story, topic, place, country, coordinates, killed and injured figures with their qualifiers, and the event day (else the publication day).';
