import spacy
from spacy.training import Example

from zh_invest.convert import blank_nlp, to_doc
from zh_invest.evaluation import MISSING, confusion, entity_scores, relation_scores, with_gold_entities
from zh_invest.markup import parse, to_document
from zh_invest.rules import add_rules

GOLD = "⟦湖南|REGION⟧⟦振阳纺织项目|PROJECT#p1⟧投资⟦20亿元|MONEY>p1:INVESTMENT⟧。"


def gold_doc(nlp, markup: str):
    return to_doc(nlp, to_document(parse(markup), "doc"))[0]


def rules_without_regions():
    # Without REGION patterns the rules take 湖南振阳纺织项目 for one project name.
    return add_rules(spacy.blank("zh"), [{"label": "ORG", "pattern": "国务院"}], ["公司"])


def test_relations_with_gold_entities_use_the_gold_spans():
    nlp = rules_without_regions()
    gold = gold_doc(blank_nlp(), GOLD)
    [doc] = with_gold_entities(nlp, [gold])
    assert [(e.text, e.label_) for e in doc.ents] == [("湖南", "REGION"), ("振阳纺织项目", "PROJECT"), ("20亿元", "MONEY")]
    assert [(r.head.text, r.tail.text, r.label) for r in doc._.relations] == [("20亿元", "振阳纺织项目", "INVESTMENT")]


def test_end_to_end_an_entity_error_is_also_a_relation_error():
    nlp = rules_without_regions()
    gold = gold_doc(blank_nlp(), GOLD)
    end_to_end = Example(nlp(gold.text), gold)
    [on_gold_entities] = with_gold_entities(nlp, [gold])
    assert [e.text for e in end_to_end.predicted.ents if e.label_ == "PROJECT"] == ["湖南振阳纺织项目"]
    assert entity_scores([end_to_end])["per_label"]["REGION"]["r"] == 0.0
    assert relation_scores([end_to_end])["f"] == 0.0
    assert relation_scores([Example(on_gold_entities, gold)])["f"] == 1.0


def test_confusion_puts_missed_and_spurious_spans_in_the_none_row_and_column():
    nlp = blank_nlp()
    gold = gold_doc(nlp, GOLD)
    predicted = gold_doc(nlp, "湖南⟦振阳纺织项目|ORG⟧投资⟦20亿元|MONEY⟧。")
    result = confusion([Example(predicted, gold)])
    at = {(g, p): result["matrix"][result["labels"].index(g)][result["labels"].index(p)] for g in result["labels"] for p in result["labels"]}
    assert at["REGION", MISSING] == 1
    assert at["PROJECT", "ORG"] == 1
    assert at["MONEY", "MONEY"] == 1
