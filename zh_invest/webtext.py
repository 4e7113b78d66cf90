"""Chinese news text as it comes from web pages: cleaning with an offset map.

``clean_text(raw)`` removes inline pinyin glosses (``項(xiàng)目`` → ``項目``) and
web boilerplate (related-link lists, site footers, source/editor lines,
``[详细]`` teasers). Nothing else changes: traditional characters stay
traditional. The result maps every character of the cleaned text back to the
raw text, so annotations made on the cleaned text can be reported in raw
offsets and vice versa.

This module ships inside the packaged pipeline, so it imports nothing from the
rest of the project.
"""

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Iterator, TypeVar

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
TONE_MARKED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü"
PINYIN_LETTERS = f"a-z{TONE_MARKED}"

# A syllable either has an initial (y and w included) or is one of the few
# finals that stand alone; checking syllables keeps "(AI)" or "(map)" in place.
_FINALS = (
    "iang|iong|uang|ang|eng|ing|ong|ian|iao|uai|uan|van|ai|ao|an|ei|en|er|ia|ie|in|iu"
    "|ou|ua|ue|ui|un|uo|ve|a|e|i|o|u|v"
)
_SYLLABLE = rf"(?:(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])(?:{_FINALS})|ang|eng|ai|ao|an|ei|en|er|ou|a|o|e)"
_SYLLABLES = re.compile(rf"(?:{_SYLLABLE})+")
_ONE_SYLLABLE = re.compile(_SYLLABLE)

GLOSS = re.compile(rf"(?<=[{CJK}?])\((?P<pinyin>[{PINYIN_LETTERS}]+(?: [{PINYIN_LETTERS}]+)*)\)")
# The character and the opening bracket were both lost to "?": "建设?guǎn)?lǐ)辦法".
ORPHAN_GLOSS = re.compile(rf"(?<=\?)(?P<pinyin>[{PINYIN_LETTERS}]+)\)")

BOILERPLATE_LINE = re.compile(
    r"^[ \t\u3000]*(?:"
    r"[-·•][ \t]+\S"  # related-article link lists
    r"|(?:相关|相關)(?:链接|鏈接|新闻|新聞|阅读|閱讀|文章)[:：]?[ \t]*$"
    r"|(?:来源|來源|作者|编辑|編輯|责编|責編|责任编辑|責任編輯)[ \t\u3000]*[:：]"
    r"|.*(?:主办单位|主辦單位|承办单位|承辦單位|ICP备|ICP備|公网安备|公網安備|网站标识码|網站標識碼|版权所有|版權所有)"
    r").*(?:\n|$)",
    re.MULTILINE,
)
TEASER = re.compile(r"[ \t\u3000]*[\[【](?:详细|詳細)[\]】]")


@dataclass(frozen=True)
class CleanText:
    """Cleaned text plus, for each of its characters, the index in ``raw``."""

    text: str
    raw: str
    raw_index: tuple[int, ...]

    def to_raw(self, start: int, end: int) -> tuple[int, int]:
        """Raw offsets of the cleaned span ``[start, end)``."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span [{start}, {end}) is outside the cleaned text of length {len(self.text)}")
        if start == end:
            raw_start = self.raw_index[start] if start < len(self.text) else len(self.raw)
            return raw_start, raw_start
        return self.raw_index[start], self.raw_index[end - 1] + 1

    def to_clean(self, start: int, end: int) -> tuple[int, int]:
        """Cleaned offsets of the raw span ``[start, end)``: the cleaned characters that came from it."""
        if not 0 <= start <= end <= len(self.raw):
            raise ValueError(f"span [{start}, {end}) is outside the raw text of length {len(self.raw)}")
        return bisect_left(self.raw_index, start), bisect_left(self.raw_index, end)


def _is_pinyin(gloss: str) -> bool:
    plain = "".join(c for c in unicodedata.normalize("NFD", gloss) if not unicodedata.combining(c))
    words = plain.split(" ")
    if not all(_SYLLABLES.fullmatch(word) for word in words):
        return False
    # Toneless glosses are only trusted for a single syllable ("的(de)"); a
    # toneless word such as "(china)" is more likely English.
    return any(c in TONE_MARKED for c in gloss) or _ONE_SYLLABLE.fullmatch(plain) is not None


def _removals(raw: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in BOILERPLATE_LINE.finditer(raw) if m.end() > m.start()]
    spans += [m.span() for m in TEASER.finditer(raw)]
    spans += [m.span() for pattern in (GLOSS, ORPHAN_GLOSS) for m in pattern.finditer(raw) if _is_pinyin(m["pinyin"])]
    return sorted(spans)


def clean_text(raw: str) -> CleanText:
    """Remove pinyin glosses and boilerplate from ``raw``; see the module docstring."""
    keep = [True] * len(raw)
    for start, end in _removals(raw):
        keep[start:end] = [False] * (end - start)
    kept = [i for i, flag in enumerate(keep) if flag]
    # Removing lines can leave blank lines at the edges; they carry nothing.
    first = next((k for k, i in enumerate(kept) if not raw[i].isspace()), len(kept))
    last = next((k for k in range(len(kept), first, -1) if not raw[kept[k - 1]].isspace()), first)
    kept = kept[first:last]
    return CleanText(text="".join(raw[i] for i in kept), raw=raw, raw_index=tuple(kept))


def extract(nlp: "Language", raw: str) -> dict[str, Any]:
    """Entities and relations that the pipeline ``nlp`` finds in the raw web
    text ``raw``, with offsets into ``raw``.

    The pipeline reads the cleaned text; its spans are mapped back, so
    ``start``/``end`` index ``raw`` while ``text`` is the entity as the pipeline
    read it, without pinyin glosses. Returns::

        {"text": raw,
         "entities": [{"label": "MONEY", "start": 12, "end": 17, "text": "58亿元"}, …],
         "relations": [{"head": 1, "tail": 0, "label": "INVESTMENT", "score": 0.93}, …]}

    where ``head`` (the amount) and ``tail`` (the project) index ``entities``.
    """
    [(result, _)] = extract_stream(nlp, [(raw, None)])
    return result


Context = TypeVar("Context")


def extract_stream(
    nlp: "Language", items: Iterable[tuple[str, Context]], *, batch_size: int | None = None, n_process: int = 1
) -> Iterator[tuple[dict[str, Any], Context]]:
    """:func:`extract` over ``(raw, context)`` pairs, yielding ``(result,
    context)`` in input order, with the pipeline's batching and processes."""
    cleaned = ((clean_text(raw), context) for raw, context in items)
    texts = ((clean.text, (clean, context)) for clean, context in cleaned)
    for doc, (clean, context) in nlp.pipe(texts, as_tuples=True, batch_size=batch_size, n_process=n_process):
        yield _in_raw_offsets(clean, doc), context


def _in_raw_offsets(clean: CleanText, doc: "Doc") -> dict[str, Any]:
    entities, index_of = [], {}
    for span in doc.ents:
        start, end = clean.to_raw(span.start_char, span.end_char)
        index_of[span.start_char, span.end_char] = len(entities)
        entities.append({"label": span.label_, "start": start, "end": end, "text": span.text})
    # doc._.relations holds Relation items of the shipped pipeline module; only
    # their attributes are read, so this module needs no import of it.
    relations = doc._.relations if doc.has_extension("relations") else []
    found = []
    for relation in relations:
        head = index_of.get((relation.head.start_char, relation.head.end_char))
        tail = index_of.get((relation.tail.start_char, relation.tail.end_char))
        if head is not None and tail is not None:
            found.append({"head": head, "tail": tail, "label": relation.label, "score": relation.score})
    return {"text": clean.raw, "entities": entities, "relations": found}
