-- Core warehouse tables. Postgres is the pipeline's state and queue: every stage reads its
-- work from these tables and records its outcome in them; XCom carries only ids and counts.
-- Idempotent (IF NOT EXISTS) so a half-applied manual run can be repeated safely.

CREATE TABLE IF NOT EXISTS feeds (
    id               bigserial PRIMARY KEY,
    url              text NOT NULL UNIQUE,
    name             text NOT NULL,
    outlet           text,
    language         text,
    tags             text[] NOT NULL DEFAULT '{}',
    enabled          boolean NOT NULL DEFAULT true,
    poll_interval    interval NOT NULL DEFAULT interval '15 minutes',
    next_poll_at     timestamptz NOT NULL DEFAULT now(),
    last_polled_at   timestamptz,
    last_success_at  timestamptz,
    last_status      text NOT NULL DEFAULT 'never' CHECK (last_status IN ('never', 'ok', 'error')),
    last_http_status integer,
    last_error       text,
    error_streak     integer NOT NULL DEFAULT 0,
    etag             text,
    last_modified    text,
    feed_title       text,
    entries_last_poll integer,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS feeds_due_idx ON feeds (next_poll_at) WHERE enabled;

COMMENT ON TABLE feeds IS 'RSS/Atom feeds to poll, with their poll state and health.';

CREATE TABLE IF NOT EXISTS stories (
    id          bigserial PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE stories IS 'Story clusters: one news event; every extracted article belongs to exactly one.';

CREATE TABLE IF NOT EXISTS articles (
    id                 bigserial PRIMARY KEY,
    canonical_url      text NOT NULL UNIQUE,
    url                text NOT NULL,
    feed_id            bigint REFERENCES feeds (id) ON DELETE SET NULL,
    outlet             text,
    feed_title         text,
    feed_summary       text,
    feed_published_at  timestamptz,
    status             text NOT NULL DEFAULT 'queued'
                       CHECK (status IN ('queued', 'extracted', 'rejected', 'failed')),
    attempts           integer NOT NULL DEFAULT 0,
    next_attempt_at    timestamptz NOT NULL DEFAULT now(),
    failure_reason     text,
    http_status        integer,
    content_type       text,
    final_url          text,
    title              text,
    author             text,
    published_at       timestamptz,
    site_name          text,
    language           text,
    page_canonical_url text,
    text               text,
    text_hash          text,
    word_count         integer,
    wire_note          text,
    extraction         jsonb NOT NULL DEFAULT '{}',
    story_id           bigint REFERENCES stories (id),
    duplicate_of       bigint REFERENCES articles (id),
    similarity         real,
    deduped_at         timestamptz,
    tagged_at          timestamptz,
    taxonomy_version   text,
    first_seen_at      timestamptz NOT NULL DEFAULT now(),
    fetched_at         timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS articles_queue_idx ON articles (next_attempt_at) WHERE status = 'queued';
CREATE INDEX IF NOT EXISTS articles_dedup_todo_idx ON articles (id) WHERE status = 'extracted' AND deduped_at IS NULL;
CREATE INDEX IF NOT EXISTS articles_tag_todo_idx ON articles (id) WHERE status = 'extracted' AND tagged_at IS NULL;
CREATE INDEX IF NOT EXISTS articles_text_hash_idx ON articles (text_hash);
CREATE INDEX IF NOT EXISTS articles_story_idx ON articles (story_id);
CREATE INDEX IF NOT EXISTS articles_published_idx ON articles (published_at);
COMMENT ON TABLE articles IS 'One row per canonical article URL: queue entry, fetch outcome, extracted text and metadata, story.';

CREATE TABLE IF NOT EXISTS feed_entries (
    feed_id        bigint NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    article_id     bigint NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    entry_id       text,
    title          text,
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (feed_id, article_id)
);
CREATE INDEX IF NOT EXISTS feed_entries_article_idx ON feed_entries (article_id);
COMMENT ON TABLE feed_entries IS 'Which feed listed which article (an article can appear in several feeds).';

CREATE TABLE IF NOT EXISTS topics (
    id                text PRIMARY KEY,
    label             text NOT NULL,
    description       text NOT NULL DEFAULT '',
    taxonomy_version  text NOT NULL,
    active            boolean NOT NULL DEFAULT true,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE topics IS 'Topics of the taxonomy (config/topics.yaml) as last loaded.';

CREATE TABLE IF NOT EXISTS article_topics (
    article_id        bigint NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    topic_id          text NOT NULL REFERENCES topics (id),
    score             real NOT NULL,
    matches           integer NOT NULL,
    evidence          text NOT NULL,
    evidence_start    integer,
    evidence_end      integer,
    taxonomy_version  text NOT NULL,
    PRIMARY KEY (article_id, topic_id)
);
CREATE INDEX IF NOT EXISTS article_topics_topic_idx ON article_topics (topic_id);
COMMENT ON TABLE article_topics IS 'Topics matched in an article, with score and the evidence sentence.';

CREATE TABLE IF NOT EXISTS actors (
    id        text PRIMARY KEY,
    name      text NOT NULL,
    kind      text NOT NULL,
    iso_code  text,
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE actors IS 'Countries, organisations and places of the gazetteer (config/actors.yaml).';

CREATE TABLE IF NOT EXISTS article_actors (
    article_id  bigint NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    actor_id    text NOT NULL REFERENCES actors (id),
    mentions    integer NOT NULL,
    in_title    boolean NOT NULL,
    aliases     text[] NOT NULL,
    PRIMARY KEY (article_id, actor_id)
);
CREATE INDEX IF NOT EXISTS article_actors_actor_idx ON article_actors (actor_id);
COMMENT ON TABLE article_actors IS 'Actors/places mentioned in an article, normalised to the gazetteer.';

CREATE TABLE IF NOT EXISTS run_stats (
    run_id       text NOT NULL,
    stage        text NOT NULL,
    shard        integer NOT NULL DEFAULT 0,
    counts       jsonb NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, stage, shard)
);
COMMENT ON TABLE run_stats IS 'Per-run, per-stage, per-shard outcome counts (a retried task overwrites its row).';
