-- Extraction quality: raw pages kept for re-extraction, a separate extract step, what a text is
-- (wire source, lead image) and what may be wrong with it, and per-site boilerplate learning.

-- 'fetched': downloaded and stored in raw_pages, waiting for the extract step.
ALTER TABLE articles DROP CONSTRAINT IF EXISTS articles_status_check;
ALTER TABLE articles ADD CONSTRAINT articles_status_check
    CHECK (status IN ('queued', 'fetched', 'extracted', 'rejected', 'failed'));

ALTER TABLE articles
    ADD COLUMN IF NOT EXISTS wire_source   text,
    ADD COLUMN IF NOT EXISTS quality_flags text[] NOT NULL DEFAULT '{}',
    ADD COLUMN IF NOT EXISTS top_image     text,
    ADD COLUMN IF NOT EXISTS extracted_at  timestamptz;

CREATE INDEX IF NOT EXISTS articles_quality_flags_idx ON articles USING gin (quality_flags);
CREATE INDEX IF NOT EXISTS articles_extract_todo_idx ON articles (id) WHERE status = 'fetched';

CREATE TABLE IF NOT EXISTS raw_pages (
    article_id   bigint PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    fetched_at   timestamptz NOT NULL DEFAULT now(),
    http_status  integer,
    content_type text,
    final_url    text NOT NULL,
    -- The response body, zstd-compressed (already compressed: PostgreSQL need not try again).
    body         bytea NOT NULL,
    body_bytes   integer NOT NULL
);
ALTER TABLE raw_pages ALTER COLUMN body SET STORAGE EXTERNAL;
CREATE INDEX IF NOT EXISTS raw_pages_fetched_idx ON raw_pages (fetched_at);
COMMENT ON TABLE raw_pages IS 'The last downloaded page of each article, compressed, kept for WIREWATCH_RAW_PAGE_RETENTION_DAYS so that `wirewatch reprocess` can re-extract without refetching.';

-- Per-site boilerplate: how many of a site's articles carry each short line (by hash).
CREATE TABLE IF NOT EXISTS site_profiles (
    site        text PRIMARY KEY,
    articles    integer NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE site_profiles IS 'One row per site (host without www.): how many of its articles the boilerplate learner has seen.';

CREATE TABLE IF NOT EXISTS site_lines (
    site                  text NOT NULL REFERENCES site_profiles (site) ON DELETE CASCADE,
    line_key              bigint NOT NULL,
    sample                text NOT NULL,
    articles              integer NOT NULL DEFAULT 1,
    site_articles_before  integer NOT NULL,
    first_seen            timestamptz NOT NULL DEFAULT now(),
    last_seen             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site, line_key)
);
CREATE INDEX IF NOT EXISTS site_lines_stale_idx ON site_lines (last_seen) WHERE articles = 1;
COMMENT ON TABLE site_lines IS 'Short lines seen in a site''s extracted articles, counted per article; lines recurring in enough of the site''s articles are removed as boilerplate.';

CREATE OR REPLACE VIEW site_boilerplate AS
SELECT s.site, s.line_key, s.sample, s.articles,
       p.articles - s.site_articles_before AS site_articles_since_first_seen,
       round(s.articles::numeric / greatest(p.articles - s.site_articles_before, 1), 3)::float8 AS share,
       s.first_seen, s.last_seen
FROM site_lines s JOIN site_profiles p USING (site)
WHERE s.articles >= 3 AND s.articles >= 0.3 * (p.articles - s.site_articles_before);
COMMENT ON VIEW site_boilerplate IS 'The lines the extract step removes as boilerplate, per site: seen in at least 3 articles and in at least 30% of the site''s articles since the line first appeared (the same rule as wirewatch.boilerplate).';

CREATE OR REPLACE VIEW report_extraction_quality AS
SELECT coalesce(a.site_name, split_part(a.canonical_url, '/', 3)) AS site,
       count(*) AS articles,
       count(*) FILTER (WHERE a.quality_flags = '{}') AS clean,
       count(*) FILTER (WHERE 'paywall_teaser' = ANY (a.quality_flags)) AS paywall_teaser,
       count(*) FILTER (WHERE 'mojibake' = ANY (a.quality_flags)) AS mojibake,
       count(*) FILTER (WHERE 'consent_text' = ANY (a.quality_flags)) AS consent_text,
       count(*) FILTER (WHERE 'short' = ANY (a.quality_flags)) AS short,
       count(*) FILTER (WHERE a.wire_source IS NOT NULL) AS wire_copies,
       round(avg(a.word_count))::integer AS avg_words
FROM articles a
WHERE a.status = 'extracted'
GROUP BY 1;
COMMENT ON VIEW report_extraction_quality IS 'Extracted articles per site: how many carry each quality flag, how many are wire copies, average length.';
