from pathlib import Path

from wirewatch.dedup import StoryIndex, containment, shingles
from wirewatch.extract import clean_text
from wirewatch.text import text_fingerprint

STORY = clean_text((Path(__file__).parent / "fixtures" / "seed-article.txt").read_text()).text
PARAGRAPHS = STORY.split("\n")
OTHER = ("Ukraine's air force said it shot down most of the drones launched overnight at the Odesa region, "
         "but debris damaged a grain terminal and injured two workers. The regional governor said repairs "
         "would take weeks and that exports through the port would continue at a reduced pace. Officials "
         "in Kyiv renewed calls for more air defence systems, saying the attacks on ports were intensifying.")
# Same spokesperson, same vocabulary, a different briefing: must not join the seed's story.
FOLLOW_UP = ("The US State Department on Thursday said Russia was responsible for rising tensions after a new "
             "round of strikes on Ukrainian energy facilities. Addressing a press briefing, spokesperson Matthew "
             "Miller said Washington would announce further support for Ukraine's air defences in the coming "
             "days and urged allies to speed up deliveries. He declined to comment on reports about new "
             "recruitment drives abroad, saying the department had nothing to confirm at this stage.")


def index_with(*texts: str) -> StoryIndex:
    index = StoryIndex(threshold=0.5)
    for story_id, text in enumerate(texts, start=1):
        index.add(article_id=story_id * 10, story_id=story_id, text_hash=text_fingerprint(text), text=text)
    return index


def test_containment_of_identical_and_disjoint():
    a = shingles(STORY)
    assert containment(a, a) == 1.0
    assert containment(a, shingles(OTHER)) == 0.0
    assert containment(a, frozenset()) == 0.0


def test_exact_copy_matches_by_fingerprint_despite_typography():
    copy = STORY.replace("--", " — ").upper()
    match = index_with(OTHER, STORY).match(text_hash=text_fingerprint(copy), text=copy)
    assert (match.kind, match.story_id, match.matched_article_id) == ("exact", 2, 20)


def test_syndicated_copy_with_new_intro_and_dropped_paragraph_joins_story():
    copy = "\n".join(["WASHINGTON — A new intro written by the outlet's own desk."] + PARAGRAPHS[:-1])
    match = index_with(OTHER, STORY).match(text_hash=text_fingerprint(copy), text=copy)
    assert match.kind == "near" and match.story_id == 2 and match.similarity > 0.9


def test_truncated_teaser_copy_joins_story():
    teaser = "\n".join(PARAGRAPHS[:2])
    match = index_with(STORY).match(text_hash=text_fingerprint(teaser), text=teaser)
    assert match.kind == "near" and match.story_id == 1


def test_same_topic_different_story_is_new():
    match = index_with(STORY, OTHER).match(text_hash=text_fingerprint(FOLLOW_UP), text=FOLLOW_UP)
    assert match.kind == "new" and match.similarity < 0.2


def test_too_short_text_never_matches_on_overlap():
    short = "Russia alone is responsible"
    assert index_with(STORY).match(text_hash=text_fingerprint(short), text=short).kind == "new"
