import html
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from wirewatch.extraction.extract import ExtractedArticle, Rejection, clean_text, extract_article
from wirewatch.fetch.content import sniff_type
from wirewatch.text import text_fingerprint

SEED = (Path(__file__).parent / "fixtures" / "seed-article.txt").read_text(encoding="utf-8")
JUNK_WORDS = ("Subscribe", "₹", "free articles", "Log in", "Renews automatically", "subscription plans")


def page(body_lines: list[str], *, title="US blames Russia", lang=' lang="en"', head="") -> bytes:
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in body_lines if line.strip())
    return f"""<!doctype html><html{lang}><head><title>{title} | The Ledger</title>{head}
      <meta property="og:site_name" content="The Ledger"></head>
      <body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
      <article><h1>{title}</h1><p class="byline">By Jane Doe</p>{paragraphs}</article>
      <footer>© 2026 The Ledger. All rights reserved.</footer></body></html>""".encode()


def test_seed_text_loses_paywall_and_plan_prices():
    cleaned = clean_text(SEED)
    assert "Russia alone" in cleaned.text
    for junk in JUNK_WORDS:
        assert junk not in cleaned.text
    assert cleaned.text.endswith("we're going to continue to support them,\" he said.")
    assert "auto-generated from a syndicated feed" in cleaned.wire_note
    assert "syndicated" not in cleaned.text


def test_seed_page_extracts_clean_story_and_metadata():
    head = ('<meta property="article:published_time" content="2026-11-25T06:30:00+05:30">'
            '<link rel="canonical" href="https://ledger.example/world/us-russia.html">'
            '<meta name="author" content="Jane Doe">')
    result = extract_article(page(SEED.splitlines(), head=head), url="http://127.0.0.1/x.html",
                             content_type="text/html")
    assert isinstance(result, ExtractedArticle)
    assert "Russia alone" in result.text
    assert not any(junk in result.text for junk in JUNK_WORDS)
    assert result.title == "US blames Russia"
    assert result.published_at == datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)
    assert result.language == "en"
    assert result.site_name == "The Ledger"
    assert result.page_canonical_url == "https://ledger.example/world/us-russia.html"
    assert result.text_hash == text_fingerprint(result.text)
    assert result.extraction["name"] == "trafilatura" and result.extraction["removed_lines"] > 10
    assert result.wire_note


def test_language_is_detected_when_not_declared():
    german = ["Die Regierung in Berlin hat am Montag neue Sanktionen gegen mehrere Unternehmen beschlossen. "
              "Nach Angaben des Ministeriums betreffen die Maßnahmen vor allem Exporte von Technik, "
              "die für militärische Zwecke genutzt werden kann. Die Opposition kritisierte die Entscheidung "
              "als zu spät und forderte weitere Schritte gegen die Umgehung der Vorschriften über Drittstaaten."] * 2
    result = extract_article(page(german, lang=""), url="http://127.0.0.1/de.html", content_type="text/html",
                             min_words=20)
    assert isinstance(result, ExtractedArticle) and result.language == "de"


@pytest.mark.parametrize(("body", "content_type", "reason"), [
    (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "application/pdf", "not an HTML page (application/pdf)"),
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "", "not an HTML page (image/png)"),
    (b"%PDF-1.4 sent as octet-stream", "application/octet-stream", "not an HTML page (application/pdf)"),
    (b"", "text/html", "empty page"),
    (b"", "TEXT/HTML; charset=utf-8", "empty page"),  # parameters and case do not matter
    (b"<html><head><title>x</title></head><body><div></div></body></html>", "text/html",
     "not an article: no article text found"),
])
def test_non_articles_are_rejected_with_a_reason(body, content_type, reason):
    result = extract_article(body, url="http://127.0.0.1/x", content_type=content_type)
    assert result == Rejection(reason=reason)


STORY_HTML = "<p>" + " ".join(["Troops moved towards the border overnight, officials said."] * 12) + "</p>"
TYPED_PAGE = ('<html><head><meta property="og:type" content="{og}">{ld}</head>'
              '<body><article><h1>Troops move towards the border overnight</h1>{body}</article></body></html>')


def typed_page(og: str, ld_type: str | None = None, body: str = STORY_HTML) -> bytes:
    ld = f'<script type="application/ld+json">{{"@type": "{ld_type}"}}</script>' if ld_type else ""
    return TYPED_PAGE.format(og=og, ld=ld, body=body).encode()


def test_og_type_alone_never_rejects_an_article():
    # Many CMSs declare every page a "website": on an article's URL that is no sign at all.
    result = extract_article(typed_page("website"), url="http://127.0.0.1/2026/05/troops-move-to-the-border")
    assert isinstance(result, ExtractedArticle) and "maybe_not_article" not in result.quality_flags
    # JSON-LD saying NewsArticle outweighs a "website" og:type and a section-like URL.
    declared = extract_article(typed_page("website", "NewsArticle"), url="http://127.0.0.1/world/")
    assert isinstance(declared, ExtractedArticle) and "maybe_not_article" not in declared.quality_flags


def test_mixed_signs_keep_the_page_and_flag_it():
    result = extract_article(typed_page("website"), url="http://127.0.0.1/world/")
    assert isinstance(result, ExtractedArticle)
    assert "maybe_not_article" in result.quality_flags
    assert result.extraction["page_kind"]["signs"] == ["og:type 'website' (+1)", "section-like URL (+1)"]


def test_agreeing_signs_reject_a_listing_with_its_evidence():
    front = extract_article(typed_page("website", "CollectionPage"), url="http://127.0.0.1/world/")
    assert front == Rejection(reason="not an article: a list of other pages (JSON-LD CollectionPage (+2); "
                                     "og:type 'website' (+1); section-like URL (+1))")
    video = extract_article(typed_page("video.other", "VideoObject"), url="http://127.0.0.1/video")
    assert isinstance(video, Rejection) and "video.other" in video.reason and "VideoObject" in video.reason


def test_the_feed_listing_the_page_counts_for_it():
    result = extract_article(typed_page("website", "CollectionPage"), url="http://127.0.0.1/world/",
                             feed_title="Troops move towards the border overnight")
    assert isinstance(result, ExtractedArticle) and "maybe_not_article" in result.quality_flags


def test_the_standfirst_is_story_text_set_apart():
    standfirst = "Kyiv says the new line will hold through the winter, whatever Moscow sends against it."
    body = (f'<html><head><meta property="og:type" content="article"></head><body><header><h1>Ukraine builds a '
            f'new defensive line</h1><p class="standfirst">{standfirst}</p></header><article>{STORY_HTML}'
            f'{STORY_HTML}</article></body></html>').encode()
    result = extract_article(body, url="http://127.0.0.1/2026/05/ukraine-builds-a-new-line")
    assert isinstance(result, ExtractedArticle)
    assert result.text.startswith(standfirst + "\n\nTroops moved") and result.text.count("\n\n") == 1


def test_short_text_alone_is_kept_and_flagged():
    result = extract_article(page(["Watch: video of the summit. Two sentences only here."]),
                             url="http://127.0.0.1/2026/05/watch-video-of-the-summit", content_type="text/html")
    assert isinstance(result, ExtractedArticle)
    assert "short" in result.quality_flags and "maybe_not_article" in result.quality_flags


def test_short_text_on_a_section_page_is_rejected():
    result = extract_article(page(["Watch: video of the summit. Two sentences only here."]),
                             url="http://127.0.0.1/video/", content_type="text/html")
    assert isinstance(result, Rejection) and "almost no text" in result.reason


def test_text_in_unspaced_scripts_is_measured_in_characters():
    # 160 characters of Japanese: one \w+ run per sentence, but about 80 words of story.
    sentence = "政府は月曜日、国境付近での部隊の移動について新たな声明を発表し、状況を注視していると述べた。"
    result = extract_article(page([sentence * 2, sentence * 2], title="国境付近で部隊が移動、政府が声明", lang=' lang="ja"'),
                             url="http://127.0.0.1/articles/20260501-ABC123", content_type="text/html")
    assert isinstance(result, ExtractedArticle)
    assert result.word_count >= 60 and "maybe_not_article" not in result.quality_flags


def test_story_held_only_in_script_state_is_found():
    story = " ".join(["Negotiators met again in Geneva on Monday to discuss the ceasefire line."] * 12)
    state = json.dumps({"article": {"contentHtml": f"<p>{story}</p><p>{story}</p>"}})
    body = (f'<html><head><meta property="og:type" content="article"></head><body><h1>Talks resume in Geneva today</h1>'
            f'<div id="root"></div><script>window.__STATE__ = {state};</script></body></html>').encode()
    result = extract_article(body, url="http://127.0.0.1/news/article/A2026012914320005196")
    assert isinstance(result, ExtractedArticle)
    assert result.extraction["mode"] == "script" and "Negotiators met again in Geneva" in result.text


def test_a_short_page_with_the_story_in_jsonld_gets_the_article_body():
    story = " ".join(["Negotiators met again in Geneva on Monday to discuss the ceasefire line."] * 20)
    ld = json.dumps({"@type": "NewsArticle", "headline": "Talks resume", "articleBody": f"&lt;p&gt;{story}&lt;/p&gt;"})
    body = (f'<html><head><script type="application/ld+json">{ld}</script></head><body><article>'
            f'<h1>Talks resume in Geneva today</h1><p>Negotiators met again in Geneva on Monday.</p></article>'
            f'</body></html>').encode()
    result = extract_article(body, url="http://127.0.0.1/2026/01/talks-resume-in-geneva")
    # trafilatura's own fallback or ours ("jsonld"): either way the whole story, without markup.
    assert isinstance(result, ExtractedArticle) and result.word_count >= 200
    assert result.text.startswith("Negotiators met again") and "&lt;" not in result.text and "<p>" not in result.text


@pytest.mark.parametrize("line", [
    "Subscribe now for unlimited access.",
    "You've reached your limit of 5 free articles this month.",
    "Already a subscriber? Sign in",
    "To continue reading, log in or create an account.",
    "Déjà abonné ? Connectez-vous",
    "Jetzt abonnieren und weiterlesen",
    "Suscríbete para seguir leyendo",
    "Register to continue reading",
    "You've used all your free articles for this month",
    "Subscribe from £1 a week to keep reading the Courier.",
    "Create a free account to read 3 articles a month",
])
def test_paywall_markers_cut_the_rest(line):
    cleaned = clean_text(f"{TEASER}\n{line}\nPlan perks that must go.")
    assert cleaned.text == TEASER and cleaned.paywall_cut


TEASER = ("The defence ministry said on Tuesday that two brigades had been moved to the eastern border overnight, "
          "the largest redeployment this year, and that more units would follow.")


def test_subscription_banner_above_the_story_removes_only_itself():
    cleaned = clean_text(f"Abonnez-vous à notre newsletter internationale.\n{TEASER}\nA second paragraph.")
    assert cleaned.text == f"{TEASER}\nA second paragraph." and not cleaned.paywall_cut


@pytest.mark.parametrize("line", ["₹2,700", "$9.99/month", "€4,50 / Monat", "12 Months", "£5 per week"])
def test_price_only_lines_are_dropped(line):
    assert clean_text(f"First.\n{line}\nLast.").text == "First.\nLast."


@pytest.mark.parametrize("line", ["Read more:", "RELATED", "See also", "Lesen Sie auch:", "— Related stories —"])
def test_orphan_link_labels_are_dropped(line):
    assert clean_text(f"First.\n{line}\nLast.").text == "First.\nLast."


@pytest.mark.parametrize("line", ["© Continental Press Agency. All rights reserved. Republished under licence.",
                                  "Copyright 2024 The Example Wire", "(c) Example News"])
def test_rights_lines_are_dropped(line):
    assert clean_text(f"First.\n{line}\nLast.").text == "First.\nLast."


def test_prose_mentioning_subscriptions_is_kept():
    text = "Analysts said newspapers that subscribe to the wire service carried the statement in full."
    assert clean_text(text).text == text


def test_sniffing_trusts_specific_declared_types():
    assert sniff_type(b"<html>", "application/json") == "application/json"
    assert sniff_type(b"<!DOCTYPE html><html>", "") == "text/html"


STORY = [
    "KYIV (Reuters) — Ukraine said on Tuesday that Russian forces had moved two brigades towards the northern "
    "border overnight, and that air defences shot down most of the drones launched at the capital.",
    "The general staff said the movements were being watched closely and that reinforcements were ready. "
    "Officials in several regions reported damage to power lines and one substation after the attack.",
    "Western officials said they expected further strikes on energy infrastructure as winter approached, "
    "and that additional air-defence systems promised last month would arrive within weeks.",
] * 3


def test_wire_dateline_names_the_agency():
    result = extract_article(page(STORY), url="http://127.0.0.1/w.html", content_type="text/html")
    assert isinstance(result, ExtractedArticle)
    assert result.wire_source == "Reuters"


@pytest.mark.parametrize("note, source", [
    ("This story has been auto-generated from a syndicated feed.", "syndicated feed"),
    ("Copyright The Associated Press. This story was distributed by AP News Wire.", "AP"),
])
def test_syndication_notes_name_the_source(note, source):
    body = [line.replace("KYIV (Reuters) — ", "") for line in STORY] + [note]
    result = extract_article(page(body), url="http://127.0.0.1/s.html", content_type="text/html")
    assert isinstance(result, ExtractedArticle)
    assert result.wire_source == source and note not in result.text


def test_own_reporting_has_no_wire_source_and_no_flags():
    body = [line.replace("KYIV (Reuters) — ", "") for line in STORY] * 2
    result = extract_article(page(body), url="http://127.0.0.1/o.html", content_type="text/html")
    assert isinstance(result, ExtractedArticle)
    assert result.wire_source is None
    assert result.quality_flags == ()


def test_mojibake_is_repaired_before_the_warehouse():
    import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252: how Windows shows such bytes)

    quote = " The minister’s aide said “no comment”."
    broken = [(line + quote).encode("utf-8").decode("sloppy-windows-1252") for line in STORY]
    assert "â€™" in broken[0]
    result = extract_article(page(broken), url="http://127.0.0.1/m.html", content_type="text/html")
    assert isinstance(result, ExtractedArticle)
    assert "minister’s aide said “no comment”" in result.text and "â€" not in result.text
    assert result.extraction["mojibake_repaired"] is True
    assert "mojibake" not in result.quality_flags


def test_cut_at_a_paywall_is_flagged_as_a_teaser():
    body = STORY[:3] + ["Subscribe now to continue reading", "£4.99 a month"]
    result = extract_article(page(body), url="http://127.0.0.1/p.html", content_type="text/html", min_words=20)
    assert isinstance(result, ExtractedArticle)
    assert "paywall_teaser" in result.quality_flags and "short" in result.quality_flags
    assert "Subscribe" not in result.text


def test_text_barely_longer_than_the_feed_summary_is_a_teaser():
    summary = " ".join(STORY[:2])
    result = extract_article(page(STORY[:3]), url="http://127.0.0.1/t.html", content_type="text/html",
                             min_words=20, summary=summary)
    assert isinstance(result, ExtractedArticle) and "paywall_teaser" in result.quality_flags
    full = extract_article(page(STORY * 2), url="http://127.0.0.1/t.html", content_type="text/html",
                           summary=summary)
    assert "paywall_teaser" not in full.quality_flags


def test_consent_text_instead_of_a_story_is_flagged():
    consent = [
        "We and our 742 partners use cookies and similar technologies to store and access information on your "
        "device, to show you personalised ads and content, and to measure how our site is used.",
        "You can accept all cookies, reject them, or manage preferences at any time in the privacy settings.",
        "Some partners process your data on the basis of legitimate interest, which you can object to here.",
        "By continuing you agree to our privacy policy and to the use of cookies described in it.",
    ]
    result = extract_article(page(consent * 2), url="http://127.0.0.1/c.html", content_type="text/html",
                             min_words=20)
    assert isinstance(result, ExtractedArticle) and "consent_text" in result.quality_flags
