-- Production polling: conditional-GET bookkeeping, adaptive intervals, graded failures with
-- automatic disabling, permanent redirects, and a log of every poll attempt.

ALTER TABLE feeds
    -- Per-feed bounds for the adaptive interval (NULL: WIREWATCH_MIN/MAX_POLL_MINUTES).
    ADD COLUMN IF NOT EXISTS min_interval        interval,
    ADD COLUMN IF NOT EXISTS max_interval        interval,
    -- sha256 of the last feed body: a byte-identical body is not parsed again.
    ADD COLUMN IF NOT EXISTS body_hash           text,
    -- Whether ETag / Last-Modified are sent; turned off for servers caught answering 304 (or
    -- repeating an ETag) for a changed feed, with the evidence in conditional_get_note.
    ADD COLUMN IF NOT EXISTS conditional_get     boolean NOT NULL DEFAULT true,
    ADD COLUMN IF NOT EXISTS conditional_get_note text,
    ADD COLUMN IF NOT EXISTS conditional_verified_at timestamptz,
    ADD COLUMN IF NOT EXISTS last_outcome        text,
    ADD COLUMN IF NOT EXISTS failure_kind        text,
    ADD COLUMN IF NOT EXISTS hard_error_streak   integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS disabled_reason     text,
    ADD COLUMN IF NOT EXISTS disabled_at         timestamptz,
    ADD COLUMN IF NOT EXISTS previous_url        text,
    ADD COLUMN IF NOT EXISTS url_changed_at      timestamptz;

CREATE INDEX IF NOT EXISTS feeds_due_idx ON feeds (next_poll_at) WHERE enabled;

CREATE TABLE IF NOT EXISTS fetch_events (
    id            bigserial PRIMARY KEY,
    feed_id       bigint NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    polled_at     timestamptz NOT NULL DEFAULT now(),
    url           text NOT NULL,
    outcome       text NOT NULL CHECK (outcome IN (
                      'new_entries', 'no_new_entries', 'not_modified', 'same_body', 'http_error',
                      'timeout', 'connection_error', 'dns_error', 'refused', 'too_large', 'redirect_error',
                      'parse_error', 'not_a_feed')),
    http_status   integer,
    bytes         bigint NOT NULL DEFAULT 0,
    duration_ms   integer NOT NULL DEFAULT 0,
    entries_seen  integer NOT NULL DEFAULT 0,
    entries_new   integer NOT NULL DEFAULT 0,
    conditional   boolean NOT NULL DEFAULT false,
    detail        text
);

CREATE INDEX IF NOT EXISTS fetch_events_feed_idx ON fetch_events (feed_id, polled_at DESC);
CREATE INDEX IF NOT EXISTS fetch_events_time_idx ON fetch_events (polled_at);

-- Polling details per feed with its last 24 hours of fetch events (report_feed_health stays as it is).
CREATE OR REPLACE VIEW report_feed_polling AS
SELECT f.id AS feed_id,
       f.name AS feed,
       f.url,
       f.enabled,
       f.poll_interval,
       f.next_poll_at,
       f.last_outcome,
       f.failure_kind,
       f.error_streak,
       f.hard_error_streak,
       f.disabled_reason,
       f.conditional_get,
       f.conditional_get_note,
       f.previous_url,
       coalesce(e.polls, 0)           AS polls_24h,
       coalesce(e.unchanged, 0)       AS unchanged_24h,
       coalesce(e.failed, 0)          AS failed_24h,
       coalesce(e.bytes, 0)           AS bytes_24h,
       coalesce(e.entries_new, 0)     AS entries_new_24h
FROM feeds f
LEFT JOIN (SELECT feed_id,
                  count(*) AS polls,
                  count(*) FILTER (WHERE outcome IN ('not_modified', 'same_body')) AS unchanged,
                  count(*) FILTER (WHERE outcome NOT IN ('new_entries', 'no_new_entries', 'not_modified',
                                                         'same_body')) AS failed,
                  sum(bytes) AS bytes,
                  sum(entries_new) AS entries_new
           FROM fetch_events
           WHERE polled_at > now() - interval '24 hours'
           GROUP BY feed_id) e ON e.feed_id = f.id;
COMMENT ON VIEW report_feed_polling IS 'One row per feed: adaptive interval, failure state, conditional GET trust, and its last 24 hours of polls.';
