-- Issue 23: conflict events an analyst can count, one row per real-world event.
--
-- The tag step writes one event report per article and ACLED-typed topic that it can place
-- (event_reports); the events step merges the reports of one real-world event, however many
-- outlets and updates carry it, into one row of `events` (the merge rule: docs/warehouse.md,
-- "events"). Views give the events with their sources (report_conflict_events) and in ACLED's
-- own columns (report_acled_events, what `wirewatch export acled` writes).

CREATE TABLE IF NOT EXISTS events (
    id                    bigserial PRIMARY KEY,
    event_type            text NOT NULL,
    sub_event_type        text,
    topic_id              text NOT NULL,
    event_date            date NOT NULL,
    date_precision        text NOT NULL CHECK (date_precision IN ('day', 'range')),
    date_from             date NOT NULL,
    date_to               date NOT NULL,
    location              text NOT NULL,
    admin1                text,
    country               text NOT NULL,
    country_name          text,
    latitude              double precision NOT NULL,
    longitude             double precision NOT NULL,
    geo_precision         text NOT NULL CHECK (geo_precision IN ('town', 'region', 'country')),
    actor1                text,
    actor2                text,
    fatalities            integer,
    fatalities_low        integer,
    fatalities_high       integer,
    fatalities_qualifier  text,
    injuries              integer,
    injuries_low          integer,
    injuries_high         integer,
    injuries_qualifier    text,
    reports               integer NOT NULL DEFAULT 0,
    articles              integer NOT NULL DEFAULT 0,
    outlets               integer NOT NULL DEFAULT 0,
    story_ids             bigint[] NOT NULL DEFAULT '{}',
    article_ids           bigint[] NOT NULL DEFAULT '{}',
    first_seen_at         timestamptz,
    last_seen_at          timestamptz,
    notes                 text,
    -- A report of it was re-tagged away: the events step recounts it from the reports left.
    stale                 boolean NOT NULL DEFAULT false,
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS events_match_idx ON events (event_type, country, event_date);
CREATE INDEX IF NOT EXISTS events_date_idx ON events (event_date);
COMMENT ON TABLE events IS 'Conflict events, one row per real-world event: the merged event reports of every article and outlet that carries it (ACLED-style record).';

CREATE TABLE IF NOT EXISTS event_reports (
    article_id            bigint NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    topic_id              text NOT NULL,
    event_id              bigint REFERENCES events (id) ON DELETE SET NULL,
    event_type            text NOT NULL,
    sub_event_type        text,
    score                 real NOT NULL,
    event_date            date NOT NULL,
    date_precision        text NOT NULL CHECK (date_precision IN ('day', 'range')),
    date_from             date NOT NULL,
    date_to               date NOT NULL,
    location              text NOT NULL,
    admin1                text,
    country               text NOT NULL,
    latitude              double precision NOT NULL,
    longitude             double precision NOT NULL,
    geo_precision         text NOT NULL CHECK (geo_precision IN ('town', 'region', 'country')),
    actor1                text,
    actor2                text,
    killed                integer,
    killed_qualifier      text,
    injured               integer,
    injured_qualifier     text,
    notes                 text,
    PRIMARY KEY (article_id, topic_id)
);
CREATE INDEX IF NOT EXISTS event_reports_event_idx ON event_reports (event_id);
CREATE INDEX IF NOT EXISTS event_reports_todo_idx ON event_reports (article_id) WHERE event_id IS NULL;
COMMENT ON TABLE event_reports IS 'What one article reports of one conflict event (per ACLED-typed topic it is tagged with and can place); event_id is the event it was merged into, NULL until the events step ran.';

CREATE OR REPLACE VIEW report_conflict_events AS
SELECT e.id AS event_id,
       e.event_date, e.date_precision, e.date_from, e.date_to,
       e.event_type, e.sub_event_type, e.topic_id,
       e.location, e.admin1, e.country, e.country_name, e.latitude, e.longitude, e.geo_precision,
       e.actor1, e.actor2,
       e.fatalities, e.fatalities_low, e.fatalities_high, e.fatalities_qualifier,
       e.injuries, e.injuries_low, e.injuries_high, e.injuries_qualifier,
       e.outlets, e.articles, e.reports, e.story_ids, e.article_ids,
       e.first_seen_at, e.last_seen_at, e.notes
FROM events e
WHERE e.reports > 0;
COMMENT ON VIEW report_conflict_events IS 'One row per real-world conflict event: ACLED type and sub-type, date and its precision, place with admin1, country and coordinates, actors, fatalities (best, lowest, highest reported) and injuries, the outlets, stories and articles reporting it, first and last seen, and the evidence sentence.';

CREATE OR REPLACE VIEW report_acled_events AS
SELECT e.event_date,
       extract(year FROM e.event_date)::integer                        AS year,
       CASE e.date_precision WHEN 'day' THEN 1 ELSE 2 END              AS time_precision,
       e.event_type,
       e.sub_event_type,
       coalesce(e.actor1, '')                                          AS actor1,
       coalesce(e.actor2, '')                                          AS actor2,
       coalesce(e.country_name, e.country)                             AS country,
       e.country                                                       AS iso2,
       coalesce(e.admin1, '')                                          AS admin1,
       e.location,
       e.latitude,
       e.longitude,
       CASE e.geo_precision WHEN 'town' THEN 1 WHEN 'region' THEN 2 ELSE 3 END AS geo_precision,
       coalesce(e.fatalities, 0)                                       AS fatalities,
       (SELECT string_agg(DISTINCT coalesce(a.outlet, f.outlet, f.name), '; ' ORDER BY coalesce(a.outlet, f.outlet, f.name))
        FROM articles a LEFT JOIN feeds f ON f.id = a.feed_id
        WHERE a.id = ANY (e.article_ids))                              AS source,
       coalesce(e.notes, '')                                           AS notes,
       e.id                                                            AS wirewatch_event_id,
       e.outlets                                                       AS source_count,
       e.first_seen_at,
       e.last_seen_at
FROM events e
WHERE e.reports > 0;
COMMENT ON VIEW report_acled_events IS 'The events in ACLED''s column names and codes (time_precision and geo_precision 1 = day / town, 2 = range / region, 3 = country; fatalities 0 when none was reported), plus wirewatch''s event id and source count: what `wirewatch export acled` writes.';
