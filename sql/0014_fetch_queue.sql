-- Issue 16: a fetch worker claims the next queued article of its shard in id order. Through the
-- primary key that scan also walked every article fetched already, so a claim cost grew with the
-- table (0.7 ms at the start of a 5,000-article fetch, 3.5 ms near its end, in PostgreSQL's CPU,
-- and one task's claims are taken one at a time). This index holds only the queued articles
-- (0.4-0.6 ms throughout); refetches are claimed through articles_refetch_idx.
CREATE INDEX IF NOT EXISTS articles_fetch_todo_idx ON articles (id) WHERE status = 'queued';
