-- Issue 12: a page is rejected as "not an article" only when several signs agree; mixed signs keep
-- it with the quality flag maybe_not_article. Views list the flagged articles with their signs, and
-- what each site lost.

-- (report_extraction_quality keeps its columns: a view's columns can only be added at its end, and
-- migration 0004 must stay replayable; the flagged articles have a view of their own.)
CREATE OR REPLACE VIEW report_maybe_not_articles AS
SELECT a.id AS article_id,
       regexp_replace(split_part(a.url, '/', 3), '^www\.', '') AS site,
       a.url,
       a.title,
       a.word_count,
       (a.extraction->'page_kind'->>'score')::int AS score,
       ARRAY(SELECT jsonb_array_elements_text(a.extraction->'page_kind'->'signs')) AS signs,
       a.extracted_at
FROM articles a
WHERE a.status = 'extracted' AND 'maybe_not_article' = ANY (a.quality_flags);
COMMENT ON VIEW report_maybe_not_articles IS 'Articles kept although some signs said the page lists other pages: the signs, to review; a site with many may be sending section fronts through its feed.';

-- The reason's kind is the reason without its particulars in parentheses, as wirewatch.pipeline.reason_kind
-- counts it in the run report: "not an article: a list of other pages (og:type 'website' (+1); …)".
CREATE OR REPLACE VIEW report_rejections_by_site AS
SELECT regexp_replace(split_part(a.url, '/', 3), '^www\.', '') AS site,
       a.status,
       split_part(a.failure_reason, ' (', 1) AS reason_kind,
       count(*) AS articles,
       max(a.updated_at) AS latest,
       (array_agg(a.url ORDER BY a.updated_at DESC))[1] AS example_url
FROM articles a
WHERE a.status IN ('rejected', 'failed')
GROUP BY 1, 2, 3;
COMMENT ON VIEW report_rejections_by_site IS 'Articles not loaded, per site and kind of reason: a site whose articles are being dropped stands out.';
