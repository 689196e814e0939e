"""Raw pages: the downloaded bytes of each article, zstd-compressed, kept so that extraction can
be re-run (`wirewatch reprocess`) after the extractor improves, without fetching again.

zstd at level 3 shrinks news HTML about 5-8x at several hundred MB/s, and decompresses faster
still; the blob is stored with STORAGE EXTERNAL so PostgreSQL does not try to compress it again.
"""

from __future__ import annotations

import zstandard

LEVEL = 3


def compress(body: bytes) -> bytes:
    return zstandard.ZstdCompressor(level=LEVEL).compress(body)


def decompress(blob: bytes) -> bytes:
    return zstandard.ZstdDecompressor().decompress(blob)
