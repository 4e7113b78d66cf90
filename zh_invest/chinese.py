"""Traditional and simplified script: detection and offset-preserving conversion.

OpenCC converts phrases, which may change a text's length; converting one
character at a time keeps every offset, so annotations stay valid.
"""

from functools import lru_cache
from typing import Callable

import opencc
from spacy.language import Language
from spacy.lookups import Lookups
from spacy.util import registry

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


@registry.callbacks("zh_invest.simplified_norms.v1")
def simplified_norms() -> Callable[[Language], Language]:
    """An ``[initialize.before_init]`` callback: the NORM of every traditional
    character becomes its simplified form, so both scripts share embeddings.
    The table is saved with the vocab; loading the pipeline needs no OpenCC."""

    def add_table(nlp: Language) -> Language:
        lookups = Lookups()
        lookups.add_table("lexeme_norm", {chr(code): simplified for code, simplified in char_table("t2s").items()})
        nlp.vocab.lookups = lookups
        for lexeme in nlp.vocab:
            lexeme.norm_ = to_simplified(lexeme.orth_)
        return nlp

    return add_table
