"""A file's bytes -> its text and notes on repairs; binary data refused; HTML tags sniffed.

UTF-8, UTF-16 with a BOM, and Windows-1252 for the rest.
"""

from __future__ import annotations

import codecs
import re


def decode(data: bytes) -> tuple[str | None, list[str]]:
    """Bytes -> (text, notes about repairs), or (None, [reason]) for binary data.

    UTF-8 (with or without BOM) and UTF-16 with a BOM are read as such; other
    bytes that are not UTF-8 are read as Windows-1252, the usual culprit, and a
    note says so.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            return None, ["invalid UTF-16 text"]
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    sample = data[:8192]
    if b"\x00" in sample or _control_share(sample) > 0.05:
        return None, ["binary file, not text"]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        position = exc.start
    text = data.decode("cp1252", errors="replace")
    return text, [f"not valid UTF-8 (first bad byte at offset {position}); read as Windows-1252"]


def _control_share(sample: bytes) -> float:
    if not sample:
        return 0.0
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls / len(sample)


_HTML_SNIFF = re.compile(
    r"<(?:a\s[^>]*href|p|div|b|i|em|strong|br|span|html|body|article|h[1-6]|ul|li)\b[^>]*>",
    re.IGNORECASE,
)


def looks_like_html(text: str) -> bool:
    """Text -> whether it holds HTML tags (two or more of the common ones in its start)."""
    return len(_HTML_SNIFF.findall(text[:20000])) >= 2
