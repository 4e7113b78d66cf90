import pytest
from hypothesis import given
from hypothesis import strategies as st

from zh_invest.webtext import clean_text


@pytest.mark.parametrize(
    "raw, cleaned",
    [
        ("項(xiàng)目為王", "項目為王"),
        ("總投資(tóu zī)20億元", "總投資20億元"),
        ("好的(de)开始", "好的开始"),
        ("建设?guǎn)?lǐ)辦法", "建设??辦法"),
    ],
)
def test_pinyin_glosses_are_removed(raw, cleaned):
    assert clean_text(raw).text == cleaned


@pytest.mark.parametrize(
    "text",
    ["到(企业服务中心)办理", "(記者 王明)報道", "人工智能(AI)产业", "来自(china)的客商", "第(3)条"],
)
def test_real_parentheses_stay(text):
    assert clean_text(text).text == text


@pytest.mark.parametrize(
    "line",
    [
        "- 2022年河北实施重点项目建设行动",
        "相关链接：",
        "来源：邯郸日报",
        "來源: 呂梁新聞網",
        "作者：李明 编辑：王芳",
        "責編：張華",
        "主办单位：某市人民政府办公室",
        "承辦單位：某縣融媒體中心",
        "冀ICP备12345678号-1",
        "冀公网安备 13040302000123号",
        "网站标识码：1304000001",
    ],
)
def test_boilerplate_lines_are_removed(line):
    assert clean_text(f"第一段。\n{line}\n第二段。").text == "第一段。\n第二段。"


def test_teasers_are_removed_and_the_line_kept():
    assert clean_text("项目签约仪式举行 [详细]\n市长出席【詳細】").text == "项目签约仪式举行\n市长出席"


def test_traditional_characters_are_never_converted():
    assert clean_text("邯鄲經開區項目總投資").text == "邯鄲經開區項目總投資"


def test_offsets_map_a_cleaned_span_back_to_the_raw_text():
    raw = "来源：某網\n振陽紡織項(xiàng)目投資20億元"
    cleaned = clean_text(raw)
    start = cleaned.text.index("振陽紡織項目")
    raw_start, raw_end = cleaned.to_raw(start, start + len("振陽紡織項目"))
    assert raw[raw_start:raw_end] == "振陽紡織項(xiàng)目"
    assert cleaned.to_clean(raw_start, raw_end) == (start, start + 6)


CHINESE = st.sampled_from(list("项目投資總億元邯鄲市吕梁的了在為") + ["𠀾", "😀", " ", "\n", "　"])
GLOSSED = st.sampled_from(["項(xiàng)", "資(zī)", "?guǎn)", "的(de)", "(記者 王明)", "[详细]"])
WEB_TEXT = st.lists(st.one_of(CHINESE, GLOSSED), max_size=60).map("".join)


@given(WEB_TEXT)
def test_every_cleaned_character_maps_to_the_same_raw_character(raw):
    cleaned = clean_text(raw)
    assert all(raw[i] == c for i, c in zip(cleaned.raw_index, cleaned.text, strict=True))


@given(WEB_TEXT, st.data())
def test_any_cleaned_span_round_trips_through_raw_offsets(raw, data):
    cleaned = clean_text(raw)
    start = data.draw(st.integers(0, len(cleaned.text)))
    end = data.draw(st.integers(start, len(cleaned.text)))
    assert cleaned.to_clean(*cleaned.to_raw(start, end)) == (start, end)


@given(st.lists(CHINESE, max_size=60).map("".join))
def test_text_without_glosses_or_boilerplate_only_loses_outer_whitespace(raw):
    assert clean_text(raw).text == raw.strip()
