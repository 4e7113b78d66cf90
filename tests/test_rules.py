"""The rule-based pre-annotator, case by case, against the annotation guidelines.

Expected annotations are written in the inline markup of ``zh_invest.markup``;
a case checks only the label it is about, so each row states one behaviour.
All sentences were written for these tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example

from scripts.build_gazetteers import autonomous_short_names, read_divisions, read_name_lists, ruler_patterns, safe_aliases, township_names
from zh_invest.convert import predicted_documents
from zh_invest.corpus import Document, Mirror, parse_record
from zh_invest.markup import parse
from zh_invest.pipeline import Relation
from zh_invest.rules import add_rules

REGIONS = ["湖南", "胡各庄镇", "河北", "河北省", "邯郸", "邯郸市", "吕梁市", "平鲁区", "平鲁", "祁阳", "祁阳市", "朔州", "中国"]
ORGS = ["国务院"]
ORG_SUFFIXES = ["公司", "集团", "银行", "日报"]


@pytest.fixture(scope="module")
def nlp() -> Language:
    return add_rules(spacy.blank("zh"), ruler_patterns("REGION", REGIONS) + ruler_patterns("ORG", ORGS), ORG_SUFFIXES)


def spans(doc: Doc, label: str) -> list[str]:
    return [ent.text for ent in doc.ents if ent.label_ == label]


def expected(markup: str, label: str) -> tuple[str, list[str]]:
    annotated = parse(markup)
    return annotated.text, [annotated.text[s:e] for s, e, l in annotated.entities if l == label]


def relations(doc: Doc) -> set[tuple[str, str, str]]:
    return {(r.head.text, r.tail.text, r.label) for r in doc._.relations}


def expected_relations(markup: str) -> set[tuple[str, str, str]]:
    annotated = parse(markup)
    text, entities = annotated.text, annotated.entities
    return {
        (text[entities[h][0] : entities[h][1]], text[entities[t][0] : entities[t][1]], kind)
        for h, t, kind in annotated.relations
    }


def check(nlp: Language, markup: str, label: str) -> None:
    text, gold = expected(markup, label)
    assert spans(nlp(text), label) == gold


@pytest.mark.parametrize(
    "markup",
    [
        "全省投资⟦2.2萬億元|MONEY⟧。",
        "奖励⟦三千万元|MONEY⟧。",
        "预计投资⟦1-2亿元|MONEY⟧。",
        "完成投资⟦60多亿元|MONEY⟧。",
        "外资⟦5000万美元|MONEY⟧。",
        "总投资超⟦100亿元|MONEY⟧以上。",
        "总投资近⟦百亿元|MONEY⟧。",
        "总投资约⟦630.53亿元|MONEY⟧左右。",
        "总投资⟦５０００万元|MONEY⟧。",
        "融资⟦1.64万亿元|MONEY⟧人民币。",
        "签约项目141个，用地2810.97亩，年产50万吨，单位为亿元，票房破5亿。",
    ],
)
def test_money(nlp: Language, markup: str) -> None:
    check(nlp, markup, "MONEY")


@pytest.mark.parametrize(
    "markup",
    [
        "占比达到⟦百分之三十|PERCENT⟧。",
        "增速提高⟦3个百分点|PERCENT⟧。",
        "民营投资占⟦三成|PERCENT⟧以上。",
        "同比增长⟦74.47%|PERCENT⟧。",
        "同比增长⟦48.9％|PERCENT⟧。",
        "占全市的⟦三分之一|PERCENT⟧。",
        "项目建成投产，形成三成本优势。",
    ],
)
def test_percent(nlp: Language, markup: str) -> None:
    check(nlp, markup, "PERCENT")


@pytest.mark.parametrize(
    "markup",
    [
        "⟦邯郸|REGION⟧新签约项目。",
        "⟦邯鄲|REGION⟧新簽約項目。",
        "⟦吕梁市|REGION⟧召开大会。",
        "⟦呂梁市|REGION⟧召開大會。",
        "⟦河北省|REGION⟧⟦邯郸经开区|REGION⟧举行签约仪式。",
        "⟦平鲁经济技术开发区|REGION⟧招商。",
        "⟦邯鄲經開區|REGION⟧招商。",
        "推进中国式现代化。",
        # A zone's name need not be a known place; a place written before it stays apart.
        "项目落户⟦湄洲湾北岸经济开发区|REGION⟧。",
        "项目落户⟦向塘物流园区|REGION⟧和⟦金都工业集中区|REGION⟧。",
        "⟦祁阳市|REGION⟧⟦浯溪工业园|REGION⟧新签约项目。",
        "在⟦枋寮鄉|REGION⟧⟦屏南工業區|REGION⟧投資。",
        "货物经⟦邯郸综合保税区|REGION⟧出口，本省级经济开发区扩容。",
        # Runs of one-character abbreviations, each a place.
        "⟦沪|REGION⟧⟦苏|REGION⟧⟦浙|REGION⟧⟦皖|REGION⟧四省共建，⟦港|REGION⟧、⟦深|REGION⟧两地合作，⟦中|REGION⟧⟦哈|REGION⟧物流通道。",
        "⟦港|REGION⟧资企业增多。",
        "⟦湘|REGION⟧企来⟦鲁|REGION⟧投资，⟦日|REGION⟧方代表和⟦闽|REGION⟧籍客商出席，中方协议投资增加。",
        "⟦中|REGION⟧⟦吉|REGION⟧⟦乌|REGION⟧铁路和⟦川|REGION⟧⟦陕|REGION⟧革命老区。",
        "临港企业、平台企业和援藏资金，港商品牌。",
        # A project word after a place does not cut the place.
        "在⟦平鲁区|REGION⟧、⟦胡各庄镇|REGION⟧布局项目。",
    ],
)
def test_region(nlp: Language, markup: str) -> None:
    check(nlp, markup, "REGION")


@pytest.mark.parametrize(
    "markup",
    [
        "⟦平鲁区委|ORG⟧书记出席。",
        "⟦吕梁市委|ORG⟧、⟦市政府|ORG⟧召开会议。",
        "⟦市发改委|ORG⟧、⟦市行政审批局|ORG⟧和⟦开发区管委会|ORG⟧参加。",
        "⟦区委办|ORG⟧印发通知。",
        # A department named for two fields is a body, whatever the fields.
        "⟦吕梁市工业和能源局|ORG⟧负责人介绍。",
        "由⟦区自然资源和规划分局|ORG⟧提前完成评估，⟦县发展和改革局|ORG⟧局长出席。",
        "在⟦祁阳市政务服务中心|ORG⟧办理。",
        # 城市 is no level, but a known city's 市 is.
        "⟦邯郸市委|ORG⟧、⟦邯郸市政府|ORG⟧印发方案。",
        "⟦河北省商务厅|ORG⟧和⟦吕梁市科技创新局|ORG⟧负责人出席，当前格局向好。",
        # A zone's name need not be a known place before its 管委会.
        "⟦湄洲湾北岸经济开发区管委会|ORG⟧介绍。",
        "⟦国务院|ORG⟧发文，⟦河北银行邯郸分行|ORG⟧和⟦河北银行祁阳市支行|ORG⟧放贷。",
        "据⟦邯郸日报|ORG⟧报道。",
        "与⟦海泰新能朔州有限公司|ORG⟧签约。",
        "⟦吉利控股集团|ORG⟧投资建设。",
        "其中⟦湖南金华纺织科技有限公司|ORG⟧年产5万吨高端纱线项目开工。",
        "《⟦河北日报|ORG⟧》报道。",
        "各商业银行和金融机构加大支持。",
        # A place after a word for companies starts the company's name.
        "由本土企业⟦邯郸中州车业有限公司|ORG⟧投资建设。",
        # Places written one after another before a class of banks make a name.
        "⟦河北邯郸农村商业银行|ORG⟧放贷。",
        "企业向农村商业银行贷款。",
        # After a place a fund or a service centre is a name; without one it is generic.
        "⟦邯郸市循环经济产业发展基金|ORG⟧和⟦吕梁市投资促进中心|ORG⟧参与，设立产业引导基金。",
        "邯郸市的产业发展基金规模扩大。",
    ],
)
def test_org(nlp: Language, markup: str) -> None:
    check(nlp, markup, "ORG")


@pytest.mark.parametrize(
    "markup",
    [
        "印发《⟦关于支持民营经济发展的实施意见|POLICY⟧》。",
        "出台《⟦祁阳市2022年重点项目建设实施方案|POLICY⟧》。",
        "根据《⟦条例|POLICY⟧》规定。",
        "编制《⟦城市空间协同规划|POLICY⟧（2023—2035年）》。",
        "《河北日报》报道，《平凡的世界》热销。",
        "推行⟦“承诺制”改革|POLICY⟧。",
        "全面实行⟦承诺制|POLICY⟧。",
        "实行⟦项目责任单位代办制|POLICY⟧。",
        "开展⟦“三个一批”活动|POLICY⟧。",
        "建立⟦“四调度、三推介”工作机制|POLICY⟧。",
        "树牢“项目为王”理念，完成“双过半”目标，推行“一窗通办”。",
        "建立线上常态化政银企对接工作机制。",
        "⟦“十四五”规划|POLICY⟧重大交通项目进展顺利。",
    ],
)
def test_policy(nlp: Language, markup: str) -> None:
    check(nlp, markup, "POLICY")


@pytest.mark.parametrize(
    "markup",
    [
        "其中⟦明睿陶瓷二期项目|PROJECT⟧建成投产。",
        "开工建设⟦吉利新能源商用车生产基地项目|PROJECT⟧。",
        "总投资2.77亿元的⟦北新建材石膏板生产线项目|PROJECT⟧开工。",
        "⟦湖南|REGION⟧⟦振阳纺织项目|PROJECT⟧签约。",
        "全市86个⟦省重点项目|PROJECT⟧全面开工。",
        "⟦河北省|REGION⟧⟦祁阳市|REGION⟧⟦三季度重点项目|PROJECT⟧集中开工，共12个。",
        "新签约⟦重大项目|PROJECT⟧9个。",
        "集中开工，共⟦开工项目|PROJECT⟧28个。",
        "其中湖南金华纺织科技有限公司⟦年产5万吨高端纱线项目|PROJECT⟧开工。",
        "引进5000万元以上⟦产业项目|PROJECT⟧30个。",
        "⟦“签约一批”项目|PROJECT⟧共141个。",
        "“⟦签约一批|PROJECT⟧”共141个。",
        "该项目进展顺利，各地加快项目建设，重点项目稳步推进。",
        # Characters that are function words elsewhere stay inside names.
        "⟦年产1.5万吨有色金属深加工项目|PROJECT⟧签约。",
        "⟦磁共振核心零部件研发基地|PROJECT⟧加紧建设。",
        "⟦大数据产业园项目|PROJECT⟧开工。",
    ],
)
def test_project(nlp: Language, markup: str) -> None:
    check(nlp, markup, "PROJECT")


@pytest.mark.parametrize(
    "markup",
    [
        # Two projects and two amounts, each amount with its own project.
        "其中⟦明睿陶瓷二期项目|PROJECT#p1⟧建成投产可实现年产值⟦1.8亿元|MONEY>p1:OUTPUT⟧，"
        "⟦湖南|REGION⟧⟦振阳纺织项目|PROJECT#p2⟧投资⟦20亿元|MONEY>p2:INVESTMENT⟧。",
        "總投資⟦120億元|MONEY>p:INVESTMENT⟧的⟦金大地項目|PROJECT#p⟧開工。",
        "引进⟦5000万元|MONEY>p:INVESTMENT⟧以上⟦产业项目|PROJECT#p⟧30个。",
        "⟦振阳纺织项目|PROJECT#p⟧总投资⟦20亿元|MONEY>p:INVESTMENT⟧，年税金⟦500万元|MONEY>p:OUTPUT⟧。",
        "共⟦开工项目|PROJECT#b⟧28个，总投资⟦86.5亿元|MONEY>b:INVESTMENT⟧，其中⟦湖南金华纺织科技有限公司|ORG⟧"
        "⟦年产5万吨高端纱线项目|PROJECT#p⟧总投资⟦12亿元|MONEY>p:INVESTMENT⟧，年产值可达⟦15亿元|MONEY>p:OUTPUT⟧。",
        # A city-wide total stays unlinked, the project's own amount does not.
        "今年全市计划投资⟦200亿元|MONEY⟧，其中⟦振阳纺织项目|PROJECT#p⟧投资⟦20亿元|MONEY>p:INVESTMENT⟧。",
        "全市完成固定资产投资⟦150亿元|MONEY⟧，同比增长⟦8%|PERCENT⟧。",
        # An amount without a trigger word is not linked.
        "⟦振阳纺织项目|PROJECT⟧获得贷款，企业补贴⟦300万元|MONEY⟧。",
        # Relations stay inside the sentence.
        "⟦振阳纺织项目|PROJECT⟧开工。计划投资⟦20亿元|MONEY⟧。",
    ],
)
def test_relations(nlp: Language, markup: str) -> None:
    doc = nlp(parse(markup).text)
    assert relations(doc) == expected_relations(markup)


def test_works_on_word_tokens(nlp: Language) -> None:
    words = ["振阳", "纺织", "项目", "总", "投资", "20亿", "元", "。"]
    doc = run_on_words(nlp, words)
    assert [(e.text, e.label_) for e in doc.ents] == [("振阳纺织项目", "PROJECT"), ("20亿元", "MONEY")]
    assert relations(doc) == {("20亿元", "振阳纺织项目", "INVESTMENT")}


def test_match_inside_a_word_expands_to_the_word(nlp: Language) -> None:
    doc = run_on_words(nlp, ["投资", "超100亿元", "以上"])
    assert [(e.text, e.label_) for e in doc.ents] == [("超100亿元", "MONEY")]


def run_on_words(nlp: Language, words: list[str]) -> Doc:
    """Run the pipeline on a doc segmented into words, as pkuseg would."""
    doc = Doc(nlp.vocab, words=words, spaces=[False] * len(words))
    for _, component in nlp.pipeline:
        doc = component(doc)
    return doc


def test_saved_pipeline_loads_and_annotates_alike(nlp: Language, tmp_path: Path) -> None:
    text = "邯鄲經開區振陽紡織項目總投資20億元。"
    nlp.to_disk(tmp_path / "rules")
    loaded = spacy.load(tmp_path / "rules")
    before, after = nlp(text), loaded(text)
    assert [(e.text, e.label_) for e in after.ents] == [(e.text, e.label_) for e in before.ents]
    assert relations(after) == relations(before) == {("20億元", "振陽紡織項目", "INVESTMENT")}


def test_evaluate_reports_entity_and_relation_scores(nlp: Language) -> None:
    annotated = parse("⟦振阳纺织项目|PROJECT#p⟧投资⟦20亿元|MONEY>p:INVESTMENT⟧，⟦湖南|REGION⟧签约。")
    gold = nlp.make_doc(annotated.text)
    gold.ents = [gold.char_span(s, e, label=label) for s, e, label in annotated.entities]
    gold._.relations = [
        Relation(head=gold.ents[h], tail=gold.ents[t], label=kind) for h, t, kind in annotated.relations
    ]
    scores = nlp.evaluate([Example(nlp.make_doc(annotated.text), gold)])
    assert scores["ents_f"] == 1.0
    assert set(scores["ents_per_type"]) == {"PROJECT", "MONEY", "REGION"}
    assert scores["rel_micro_f"] == 1.0


def test_pre_annotated_document_is_a_valid_corpus_record(nlp: Language, tmp_path: Path) -> None:
    text = "其中明睿陶瓷二期项目建成投产可实现年产值1.8亿元，湖南振阳纺织项目投资20亿元。"
    [predicted] = predicted_documents(nlp, [Document("doc-1", text)])
    record = predicted.to_record()
    document, problems = parse_record(record, Mirror(tmp_path))
    assert problems == []
    assert [(text[e.start : e.end], e.label) for e in document.entities] == [
        ("明睿陶瓷二期项目", "PROJECT"), ("1.8亿元", "MONEY"), ("湖南", "REGION"), ("振阳纺织项目", "PROJECT"), ("20亿元", "MONEY"),
    ]
    assert [r.type for r in document.relations] == ["OUTPUT", "INVESTMENT"]


HIERARCHY = [
    "河北省\t130000\t河北",
    "\t邯郸市\t130400\t邯郸",
    "\t\t邯山区\t130402\t邯山",
    "\t\t和平区\t130499\t和平",
    "\t\t邯郸经济技术开发区\t130471\t经开区",
    "\t\t\t光明镇",
    "\t\t复兴区\t130404\t复兴",
    "\t\t\t光明镇",
    "\t\t\t古城镇",
    "\t\t\t石乡",
    "\t\t\t东关街道",
]


@pytest.mark.parametrize(
    "alias, kept",
    [
        ("河北", True),
        ("邯郸", True),
        ("邯山", True),
        ("和平", False),  # the reference text uses it as a word
        ("经开区", False),  # not the name less its suffix
    ],
)
def test_short_aliases(alias: str, kept: bool) -> None:
    reference_text = "维护和平，和平发展，热爱和平。" * 5
    assert (alias in safe_aliases(list(read_divisions(HIERARCHY)), reference_text)) is kept


def test_township_names_keep_names_that_several_counties_share() -> None:
    # Not 古城镇 (a kind of town), not 石乡 (too short).
    assert township_names(list(read_divisions(HIERARCHY))) == {"光明镇", "东关街道"}


def test_autonomous_divisions_are_also_named_by_alias_and_level() -> None:
    divisions = list(read_divisions(["云南省\t530000\t云南", "\t大理白族自治州\t532900\t大理", "\t\t宾川县\t532924\t宾川"]))
    assert autonomous_short_names(divisions) == {"大理州"}


def test_region_patterns_include_traditional_forms() -> None:
    forms = {pattern["pattern"] for pattern in ruler_patterns("REGION", ["邯郸市", "吕梁市"])}
    assert forms == {"邯郸市", "邯鄲市", "吕梁市", "呂梁市"}


def test_region_patterns_include_simplified_forms_of_traditional_names() -> None:
    forms = {pattern["pattern"] for pattern in ruler_patterns("REGION", ["頭份市"])}
    assert {"頭份市", "头份市"} <= forms


def test_place_lists_skip_comments_and_generic_district_names(tmp_path: Path) -> None:
    (tmp_path / "taiwan.txt").write_text("# 苗栗縣\n頭份市\n東區\n\n卑南鄉\n", encoding="utf-8")
    assert read_name_lists(tmp_path) == {"頭份市", "卑南鄉"}
