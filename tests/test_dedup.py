"""The pure part of dedup: shingles, MinHash LSH band keys, and the verified best match."""

from pathlib import Path

from wirewatch.dedup.similarity import (
    KEYS_PER_TEXT,
    LEAD_BANDS,
    Candidate,
    best_match,
    containment,
    fingerprint,
    jaccard,
    lock_key,
    shingles,
)
from wirewatch.extraction.extract import clean_text

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


def shared_bands(a: str, b: str) -> int:
    return len(set(fingerprint(a).band_keys) & set(fingerprint(b).band_keys))


def candidates(*texts: str) -> list[Candidate]:
    return [Candidate(article_id=n * 10, story_id=n, text=text) for n, text in enumerate(texts, start=1)]


def test_containment_and_jaccard_of_identical_and_disjoint():
    a = shingles(STORY)
    assert containment(a, a) == jaccard(a, a) == 1.0
    assert containment(a, shingles(OTHER)) == jaccard(a, shingles(OTHER)) == 0.0
    assert containment(a, frozenset()) == 0.0


def test_band_keys_are_deterministic_signed_64_bit_and_one_per_band():
    keys = fingerprint(STORY).band_keys
    assert keys == fingerprint(STORY).band_keys
    assert len(keys) == KEYS_PER_TEXT and len(set(keys)) == KEYS_PER_TEXT
    assert all(-2**63 <= key < 2**63 for key in keys)


def test_typography_does_not_change_the_fingerprint():
    assert fingerprint(STORY.upper().replace(",", " ,")) == fingerprint(STORY)


def test_copies_share_bands_and_unrelated_texts_do_not():
    truncated = "\n".join(PARAGRAPHS[:len(PARAGRAPHS) // 2])
    reworded = "\n".join(["WASHINGTON — The outlet's own new introduction goes here."] + PARAGRAPHS[1:])
    assert shared_bands(STORY, reworded) > KEYS_PER_TEXT // 2
    assert shared_bands(STORY, truncated) >= 3


def test_a_short_teaser_shares_the_lead_keys():
    teaser = "\n".join(PARAGRAPHS[:2])
    assert len(shingles(teaser)) < len(shingles(STORY)) / 4
    lead_keys = set(fingerprint(STORY).band_keys[-LEAD_BANDS:])
    assert lead_keys <= set(fingerprint(teaser).band_keys)
    assert shared_bands(STORY, OTHER) == 0
    assert shared_bands(STORY, FOLLOW_UP) == 0


def test_too_short_text_gets_no_bands_and_never_matches_on_overlap():
    short = "Russia alone is responsible"
    assert fingerprint(short).band_keys == () and not fingerprint(short).comparable
    assert best_match(fingerprint(short), candidates(short + " for the war"), 0.6).kind == "new"


def test_syndicated_copy_with_new_intro_and_dropped_paragraph_matches():
    copy = "\n".join(["WASHINGTON — A new intro written by the outlet's own desk."] + PARAGRAPHS[:-1])
    match = best_match(fingerprint(copy), candidates(OTHER, STORY), 0.6)
    assert (match.kind, match.story_id, match.matched_article_id) == ("near", 2, 20)
    assert match.similarity > 0.9


def test_truncated_teaser_matches_by_containment_though_jaccard_is_low():
    teaser = "\n".join(PARAGRAPHS[:3])
    assert jaccard(shingles(teaser), shingles(STORY)) < 0.5
    match = best_match(fingerprint(teaser), candidates(STORY), 0.6)
    assert match.kind == "near" and match.similarity == 1.0


def test_same_topic_different_story_is_new():
    match = best_match(fingerprint(FOLLOW_UP), candidates(STORY, OTHER), 0.6)
    assert match.kind == "new" and match.similarity < 0.2


def test_earliest_candidate_wins_a_tie():
    match = best_match(fingerprint(STORY), candidates(STORY, STORY), 0.6)
    assert match.story_id == 1


def test_lock_keys_are_stable_signed_64_bit():
    assert lock_key("abc") == lock_key("abc") != lock_key("abd")
    assert -2**63 <= lock_key("https://example.com/a") < 2**63
