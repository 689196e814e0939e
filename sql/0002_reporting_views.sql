-- Reporting views: the stable interface for analysts' SQL. Column names here are a contract;
-- change them only with a new view name. Story figures are derived from articles on read,
-- so they can never drift from the rows they summarise.
-- An article's "seen at" time is its published time, else the feed's, else when we found it.

CREATE OR REPLACE VIEW story_members AS
SELECT a.id AS article_id,
       a.story_id,
       a.title,
       a.canonical_url,
       a.outlet,
       a.duplicate_of,
       coalesce(a.published_at, a.feed_published_at, a.first_seen_at) AS seen_at,
       row_number() OVER (PARTITION BY a.story_id
                          ORDER BY coalesce(a.published_at, a.feed_published_at, a.first_seen_at), a.id) AS copy_rank
FROM articles a
WHERE a.status = 'extracted' AND a.story_id IS NOT NULL;
COMMENT ON VIEW story_members IS 'Extracted articles with their story and copy rank (1 = earliest copy = representative).';

CREATE OR REPLACE VIEW report_story_clusters AS
SELECT m.story_id,
       rep.title,
       rep.canonical_url                                   AS representative_url,
       rep.article_id                                      AS representative_article_id,
       min(m.seen_at)                                      AS first_seen_at,
       max(m.seen_at)                                      AS last_seen_at,
       count(DISTINCT m.outlet)                            AS outlets,
       array_agg(DISTINCT m.outlet ORDER BY m.outlet)      AS outlet_names,
       count(*)                                            AS articles,
       count(*) FILTER (WHERE m.duplicate_of IS NOT NULL)  AS exact_duplicates,
       coalesce((SELECT array_agg(DISTINCT t.topic_id ORDER BY t.topic_id)
                 FROM article_topics t JOIN articles a ON a.id = t.article_id
                 WHERE a.story_id = m.story_id), '{}')     AS topics
FROM story_members m
JOIN story_members rep ON rep.story_id = m.story_id AND rep.copy_rank = 1
GROUP BY m.story_id, rep.title, rep.canonical_url, rep.article_id;
COMMENT ON VIEW report_story_clusters IS 'One row per story: representative headline, first/last seen, outlets and copies.';

CREATE OR REPLACE VIEW report_topic_daily AS
SELECT (m.seen_at AT TIME ZONE 'UTC')::date  AS day,
       t.id                                   AS topic_id,
       t.label                                AS topic,
       count(DISTINCT m.story_id)             AS stories,
       count(*)                               AS articles
FROM article_topics at
JOIN story_members m ON m.article_id = at.article_id
JOIN topics t ON t.id = at.topic_id
GROUP BY 1, 2, 3;
COMMENT ON VIEW report_topic_daily IS 'Per UTC day and topic: distinct stories (the headline figure) and article copies.';

CREATE OR REPLACE VIEW report_feed_health AS
SELECT f.id AS feed_id,
       f.name AS feed,
       f.outlet,
       f.url,
       CASE WHEN NOT f.enabled THEN 'disabled'
            WHEN f.last_status = 'never' THEN 'never polled'
            WHEN f.error_streak > 0 THEN 'failing'
            ELSE 'ok' END AS status,
       f.last_polled_at,
       f.last_success_at,
       f.error_streak,
       f.last_http_status,
       f.last_error,
       f.next_poll_at,
       (SELECT count(*) FROM feed_entries e WHERE e.feed_id = f.id) AS articles_listed
FROM feeds f;
COMMENT ON VIEW report_feed_health IS 'One row per feed: status, last success, error streak and last error.';

CREATE OR REPLACE VIEW report_article_outcomes AS
SELECT a.status,
       coalesce(a.failure_reason, '') AS reason,
       count(*)                       AS articles,
       max(a.updated_at)              AS latest
FROM articles a
GROUP BY 1, 2;
COMMENT ON VIEW report_article_outcomes IS 'Articles by status and failure/rejection reason (queued rows with a reason are awaiting retry).';
