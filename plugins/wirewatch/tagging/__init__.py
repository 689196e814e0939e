"""Tagging: topics, actors and event facts of each article, from user-editable lists (the tag step).

    topics    the taxonomy (config/topics*.yaml), matched sentence by sentence: `load_taxonomy`, `Taxonomy`
    matching  word tokens, stems, and many phrases found in one pass (Aho-Corasick)
    actors    the actor gazetteer (config/actors.yaml): `load_gazetteer`, `Gazetteer`
    events    casualties, places and dates in a topic's evidence: `event_facts`
    runner    `tag_articles`, `mark_for_retag`: what the tag tasks call
"""
