-- Issue 14: what operators did from the Wirewatch page in the Airflow UI (who, when, what).

CREATE TABLE IF NOT EXISTS monitor_actions (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    username  text NOT NULL,
    action    text NOT NULL,
    target    text,
    result    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS monitor_actions_at_idx ON monitor_actions (at DESC);
COMMENT ON TABLE monitor_actions IS 'Audit log of the actions taken on the Wirewatch monitoring page: the Airflow user, the time, the action (enable-feed, disable-feed, poll-feed, re-extract-site, retag), its target and what it changed.';

-- The monitoring page's hourly windows read articles by their "seen at" time (story_members).
CREATE INDEX IF NOT EXISTS articles_seen_at_idx
    ON articles ((coalesce(published_at, feed_published_at, first_seen_at)));
