-- Deduplication that scales: MinHash LSH bands indexed in PostgreSQL, stories that carry their own
-- figures, one article per page (rel=canonical), and the history of an article's revisions.

-- 'merged': this row's page declared (rel=canonical) the same URL as an earlier article of the same
-- site; it is kept (feeds still list its URL) but counts as that article (`merged_into`).
ALTER TABLE articles DROP CONSTRAINT IF EXISTS articles_status_check;
ALTER TABLE articles ADD CONSTRAINT articles_status_check
    CHECK (status IN ('queued', 'fetched', 'extracted', 'rejected', 'failed', 'merged'));

ALTER TABLE articles
    ADD COLUMN IF NOT EXISTS url_key       text,
    ADD COLUMN IF NOT EXISTS merged_into   bigint REFERENCES articles (id),
    ADD COLUMN IF NOT EXISTS shingle_count integer,
    ADD COLUMN IF NOT EXISTS lsh_bands     bigint[],
    ADD COLUMN IF NOT EXISTS refetch_requested_at timestamptz;
-- Extracted articles to fetch again because their feed entry changed its headline.
CREATE INDEX IF NOT EXISTS articles_refetch_idx ON articles (id) WHERE refetch_requested_at IS NOT NULL;

-- Finds the article a page's rel=canonical URL belongs to.
CREATE INDEX IF NOT EXISTS articles_url_key_idx ON articles (url_key) WHERE status = 'extracted';
-- Articles deduplicated before this migration: their own URL is their key, and the dedup step
-- indexes their bands (found through this index) before it deduplicates anything new.
UPDATE articles SET url_key = canonical_url WHERE url_key IS NULL AND story_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS articles_bands_todo_idx ON articles (id)
    WHERE status = 'extracted' AND deduped_at IS NOT NULL AND lsh_bands IS NULL;

-- One row per (band, article). Two articles sharing any band key are candidate copies. No foreign
-- key: a cascade would need a second index as large as this one; an article's rows are replaced
-- from articles.lsh_bands when it is deduplicated again, and lookups join articles, so rows of a
-- deleted article are never returned. No primary key either: the dedup step never inserts a key
-- twice for one article, and a unique index's check costs a fifth of every insert.
CREATE TABLE IF NOT EXISTS article_bands (
    band_key    bigint NOT NULL,
    article_id  bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS article_bands_key_idx ON article_bands (band_key, article_id);
COMMENT ON TABLE article_bands IS 'MinHash LSH index: one row per band of each deduplicated article''s signature (see wirewatch.dedup).';

ALTER TABLE stories
    ADD COLUMN IF NOT EXISTS first_seen_at             timestamptz,
    ADD COLUMN IF NOT EXISTS last_seen_at              timestamptz,
    ADD COLUMN IF NOT EXISTS articles                  integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS outlets                   integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS representative_article_id bigint REFERENCES articles (id) ON DELETE SET NULL,
    ADD COLUMN IF NOT EXISTS updated_at                timestamptz NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS stories_first_seen_idx ON stories (first_seen_at);
CREATE INDEX IF NOT EXISTS stories_last_seen_idx ON stories (last_seen_at);

-- Stories created before this migration get their figures once.
UPDATE stories s SET first_seen_at = f.first_seen_at, last_seen_at = f.last_seen_at, articles = f.articles,
                     outlets = f.outlets, representative_article_id = f.representative, updated_at = now()
FROM (SELECT story_id, min(seen_at) AS first_seen_at, max(seen_at) AS last_seen_at, count(*) AS articles,
             count(DISTINCT outlet) AS outlets,
             (array_agg(article_id ORDER BY copy_rank))[1] AS representative
      FROM story_members GROUP BY story_id) f
WHERE f.story_id = s.id AND s.first_seen_at IS NULL;

CREATE TABLE IF NOT EXISTS article_revisions (
    article_id   bigint NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    revision     integer NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    url          text NOT NULL,
    title        text,
    text_hash    text,
    word_count   integer,
    PRIMARY KEY (article_id, revision)
);
COMMENT ON TABLE article_revisions IS 'Each distinct version (title or text) an article has been extracted with, oldest first: headline rewrites and edits of one article.';

-- Backfill: the version extracted before this migration is revision 1.
INSERT INTO article_revisions (article_id, revision, recorded_at, url, title, text_hash, word_count)
SELECT id, 1, coalesce(extracted_at, updated_at), coalesce(final_url, url), title, text_hash, word_count
FROM articles WHERE status = 'extracted'
ON CONFLICT DO NOTHING;

CREATE OR REPLACE VIEW report_stories AS
SELECT s.id                              AS story_id,
       a.title,
       a.canonical_url                   AS representative_url,
       s.representative_article_id,
       a.outlet                          AS representative_outlet,
       s.first_seen_at,
       s.last_seen_at,
       s.outlets,
       s.articles,
       s.articles - 1                    AS copies
FROM stories s
LEFT JOIN articles a ON a.id = s.representative_article_id
WHERE s.articles > 0;
COMMENT ON VIEW report_stories IS 'One row per story from the figures the dedup step keeps on it: representative (earliest copy), first/last seen, outlets and articles. Cheap at any size; report_story_clusters derives the same from the articles.';

CREATE OR REPLACE VIEW report_stories_daily AS
SELECT (s.first_seen_at AT TIME ZONE 'UTC')::date AS day,
       count(*)                                    AS stories,
       sum(s.articles)::bigint                     AS articles,
       count(*) FILTER (WHERE s.outlets > 1)       AS syndicated_stories,
       round(avg(s.outlets), 2)::float8            AS avg_outlets
FROM stories s
WHERE s.articles > 0
GROUP BY 1;
COMMENT ON VIEW report_stories_daily IS 'Per UTC day a story was first seen: new stories (the headline figure), their articles, how many ran on more than one outlet.';
