-- Issue 23: an article's topic can report events at several places ("strikes hit Muridke and
-- Muzaffarabad"): one event report per article, topic and place, so the key gains the place.
DO $$
BEGIN
    IF (SELECT count(*) FROM pg_constraint c
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
         WHERE c.conname = 'event_reports_pkey') = 2 THEN
        ALTER TABLE event_reports DROP CONSTRAINT event_reports_pkey;
        ALTER TABLE event_reports ADD CONSTRAINT event_reports_pkey PRIMARY KEY (article_id, topic_id, location);
    END IF;
END
$$;
COMMENT ON TABLE event_reports IS 'What one article reports of one conflict event: per ACLED-typed topic it is tagged with, and per place its evidence puts that topic''s event at; event_id is the event it was merged into, NULL until the events step ran.';
