"""What a download is: its media type (declared, or sniffed when the server said nothing useful),
and why it cannot be an article page at all (a PDF, an image, an empty body).

The fetch step keeps no such body; the extract step asks the same before parsing a stored page.
"""

from __future__ import annotations

HTML_TYPES = {"text/html", "application/xhtml+xml"}


def sniff_type(body: bytes, declared: str) -> str:
    """The declared media type, or a sniffed one when the server sent none or a generic one."""
    if declared and declared not in ("application/octet-stream", "binary/octet-stream", "text/plain"):
        return declared
    head = body[:512].lstrip().lower()
    if head.startswith(b"%pdf"):
        return "application/pdf"
    if head.startswith(b"\x89png"):
        return "image/png"
    if head.startswith((b"<!doctype html", b"<html")) or b"<body" in head:
        return "text/html"
    return declared or "unknown"


def media_problem(body: bytes, content_type: str) -> str | None:
    """Why a download cannot be an article page at all (PDF, image, empty…), or None if it may be."""
    media_type = sniff_type(body, content_type.split(";")[0].strip().lower())
    if media_type not in HTML_TYPES:
        return f"not an HTML page ({media_type})"
    if not body.strip():
        return "empty page"
    return None
