import pytest

from zh_invest.markup import MarkupError, parse, render

EXAMPLE = "其中⟦明睿陶瓷二期项目|PROJECT#p1⟧建成投产可实现年产值⟦1.8亿元|MONEY>p1:OUTPUT⟧。"


def test_parse_strips_marks_and_keeps_offsets():
    doc = parse(EXAMPLE)
    assert doc.text == "其中明睿陶瓷二期项目建成投产可实现年产值1.8亿元。"
    assert [doc.text[s:e] for s, e, _ in doc.entities] == ["明睿陶瓷二期项目", "1.8亿元"]


def test_parse_links_money_to_the_keyed_project():
    assert parse(EXAMPLE).relations == [(1, 0, "OUTPUT")]


def test_render_writes_parseable_markup():
    doc = parse(EXAMPLE)
    again = parse(render(doc))
    assert (again.text, again.entities, again.relations) == (doc.text, doc.entities, doc.relations)


@pytest.mark.parametrize(
    "markup, message",
    [
        ("⟦20亿元|MONEY>p9:INVESTMENT⟧", "unknown key #p9"),
        ("⟦甲|REGION#a⟧⟦乙|REGION#a⟧", "used twice"),
        ("⟦没有标签⟧", "malformed mark"),
    ],
)
def test_bad_markup_is_refused(markup, message):
    with pytest.raises(MarkupError, match=message):
        parse(markup)
