"""What a user reads on a page (text, titles, placeholders, button labels, option labels), and the English
words or internal codes in it that are not on the allow-list."""

from __future__ import annotations

import re
from html.parser import HTMLParser

ALLOWED = frozenset(
    {
        # identifiers and abbreviations users know
        "MN",
        "ID",
        "HJ",
        "PDF",
        "CSV",
        "Excel",
        "xlsx",
        "YAML",
        "SHA",
        "PH",
        "pH",
        "COD",
        "BOD",
        "TOC",
        "NOx",
        "SO2",
        "CEMS",
        "VOCs",
        "GPS",
        "IP",
        "MA",
        "EcoSentinel",
        "Word",
        "JPEG",
        "PNG",
        "MP4",
        # file formats named where users pick an export or an upload (conventional in Chinese software)
        "JSON",
        "WebP",
        "MOV",
        # the prefix of public-report tracking codes, shown as the example code in the query box
        "JB",
        "MB",
        "KB",
        "B",
        "C",
        "D",  # credit grades
        # units
        "mg",
        "L",
        "m",
        "m3",
        "h",
        "kWh",
        "kW",
        "A",
        "V",
        "t",
        "d",
        "s",
        "min",
        "Nm3",
        "Pa",
        "kPa",
        "MPa",
    }
)
UNIT = re.compile(r"^(mg/m3|mg/L|m3/h|m³/h|L/s|t/d|Nm3/h|kg/h)$")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.\-/]*")
BRACKETED = re.compile(r"[（(\[]\s*[A-Za-z][A-Za-z0-9\-_]*\s*[)）\]]")
# Identifiers of records users quote: hashes (hex), credit codes and document numbers (capitals and digits).
IDENTIFIER = re.compile(r"^([0-9a-f]{32,}|[0-9A-Z]*[0-9][0-9A-Z]*|es-draw-v\d+)$")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0
        self._examples = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "svg"):
            self._skip += 1 if tag != "svg" else 0
        a = {k: v or "" for k, v in attrs}
        if tag == "code" and "input-example" in a.get("class", "").split():
            self._skip += 1  # an example of what to type into a field, in the field's own syntax
            self._examples += 1
        for name in ("title", "placeholder", "aria-label", "alt"):
            if a.get(name):
                self.parts.append(a[name])
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.parts.append(a["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if tag == "code" and self._examples:
            self._examples -= 1
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(p.strip() for p in parser.parts if p.strip())


def foreign_words(text: str, also_allowed: frozenset[str] = frozenset()) -> list[str]:
    """English words and internal codes shown to users (numbers, MN, bracketed factor codes, units and
    ``also_allowed`` — proper names of the page's data — pass)."""
    text = BRACKETED.sub(" ", text)
    out = []
    for match in WORD.finditer(text):
        word = match.group(0).rstrip(".-/")
        if word in ALLOWED or word in also_allowed or UNIT.match(word) or IDENTIFIER.match(word):
            continue
        if all(part in ALLOWED or part.isdigit() for part in re.split(r"[/.\-]", word) if part):
            continue
        out.append(word)
    return out
