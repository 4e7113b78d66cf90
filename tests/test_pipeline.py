import numpy
import pytest
import spacy
from spacy.tokens import DocBin
from spacy.training import Example

import zh_invest.entity_tagger  # noqa: F401  (registers Span._.confidence)
from zh_invest.convert import blank_nlp, to_doc
from zh_invest.markup import parse, to_document
from zh_invest.pipeline import PAIR_FEATURES, RULE_SPANS_KEY, Relation, candidate_pairs, decode, split_region_chains

TWO_PROJECTS = (
    "⟦明睿陶瓷二期项目|PROJECT#p1⟧建成投产可实现年产值⟦1.8亿元|MONEY>p1:OUTPUT⟧，"
    "⟦湖南|REGION⟧⟦振阳纺织项目|PROJECT#p2⟧投资⟦20亿元|MONEY>p2:INVESTMENT⟧。"
)
CITY_TOTAL = "全市去年完成投资⟦3000亿元|MONEY⟧。⟦新材料产业园项目|PROJECT⟧开工。"


def gold_doc(nlp, markup: str):
    return to_doc(nlp, to_document(parse(markup), "doc"))[0]


@pytest.fixture(scope="module")
def nlp():
    return blank_nlp("char")


def test_a_region_that_rule_places_fill_splits_into_them(nlp):
    doc = nlp("文山州麻栗坡县和祥云财富工业园")
    doc.spans[RULE_SPANS_KEY] = [doc.char_span(0, 3, "REGION"), doc.char_span(3, 7, "REGION"), doc.char_span(8, 10, "REGION")]
    doc.ents = [doc.char_span(0, 7, "REGION"), doc.char_span(8, 15, "REGION")]
    assert [e.text for e in split_region_chains(doc).ents] == ["文山州", "麻栗坡县", "祥云财富工业园"]


def test_relations_survive_docbin(nlp):
    doc = gold_doc(nlp, TWO_PROJECTS)
    [again] = DocBin(docs=[doc], store_user_data=True).from_bytes(DocBin(docs=[doc], store_user_data=True).to_bytes()).get_docs(nlp.vocab)
    assert [(r.head.text, r.tail.text, r.label) for r in again._.relations] == [("1.8亿元", "明睿陶瓷二期项目", "OUTPUT"), ("20亿元", "振阳纺织项目", "INVESTMENT")]


def test_candidates_pair_amounts_and_projects_of_one_sentence_only(nlp):
    doc = gold_doc(nlp, CITY_TOTAL)
    assert candidate_pairs(doc).pairs == []
    pairs = candidate_pairs(gold_doc(nlp, TWO_PROJECTS)).pairs
    assert [(m.text, p.text) for m, p in pairs] == [
        ("1.8亿元", "明睿陶瓷二期项目"), ("1.8亿元", "振阳纺织项目"), ("20亿元", "明睿陶瓷二期项目"), ("20亿元", "振阳纺织项目"),
    ]


@pytest.mark.parametrize(
    "markup, flags",
    [
        # Traditional 總投資 counts as 总投资: its trigger stands before the amount.
        ("⟦振陽紡織項目|PROJECT⟧總投資⟦20億元|MONEY⟧。", {"INVESTMENT trigger before": 1.0, "INVESTMENT trigger between": 1.0}),
        ("⟦振阳纺织项目|PROJECT⟧达产后年产值⟦20亿元|MONEY⟧。", {"OUTPUT trigger before": 1.0, "OUTPUT trigger between": 1.0}),
        ("⟦20亿元|MONEY⟧用于⟦振阳纺织项目|PROJECT⟧。", {}),
        # A trigger in the previous sentence is not "before" the amount.
        ("年产值。⟦20亿元|MONEY⟧用于⟦振阳纺织项目|PROJECT⟧。", {}),
    ],
)
def test_pair_features_flag_trigger_words_by_relation_type(nlp, markup, flags):
    [features] = candidate_pairs(gold_doc(nlp, markup)).features
    named = dict(zip(PAIR_FEATURES, features))
    assert {name: value for name, value in named.items() if "trigger" in name and value} == flags


def test_pair_features_name_each_trigger_word_and_where_it_stands(nlp):
    [features] = candidate_pairs(gold_doc(nlp, "⟦振阳纺织项目|PROJECT⟧计划总投资⟦20亿元|MONEY⟧。")).features
    named = dict(zip(PAIR_FEATURES, features))
    assert named["计划总投资 before"] == named["计划总投资 between"] == 1.0
    assert named["年产值 before"] == named["年产值 between"] == 0.0


def test_pair_features_name_words_that_say_an_amount_is_a_grant(nlp):
    [features] = candidate_pairs(gold_doc(nlp, "⟦振阳纺织项目|PROJECT⟧获省级补助⟦200万元|MONEY⟧。")).features
    assert dict(zip(PAIR_FEATURES, features))["补助 before"] == 1.0


def test_decoding_keeps_one_project_per_amount_above_the_threshold(nlp):
    candidates = candidate_pairs(gold_doc(nlp, TWO_PROJECTS))
    # columns: no relation, INVESTMENT, OUTPUT
    scores = numpy.asarray([[0.1, 0.2, 0.7], [0.2, 0.5, 0.3], [0.6, 0.3, 0.1], [0.1, 0.8, 0.1]])
    relations = decode(candidates, scores, ("INVESTMENT", "OUTPUT"), threshold=0.5)
    assert [(r.head.text, r.tail.text, r.label, r.score) for r in relations] == [
        ("1.8亿元", "明睿陶瓷二期项目", "OUTPUT", 0.7), ("20亿元", "振阳纺织项目", "INVESTMENT", 0.8),
    ]


def test_decoding_leaves_out_pairs_whose_entity_edges_the_recognizer_doubted(nlp):
    doc = gold_doc(nlp, TWO_PROJECTS)
    for entity in doc.ents:
        entity._.confidence = 0.3 if entity.text == "振阳纺织项目" else 0.9
    # 20亿元's best project is the doubted one: it gets no relation, not its second best.
    scores = numpy.asarray([[0.1, 0.2, 0.7], [0.2, 0.5, 0.3], [0.3, 0.6, 0.1], [0.1, 0.8, 0.1]])
    relations = decode(candidate_pairs(doc), scores, ("INVESTMENT", "OUTPUT"), threshold=0.5, min_confidence=0.5)
    assert [(r.head.text, r.tail.text) for r in relations] == [("1.8亿元", "明睿陶瓷二期项目")]


@pytest.fixture(scope="module")
def trained():
    """A real relation extractor with its own small tok2vec, trained on two documents."""
    nlp = blank_nlp("char")
    nlp.add_pipe("zh_invest_relation_extractor", config={"model": {"tok2vec": {"encode": {"width": 32}, "embed": {"width": 32}}}})
    examples = [Example(nlp.make_doc(d.text), d) for d in (gold_doc(nlp, TWO_PROJECTS), gold_doc(nlp, CITY_TOTAL))]
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(60):
        nlp.update(examples, sgd=optimizer)
    return nlp, examples


def test_the_extractor_learns_investment_and_output(trained):
    nlp, examples = trained
    doc = gold_doc(nlp, TWO_PROJECTS)
    doc.user_data.clear()
    doc = nlp.get_pipe("zh_invest_relation_extractor")(doc)
    assert [(r.head.text, r.tail.text, r.label) for r in doc._.relations] == [("1.8亿元", "明睿陶瓷二期项目", "OUTPUT"), ("20亿元", "振阳纺织项目", "INVESTMENT")]
    assert all(isinstance(r, Relation) and 0.5 <= r.score <= 1.0 for r in doc._.relations)


def test_evaluate_reports_relation_scores_of_the_extractor(trained):
    nlp, examples = trained
    # The predicted docs carry the gold entities, as an entity recognizer would set them.
    with_entities = []
    for example in examples:
        predicted = example.reference.copy()
        predicted.user_data.clear()
        with_entities.append(Example(predicted, example.reference))
    scores = nlp.evaluate(with_entities)
    assert (scores["rel_micro_p"], scores["rel_micro_r"], scores["rel_micro_f"]) == (1.0, 1.0, 1.0)


def test_a_trained_extractor_round_trips_through_disk(trained, tmp_path):
    nlp, _ = trained
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    doc = gold_doc(loaded, TWO_PROJECTS)
    doc.user_data.clear()
    doc = loaded.get_pipe("zh_invest_relation_extractor")(doc)
    assert [r.label for r in doc._.relations] == ["OUTPUT", "INVESTMENT"]
