-- Tagging an analyst can audit: every evidence sentence of a topic, title/lead prominence, the
-- taxonomy versions that tagged articles, and story-level topics and actors weighted by copies.

ALTER TABLE article_topics
    ADD COLUMN IF NOT EXISTS evidence_spans jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN IF NOT EXISTS in_title boolean NOT NULL DEFAULT false;

CREATE TABLE IF NOT EXISTS taxonomy_versions (
    version      text PRIMARY KEY,
    topics       integer NOT NULL,
    actors       integer NOT NULL,
    first_used   timestamptz NOT NULL DEFAULT now(),
    last_used    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE taxonomy_versions IS 'Each version of config/topics.yaml that tagged articles (article_topics.taxonomy_version, articles.taxonomy_version refer to it).';

CREATE OR REPLACE VIEW report_story_topics AS
SELECT a.story_id,
       t.topic_id,
       count(*)                                          AS articles,
       round(count(*)::numeric / max(s.articles), 3)::float8 AS share_of_articles,
       round(sum(t.score)::numeric, 2)::float8           AS total_score,
       bool_or(t.in_title)                               AS in_title
FROM article_topics t
JOIN articles a ON a.id = t.article_id AND a.status = 'extracted' AND a.story_id IS NOT NULL
JOIN stories s ON s.id = a.story_id
GROUP BY a.story_id, t.topic_id;
COMMENT ON VIEW report_story_topics IS 'Per story and topic: how many of the story''s copies carry the topic, that share, the summed score (weighted by copies) and whether any copy has it in the headline or lead.';

CREATE OR REPLACE VIEW report_story_actors AS
SELECT a.story_id,
       aa.actor_id,
       count(*)                                           AS articles,
       round(count(*)::numeric / max(s.articles), 3)::float8  AS share_of_articles,
       sum(aa.mentions)::bigint                           AS mentions,
       bool_or(aa.in_title)                               AS in_title
FROM article_actors aa
JOIN articles a ON a.id = aa.article_id AND a.status = 'extracted' AND a.story_id IS NOT NULL
JOIN stories s ON s.id = a.story_id
GROUP BY a.story_id, aa.actor_id;
COMMENT ON VIEW report_story_actors IS 'Per story and actor: copies naming the actor, that share, mentions summed over copies, and whether any copy names it in the headline or lead.';
