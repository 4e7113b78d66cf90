"""Traditional and simplified script: detection and offset-preserving conversion.

OpenCC converts phrases, which may change a text's length; converting one
character at a time keeps every offset, so annotations stay valid.
"""

from __future__ import annotations

from functools import lru_cache

import opencc

CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


@lru_cache(maxsize=None)
def char_table(config: str) -> dict[int, str]:
    """A ``str.translate`` table of every CJK character that ``config`` (e.g. ``t2s``) changes."""
    converter = opencc.OpenCC(config)
    table = {}
    for low, high in CJK_RANGES:
        for code in range(low, high + 1):
            converted = converter.convert(chr(code))
            if len(converted) == 1 and converted != chr(code):
                table[code] = converted
    return table


def to_simplified(text: str) -> str:
    return text.translate(char_table("t2s"))


def to_traditional(text: str) -> str:
    return text.translate(char_table("s2t"))


def script_of(text: str) -> str:
    """'traditional' if more characters are traditional-only than simplified-only, else 'simplified'."""
    traditional = sum(1 for c in text if ord(c) in char_table("t2s"))
    simplified = sum(1 for c in text if ord(c) in char_table("s2t"))
    return "traditional" if traditional > simplified else "simplified"
