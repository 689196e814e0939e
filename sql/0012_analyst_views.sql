-- Issue 15: what analysts query through wirewatch_reader, which reads report_* views only: the
-- articles, their topics and actors as views, and spikes (topics and actors whose last-24 h story
-- count is well above their trailing daily mean).

CREATE OR REPLACE VIEW report_articles AS
SELECT a.id                                                     AS article_id,
       a.story_id,
       a.duplicate_of,
       a.title,
       a.outlet,
       a.author,
       a.language,
       a.canonical_url,
       a.published_at,
       coalesce(a.published_at, a.feed_published_at, a.first_seen_at) AS seen_at,
       a.word_count,
       a.wire_source,
       a.quality_flags
FROM articles a
WHERE a.status = 'extracted';
COMMENT ON VIEW report_articles IS 'Extracted articles with their story, outlet, headline, author, language, dates (seen_at: published, else the feed''s date, else first seen), length, wire source and quality flags; no text.';

CREATE OR REPLACE VIEW report_article_topics AS
SELECT t.article_id, a.story_id, t.topic_id, t.score, t.in_title, t.evidence
FROM article_topics t
JOIN articles a ON a.id = t.article_id AND a.status = 'extracted';
COMMENT ON VIEW report_article_topics IS 'Topics per extracted article: score, whether the headline or lead has it, and the evidence sentence.';

CREATE OR REPLACE VIEW report_article_actors AS
SELECT x.article_id, a.story_id, x.actor_id, r.name AS actor, r.kind, x.mentions, x.in_title
FROM article_actors x
JOIN articles a ON a.id = x.article_id AND a.status = 'extracted'
JOIN actors r ON r.id = x.actor_id;
COMMENT ON VIEW report_article_actors IS 'Actors per extracted article: name, kind, mentions, and whether the headline or lead names it.';

-- Spikes as of any moment (the digest and the dashboard ask about their own window). SECURITY
-- DEFINER: it reads the raw tables for wirewatch_reader, who reads report_spikes, as a view would.
CREATE OR REPLACE FUNCTION wirewatch_spikes(until timestamptz, trailing_days integer DEFAULT 14,
                                            min_ratio float8 DEFAULT 2.0, min_stories integer DEFAULT 3)
RETURNS TABLE (kind text, id text, name text, last_24h bigint, daily_mean float8, ratio float8, is_spike boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    WITH linked AS (
        SELECT 'topic'::text AS kind, l.topic_id AS id, t.label AS name, s.id AS story_id, s.first_seen_at
        FROM stories s
        JOIN articles a ON a.story_id = s.id AND a.status = 'extracted'
        JOIN article_topics l ON l.article_id = a.id
        JOIN topics t ON t.id = l.topic_id
        WHERE s.first_seen_at > until - (trailing_days + 1) * interval '1 day' AND s.first_seen_at <= until
        UNION ALL
        SELECT 'actor', l.actor_id, r.name, s.id, s.first_seen_at
        FROM stories s
        JOIN articles a ON a.story_id = s.id AND a.status = 'extracted'
        JOIN article_actors l ON l.article_id = a.id
        JOIN actors r ON r.id = l.actor_id
        WHERE s.first_seen_at > until - (trailing_days + 1) * interval '1 day' AND s.first_seen_at <= until),
    counted AS (
        SELECT kind, id, name,
               count(DISTINCT story_id) FILTER (WHERE first_seen_at > until - interval '1 day') AS last_24h,
               count(DISTINCT story_id) FILTER (WHERE first_seen_at <= until - interval '1 day')::numeric
                   / trailing_days AS mean
        FROM linked GROUP BY kind, id, name)
    -- A mean under one story a day counts as one: two stories of a rare topic are not a spike.
    SELECT kind, id, name, last_24h, round(mean, 2)::float8,
           round(last_24h / greatest(mean, 1), 2)::float8,
           last_24h >= min_stories AND last_24h / greatest(mean, 1) >= min_ratio
    FROM counted
    WHERE last_24h > 0
    ORDER BY last_24h / greatest(mean, 1) DESC, last_24h DESC, kind DESC, name
$$;
COMMENT ON FUNCTION wirewatch_spikes(timestamptz, integer, float8, integer) IS 'Topics and actors by stories first seen in the 24 h before `until`, beside their daily mean over the `trailing_days` before that; is_spike when at least min_ratio times that mean (a mean under 1 counts as 1) and at least min_stories.';
REVOKE EXECUTE ON FUNCTION wirewatch_spikes(timestamptz, integer, float8, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wirewatch_spikes(timestamptz, integer, float8, integer) TO wirewatch_reader;

CREATE OR REPLACE VIEW report_spikes AS
SELECT * FROM wirewatch_spikes(now());
COMMENT ON VIEW report_spikes IS 'Topics and actors of the last 24 hours: stories, daily mean over the 14 days before, ratio, and is_spike (ratio >= 2 and at least 3 stories). For another moment or threshold: SELECT * FROM wirewatch_spikes(until, trailing_days, min_ratio, min_stories).';
