-- Issue 15: LSH band keys of articles older than the dedup window can never match again (a new
-- article only looks for copies seen within the window of its own date), so the maintenance DAG
-- deletes them, keeping article_bands bounded by the window rather than by the archive. The
-- article keeps its lsh_bands array; bands_pruned_at records that its rows are gone.
ALTER TABLE articles ADD COLUMN IF NOT EXISTS bands_pruned_at timestamptz;
CREATE INDEX IF NOT EXISTS articles_bands_to_prune_idx
    ON articles ((coalesce(published_at, feed_published_at, first_seen_at)))
    WHERE bands_pruned_at IS NULL AND lsh_bands IS NOT NULL;
