import numpy
import pytest
import spacy
from spacy.training import Example

from zh_invest.entity_tagger import allowed_transitions, dilated_window, tag_names, viterbi

LABELS = ("MONEY", "REGION")
TOK2VEC = {
    "@architectures": "spacy.Tok2Vec.v2",
    "embed": {"@architectures": "spacy.MultiHashEmbed.v2", "width": 16, "attrs": ["NORM"], "rows": [100], "include_static_vectors": False},
    "encode": {"@architectures": "spacy.MaxoutWindowEncoder.v2", "width": 16, "window_size": 1, "maxout_pieces": 2, "depth": 1},
}
TAGS = tag_names(LABELS)


def tag_probabilities(rows: list[dict[str, float]]) -> numpy.ndarray:
    """Rows of tag probabilities; what a row does not name shares the rest."""
    probs = numpy.zeros((len(rows), len(TAGS)), dtype="float32")
    for i, row in enumerate(rows):
        rest = (1.0 - sum(row.values())) / (len(TAGS) - len(row))
        probs[i] = rest
        for tag, p in row.items():
            probs[i, TAGS.index(tag)] = p
    return probs


def decode(rows: list[dict[str, float]]) -> list[str]:
    log_allowed = numpy.where(allowed_transitions(len(LABELS)), 0.0, -numpy.inf)
    tags = viterbi(numpy.log(tag_probabilities(rows)), log_allowed, log_allowed[0], log_allowed[:, 0])
    return [TAGS[t] for t in tags]


TAGGER = {"model": {"@architectures": "zh_invest.entity_tagger_model.v2", "dilations": [1, 2], "tok2vec": TOK2VEC}}


@pytest.fixture()
def tagger():
    nlp = spacy.blank("zh")
    pipe = nlp.add_pipe("zh_invest_entity_tagger", name="ner", config=TAGGER)
    for label in LABELS:
        pipe.add_label(label)
    return nlp, pipe


def test_a_dilated_window_sets_each_token_beside_its_neighbours_that_far_away_within_its_doc():
    window = dilated_window(2)
    first, second = numpy.arange(1, 6, dtype="float32").reshape(5, 1), numpy.asarray([[9.0]], dtype="float32")
    windowed, backprop = window([first, second], is_train=True)
    assert windowed[0].tolist() == [[0, 1, 3], [0, 2, 4], [1, 3, 5], [2, 4, 0], [3, 5, 0]]
    assert windowed[1].tolist() == [[0, 9, 0]]
    # Each token's gradient gathers what it was given in its own row and in the rows two places away.
    d_first, d_second = backprop([numpy.ones((5, 3), dtype="float32"), numpy.ones((1, 3), dtype="float32")])
    assert d_first.ravel().tolist() == [2, 2, 3, 2, 2] and d_second.ravel().tolist() == [1]


def test_an_entity_opens_with_b_or_u_and_closes_with_l_or_u():
    allowed = allowed_transitions(len(LABELS))
    following = {tag: {TAGS[j] for j in numpy.flatnonzero(allowed[i])} for i, tag in enumerate(TAGS)}
    assert following["O"] == following["L-MONEY"] == following["U-REGION"] == {"O", "B-MONEY", "U-MONEY", "B-REGION", "U-REGION"}
    assert following["B-MONEY"] == following["I-MONEY"] == {"I-MONEY", "L-MONEY"}


def test_decoding_repairs_what_the_best_tag_of_each_token_would_break():
    # Token by token the best tags read I-MONEY L-MONEY: an entity without a start.
    rows = [{"I-MONEY": 0.5, "B-MONEY": 0.4}, {"L-MONEY": 0.9}]
    assert decode(rows) == ["B-MONEY", "L-MONEY"]


def test_decoding_never_switches_label_inside_an_entity():
    rows = [{"B-REGION": 0.9}, {"I-MONEY": 0.6, "I-REGION": 0.3}, {"L-REGION": 0.9}]
    assert decode(rows) == ["B-REGION", "I-REGION", "L-REGION"]


def test_entities_are_set_from_decoded_tags(tagger):
    nlp, pipe = tagger
    doc = nlp.make_doc("投资20亿元在湖南")
    sure_outside = {"O": 1.0}
    probs = tag_probabilities(
        [sure_outside, sure_outside, {"B-MONEY": 0.9}, {"I-MONEY": 0.9}, {"I-MONEY": 0.9}, {"L-MONEY": 0.9}, sure_outside, {"B-REGION": 0.9}, {"L-REGION": 0.9}]
    )
    pipe.set_annotations([doc], [probs])
    assert [(e.text, e.label_) for e in doc.ents] == [("20亿元", "MONEY"), ("湖南", "REGION")]


def test_each_entity_carries_the_lowest_tag_probability_at_its_edges(tagger):
    nlp, pipe = tagger
    doc = nlp.make_doc("在湖南和河北")
    probs = tag_probabilities(
        [{"O": 0.6, "B-REGION": 0.4}, {"B-REGION": 0.7}, {"L-REGION": 0.95}, {"O": 1.0}, {"B-REGION": 0.98}, {"L-REGION": 0.96}]
    )
    pipe.set_annotations([doc], [probs])
    assert [(e.text, round(e._.confidence, 2)) for e in doc.ents] == [("湖南", 0.6), ("河北", 0.96)]


def test_a_token_that_may_be_outside_can_still_join_an_entity(tagger):
    nlp, pipe = tagger
    doc = nlp.make_doc("湖和南")
    probs = tag_probabilities([{"B-REGION": 0.9}, {"O": 0.5, "I-REGION": 0.45}, {"L-REGION": 0.9}])
    pipe.set_annotations([doc], [probs])
    assert [e.text for e in doc.ents] == ["湖和南"]


def test_a_trained_tagger_finds_its_entities_again_after_saving_and_loading(tmp_path):
    nlp = spacy.blank("zh")
    nlp.add_pipe("zh_invest_entity_tagger", name="ner", config=TAGGER)
    gold = [nlp.make_doc(text) for text in ("湖南投资20亿元。", "河北投资8亿元。")]
    gold[0].ents = [gold[0].char_span(0, 2, "REGION"), gold[0].char_span(4, 8, "MONEY")]
    gold[1].ents = [gold[1].char_span(0, 2, "REGION"), gold[1].char_span(4, 7, "MONEY")]
    examples = [Example(nlp.make_doc(doc.text), doc) for doc in gold]
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(60):
        nlp.update(examples, sgd=optimizer, drop=0.0)
    nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert [(e.text, e.label_) for e in loaded("湖南投资20亿元。").ents] == [("湖南", "REGION"), ("20亿元", "MONEY")]
