-- Extraction quality: where a text came from (wire agency) and what may be wrong with it.
ALTER TABLE articles
    ADD COLUMN IF NOT EXISTS wire_source   text,
    ADD COLUMN IF NOT EXISTS quality_flags text[] NOT NULL DEFAULT '{}';

CREATE INDEX IF NOT EXISTS articles_quality_flags_idx ON articles USING gin (quality_flags);
