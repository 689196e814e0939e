import codecs

import pytest

from wirewatch.extraction.encoding import decode_page

GERMAN = "Die Bundeswehr verlegt Truppen nach Litauen, berichtete der Verteidigungsausschuss. Größere Übungen " \
         "folgen im Frühjahr; „Wir sind bereit“, sagte ein Sprecher."


def html_page(text: str, meta: str = "") -> str:
    return f"<html><head>{meta}<title>x</title></head><body><p>{text}</p></body></html>"


def test_utf8_bytes_win_over_a_latin1_header():
    decoded = decode_page(html_page(GERMAN).encode("utf-8"), "text/html; charset=iso-8859-1")
    assert GERMAN in decoded.text
    assert decoded.encoding == "utf-8"
    assert "declared cp1252" in decoded.note


def test_windows_1252_page_behind_a_utf8_header_is_read_by_its_meta_charset():
    body = html_page(GERMAN, '<meta charset="windows-1252">').encode("cp1252")
    decoded = decode_page(body, "text/html; charset=utf-8")
    assert GERMAN in decoded.text
    assert decoded.encoding == "cp1252"
    assert "utf-8" in decoded.note


def test_latin1_label_means_windows_1252_so_curly_quotes_survive():
    text = "Le ministre a déclaré : « Nous n’accepterons pas » – puis il est parti."
    body = html_page(text).encode("cp1252")
    assert decode_page(body, "text/html; charset=ISO-8859-1").text == html_page(text)


@pytest.mark.parametrize("bom, codec", [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")])
def test_byte_order_mark_beats_every_declaration(bom, codec):
    body = bom + html_page(GERMAN, '<meta charset="iso-8859-1">').encode(codec)
    decoded = decode_page(body, "text/html; charset=iso-8859-1")
    assert GERMAN in decoded.text and not decoded.text.startswith("\ufeff")
    assert decoded.encoding == codec


def test_undeclared_legacy_encoding_is_detected():
    russian = "Министерство обороны сообщило о переброске войск к границе. " * 8
    decoded = decode_page(html_page(russian).encode("cp1251"), "text/html")
    assert russian in decoded.text
    assert decoded.note.startswith("charset detected as")


def test_agreeing_declarations_leave_no_note():
    body = html_page(GERMAN, '<meta charset="utf-8">').encode("utf-8")
    assert decode_page(body, "text/html; charset=UTF-8").note is None
