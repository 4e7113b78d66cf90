"""Everything the zh-invest-ie pipeline needs at load time.

This module ships inside the packaged pipeline (``spacy package --code`` copies
it in and imports it on its own), so it imports nothing from the rest of the
project but its sibling ``chinese``, which ships with it.

Relations between a MONEY span and a PROJECT span are kept in
``doc.user_data`` as character offsets, which survive DocBin, ``to_disk`` and
any re-segmentation; ``doc._.relations`` turns them into :class:`Relation`
items with spans.
"""

import re
from bisect import bisect_left
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy
from spacy.attrs import NORM, SHAPE
from spacy.language import Language
from spacy.ml import StaticVectors
from spacy.pipeline import TrainablePipe
from spacy.strings import hash_string
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import registry
from spacy.vocab import Vocab
from thinc.api import (
    Config,
    HashEmbed,
    Maxout,
    Model,
    Optimizer,
    Relu,
    Softmax,
    chain,
    concatenate,
    list2ragged,
    noop,
    ragged2list,
    set_dropout_rate,
    with_array,
)
from thinc.types import Floats2d, Ints2d

try:
    from .chinese import to_simplified
except ImportError:  # `spacy package --code` imports each shipped file on its own, outside any package
    from zh_invest.chinese import to_simplified

RELATIONS_KEY = "zh_invest_relations"
RELATION_TYPES = ("INVESTMENT", "OUTPUT")
HEAD_LABEL = "MONEY"
TAIL_LABEL = "PROJECT"
# The guidelines' sentence boundary: relations never cross one.
SENTENCE_END = re.compile(r"[。！？!?\n]")
# Words that say what an amount is (总投资 …, 年产值 …), in simplified script.
# The rule linker decides by them; the relation extractor and the scikit-learn
# baseline read them as pair features.
TRIGGER_WORDS = {
    "INVESTMENT": (
        "总投资", "计划投资", "计划总投资", "完成投资", "累计投资", "协议投资", "估算投资",
        "年度投资", "年计划投资", "投资额", "投资", "引资", "融资", "贷款", "授信", "募资", "签约",
    ),
    "OUTPUT": (
        "产值", "年产值", "营收", "营业收入", "销售收入", "销售额", "收入", "税金", "税收",
        "利税", "纳税", "利润",
    ),
}
# Words that say an amount belongs to no project (guidelines: grants, subsidies,
# fiscal funds; totals of a city or a fund): read as pair features only.
NO_RELATION_WORDS = ("补助", "补贴", "贴息", "资助", "奖励", "奖补", "财政", "专项资金", "规模", "全市", "全省", "全县", "全区")
# How far before an amount a trigger word is looked for, in characters.
TRIGGER_WINDOW = 8


@dataclass(frozen=True)
class Relation:
    """A MONEY span (``head``) that belongs to a PROJECT span (``tail``)."""

    head: Span
    tail: Span
    label: str
    score: float = 1.0


def _span(doc: Doc, start: int, end: int, label: str) -> Span:
    # "expand" keeps a relation whose entity does not align with the tokens
    # (pkuseg) visible instead of dropping it; conversion counts those cases.
    return doc.char_span(start, end, label=label, alignment_mode="expand")


def get_relations(doc: Doc) -> list[Relation]:
    return [
        Relation(
            head=_span(doc, head_start, head_end, HEAD_LABEL),
            tail=_span(doc, tail_start, tail_end, TAIL_LABEL),
            label=label,
            score=score,
        )
        for head_start, head_end, tail_start, tail_end, label, score in doc.user_data.get(
            RELATIONS_KEY, []
        )
    ]


def set_relations(doc: Doc, relations: Iterable[Relation]) -> None:
    doc.user_data[RELATIONS_KEY] = [
        (r.head.start_char, r.head.end_char, r.tail.start_char, r.tail.end_char, r.label, float(r.score))
        for r in relations
    ]


if not Doc.has_extension("relations"):
    Doc.set_extension("relations", getter=get_relations, setter=set_relations)


def _relation_keys(doc: Doc) -> set[tuple[int, int, int, int, str]]:
    return {
        (head_start, head_end, tail_start, tail_end, label)
        for head_start, head_end, tail_start, tail_end, label, _ in doc.user_data.get(RELATIONS_KEY, [])
    }


def _prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score_relations(examples: Iterable) -> dict[str, object]:
    """Relation P/R/F over ``examples``, matching predicted and gold relations
    by the character offsets of both spans and the label, so the score does not
    depend on the segmentation and counts an entity error as a relation error."""
    counts = {label: [0, 0, 0] for label in RELATION_TYPES}  # tp, predicted, gold
    for example in examples:
        predicted, gold = _relation_keys(example.predicted), _relation_keys(example.reference)
        for key in predicted:
            counts.setdefault(key[-1], [0, 0, 0])[1] += 1
        for key in gold:
            counts.setdefault(key[-1], [0, 0, 0])[2] += 1
        for key in predicted & gold:
            counts[key[-1]][0] += 1
    tp, n_pred, n_gold = (sum(c[i] for c in counts.values()) for i in range(3))
    p, r, f = _prf(tp, n_pred, n_gold)
    per_type = {}
    for label, (t, np_, ng) in counts.items():
        lp, lr, lf = _prf(t, np_, ng)
        per_type[label] = {"p": lp, "r": lr, "f": lf}
    return {"rel_micro_p": p, "rel_micro_r": r, "rel_micro_f": f, "rel_per_type": per_type}


def sentence_numbers(text: str, spans: Iterable[Span]) -> list[int]:
    """The sentence each span starts in: how many sentence ends stand before it."""
    ends = [m.start() for m in SENTENCE_END.finditer(text)]
    return [bisect_left(ends, span.start_char) for span in spans]


@dataclass
class Candidates:
    """The (MONEY, PROJECT) pairs of one document that share a sentence, with
    what the network cannot see in pooled vectors (``PAIR_FEATURES``): the order
    of the two spans, their distance, how many other amounts and projects stand
    between them, and which trigger words (of which kind) and no-relation words
    stand just before the amount or between the spans."""

    pairs: list[tuple[Span, Span]]
    features: list[tuple[float, ...]]


_FEATURE_WORDS = (*(word for label in RELATION_TYPES for word in TRIGGER_WORDS[label]), *NO_RELATION_WORDS)
PAIR_FEATURES = (
    "order", "distance", "amounts between", "projects between",
    *(f"{label} trigger {place}" for label in RELATION_TYPES for place in ("before", "between")),
    *(f"{word} {place}" for word in _FEATURE_WORDS for place in ("before", "between")),
)


def _trigger_contexts(text: str, head: Span, tail: Span) -> tuple[str, str]:
    """Where trigger words of a pair are looked for: the text of the amount's
    sentence up to TRIGGER_WINDOW characters before it, and the text between
    the two spans."""
    left, right = (head, tail) if head.start < tail.start else (tail, head)
    before = SENTENCE_END.split(text[max(head.start_char - TRIGGER_WINDOW, 0) : head.start_char])[-1]
    return before, text[left.end_char : right.start_char]


def _trigger_flags(text: str, head: Span, tail: Span) -> list[float]:
    """For each relation type, then for each trigger or no-relation word:
    whether it stands before the amount; whether it stands between the spans."""
    contexts = _trigger_contexts(text, head, tail)
    found = {word: [word in part for part in contexts] for word in _FEATURE_WORDS}
    by_type = [
        float(any(found[word][place] for word in TRIGGER_WORDS[label]))
        for label in RELATION_TYPES
        for place in range(len(contexts))
    ]
    return by_type + [float(flag) for word in _FEATURE_WORDS for flag in found[word]]


def candidate_pairs(doc: Doc, entities: Iterable[Span] | None = None) -> Candidates:
    entities = sorted(doc.ents if entities is None else entities, key=lambda e: e.start)
    sentence_of = dict(zip((e.start for e in entities), sentence_numbers(doc.text, entities)))
    starts = {label: [e.start for e in entities if e.label_ == label] for label in (HEAD_LABEL, TAIL_LABEL)}
    candidates = Candidates([], [])
    if not (starts[HEAD_LABEL] and starts[TAIL_LABEL]):
        return candidates
    simplified = to_simplified(doc.text)
    for head in (e for e in entities if e.label_ == HEAD_LABEL):
        for tail in (e for e in entities if e.label_ == TAIL_LABEL):
            if sentence_of[head.start] != sentence_of[tail.start]:
                continue
            left, right = (head, tail) if head.start < tail.start else (tail, head)
            between = {label: bisect_left(s, right.start) - bisect_left(s, left.end) for label, s in starts.items()}
            candidates.pairs.append((head, tail))
            candidates.features.append(
                (
                    1.0 if head is left else -1.0,
                    float(numpy.log1p(right.start - left.end)) / 5,
                    float(between[HEAD_LABEL]),
                    float(between[TAIL_LABEL]),
                    *_trigger_flags(simplified, head, tail),
                )
            )
    return candidates


def entity_confidence(span: Span) -> float:
    """The entity tagger's ``Span._.confidence``; gold and rule entities, which
    have none, count as certain."""
    confidence = span._.confidence if Span.has_extension("confidence") else None
    return 1.0 if confidence is None else confidence


def decode(candidates: Candidates, scores: numpy.ndarray, labels: Iterable[str], threshold: float, min_confidence: float = 0.0) -> list[Relation]:
    """Relations from per-pair scores over (no relation, *labels): each amount
    keeps its best-scoring pair if that score reaches ``threshold``, because
    one amount belongs to at most one project. A relation with an entity whose
    edges the recognizer was less sure of than ``min_confidence`` is dropped
    (the amount gets none): most wrong relations end-to-end link a misread
    project span."""
    labels = list(labels)
    best: dict[int, Relation] = {}
    for (head, tail), pair_scores in zip(candidates.pairs, scores):
        label_index = int(numpy.argmax(pair_scores[1:])) + 1
        score = float(pair_scores[label_index])
        if score >= threshold and (head.start not in best or score > best[head.start].score):
            best[head.start] = Relation(head, tail, labels[label_index - 1], score)
    kept = [r for r in best.values() if min(entity_confidence(r.head), entity_confidence(r.tail)) >= min_confidence]
    return sorted(kept, key=lambda r: r.head.start)


RULE_SPANS_KEY = "zh_invest_rules"


@Language.factory("zh_invest_rule_spans", assigns=["doc.spans"], requires=["doc.ents"])
def make_rule_spans(nlp: Language, name: str) -> Callable[[Doc], Doc]:
    """Moves the entities that the rule components before it found into
    ``doc.spans["zh_invest_rules"]``, where the tok2vec reads them as features,
    and leaves ``doc.ents`` empty for the entity recognizer."""

    def move_to_spans(doc: Doc) -> Doc:
        doc.spans[RULE_SPANS_KEY] = list(doc.ents)
        doc.ents = []
        return doc

    return move_to_spans


def split_region_chains(doc: Doc) -> Doc:
    """Splits each REGION entity that places the rules found fill from end to
    end into those places (文山州麻栗坡县 → 文山州 + 麻栗坡县, 宝鸡蔡家坡经开区 →
    宝鸡 + 蔡家坡经开区): the guidelines annotate every place of a chain on its
    own, and the recognizer, which sees no word boundaries, sometimes joins them."""
    places = sorted((s for s in doc.spans.get(RULE_SPANS_KEY, []) if s.label_ == "REGION"), key=lambda s: s.start)
    entities = []
    for entity in doc.ents:
        inside = [s for s in places if entity.start <= s.start and s.end <= entity.end] if entity.label_ == "REGION" else []
        if len(inside) >= 2 and sum(len(s) for s in inside) == len(entity):
            entities += [Span(doc, s.start, s.end, label="REGION") for s in inside]
        else:
            entities.append(entity)
    doc.ents = entities
    return doc


@Language.factory("zh_invest_region_chains", assigns=["doc.ents"], requires=["doc.ents", "doc.spans"])
def make_region_chains(nlp: Language, name: str) -> Callable[[Doc], Doc]:
    return split_region_chains


# Columns of the character features: the character, the bigrams it forms
# with its left and right neighbours (all by NORM, the simplified form), its
# SHAPE, and its tag in the rules' spans (B-MONEY, I-MONEY, …, or O). Bigrams
# carry much of the word-level information that character tokens lack; the
# rule tags let the network learn where the rules can be trusted. The
# multiplier spreads pairs of ids over the 64-bit range.
NGRAM_COLUMNS = ("unigram", "left bigram", "right bigram", "shape", "rule tag")
_PAIR_MULTIPLIER = numpy.uint64(0x9E3779B97F4A7C15)
_EDGE = numpy.uint64(0x5BD1E995)
_OUTSIDE = numpy.uint64(hash_string("O"))


def _bigram_ids(first: numpy.ndarray, second: numpy.ndarray) -> numpy.ndarray:
    with numpy.errstate(over="ignore"):
        return first * _PAIR_MULTIPLIER ^ second


def _rule_tags(doc: Doc) -> numpy.ndarray:
    tags = numpy.full(len(doc), _OUTSIDE, dtype="uint64")
    for span in doc.spans.get(RULE_SPANS_KEY, []):
        tags[span.start] = hash_string(f"B-{span.label_}")
        tags[span.start + 1 : span.end] = hash_string(f"I-{span.label_}")
    return tags


def _ngram_features_forward(model: Model, docs: list[Doc], is_train: bool):
    features = []
    for doc in docs:
        attrs = doc.to_array([NORM, SHAPE]).astype("uint64").reshape(-1, 2)
        norms = attrs[:, 0]
        previous = numpy.concatenate([[_EDGE], norms[:-1]]).astype("uint64")
        following = numpy.concatenate([norms[1:], [_EDGE]]).astype("uint64")
        columns = [norms, _bigram_ids(previous, norms), _bigram_ids(norms, following), attrs[:, 1], _rule_tags(doc)]
        features.append(model.ops.asarray(numpy.stack(columns, axis=1), dtype="uint64"))
    return features, lambda d_features: []


@registry.architectures("zh_invest.CharNgramEmbed.v1")
def char_ngram_embed(width: int, rows: list[int], include_static_vectors: bool) -> Model[list[Doc], list[Floats2d]]:
    """Like spaCy's MultiHashEmbed, for character tokens: hash embeddings of
    each character and of its two bigrams (see NGRAM_COLUMNS), optionally with
    static vectors, mixed by one Maxout layer. ``rows`` has one size per column."""
    if len(rows) != len(NGRAM_COLUMNS):
        raise ValueError(f"rows needs {len(NGRAM_COLUMNS)} sizes ({', '.join(NGRAM_COLUMNS)}), got {len(rows)}")
    embeddings = [HashEmbed(width, size, column=i, seed=11 + i, dropout=0.0) for i, size in enumerate(rows)]
    features: Model[list[Doc], list[Ints2d]] = Model("char_ngram_features", _ngram_features_forward)
    embedded = chain(features, list2ragged(), with_array(concatenate(*embeddings)))
    if include_static_vectors:
        embedded = concatenate(embedded, StaticVectors(width, dropout=0.0))
    concat_size = width * (len(embeddings) + include_static_vectors)
    return chain(embedded, with_array(Maxout(width, concat_size, nP=3, dropout=0.0, normalize=True)), ragged2list())


@registry.architectures("zh_invest.relation_model.v3")
def relation_model(tok2vec: Model[list[Doc], list[Floats2d]], hidden_width: int = 64, context_window: int = 4) -> Model[tuple[list[Doc], list[Candidates]], Floats2d]:
    """Scores each candidate pair over (no relation, *RELATION_TYPES) from mean-pooled
    token vectors of the amount, the project, the tokens between them and the
    tokens just before the amount (where 总投资 or 年产值 usually stand)."""
    pooled = Model(
        "relation_pair_pooling",
        _pooling_forward,
        layers=[tok2vec],
        attrs={"context_window": context_window},
        dims={"nO": None},
        init=_pooling_init,
    )
    # The softmax reads the pooled vectors and pair features themselves beside the
    # hidden layer, so it can weigh a trigger word directly, as a linear model does.
    return chain(pooled, concatenate(noop(), Relu(nO=hidden_width, dropout=0.1)), Softmax(nO=len(RELATION_TYPES) + 1))


def _pooling_init(model: Model, X=None, Y=None) -> None:
    tok2vec = model.layers[0]
    if X is not None:
        tok2vec.initialize(X=X[0])
    model.set_dim("nO", 4 * tok2vec.get_dim("nO") + len(PAIR_FEATURES))


def _segments(docs_offsets: list[int], candidates: list[Candidates], window: int) -> numpy.ndarray:
    """Token ranges pooled for each pair, as rows of (start, end) in the
    concatenated batch: amount, project, between them, before the amount."""
    rows = []
    for offset, doc_candidates in zip(docs_offsets, candidates):
        for head, tail in doc_candidates.pairs:
            left, right = (head, tail) if head.start < tail.start else (tail, head)
            segments = ((head.start, head.end), (tail.start, tail.end), (left.end, right.start), (max(head.start - window, 0), head.start))
            rows.append([(offset + start, offset + end) for start, end in segments])
    return numpy.asarray(rows, dtype="int32").reshape(-1, 4, 2)


def _pooling_forward(model: Model, inputs: tuple[list[Doc], list[Candidates]], is_train: bool):
    docs, candidates = inputs
    tokvecs, backprop_tok2vec = model.layers[0](docs, is_train)
    ops = model.ops
    width = model.layers[0].get_dim("nO")
    lengths = [len(t) for t in tokvecs]
    offsets = numpy.cumsum([0] + lengths[:-1]).tolist()
    segments = _segments(offsets, candidates, model.attrs["context_window"])
    starts, ends = segments[:, :, 0], segments[:, :, 1]
    sizes = numpy.maximum(ends - starts, 1)[:, :, None].astype("float32")
    # Means of token ranges from prefix sums: sum[start:end] = prefix[end] - prefix[start].
    stacked = ops.xp.vstack(tokvecs) if tokvecs else ops.alloc2f(0, width)
    prefix = ops.xp.vstack([ops.alloc2f(1, width), ops.xp.cumsum(stacked, axis=0)])
    means = (prefix[ends] - prefix[starts]) / sizes
    features = ops.asarray2f([f for c in candidates for f in c.features]).reshape(-1, len(PAIR_FEATURES))
    output = ops.xp.hstack([means.reshape(len(segments), 4 * width), features])

    def backprop(d_output: Floats2d) -> list:
        d_means = d_output[:, : 4 * width].reshape(-1, 4, width) / sizes
        # Each token in a range gets the range's gradient: add it at the start,
        # subtract it at the end, and sum up along the tokens.
        steps = ops.alloc2f(len(stacked) + 1, width)
        ops.scatter_add(steps, starts.ravel(), d_means.reshape(-1, width))
        ops.scatter_add(steps, ends.ravel(), -d_means.reshape(-1, width))
        d_stacked = ops.xp.cumsum(steps, axis=0)[:-1]
        return backprop_tok2vec([d_stacked[o : o + n] for o, n in zip(offsets, lengths)])

    return output, backprop


DEFAULT_RELATION_MODEL = """
[model]
@architectures = "zh_invest.relation_model.v3"
hidden_width = 64
context_window = 4

[model.tok2vec]
@architectures = "spacy.Tok2Vec.v2"

[model.tok2vec.embed]
@architectures = "spacy.MultiHashEmbed.v2"
width = 64
attrs = ["NORM", "SHAPE"]
rows = [5000, 100]
include_static_vectors = false

[model.tok2vec.encode]
@architectures = "spacy.MaxoutWindowEncoder.v2"
width = 64
window_size = 1
maxout_pieces = 3
depth = 2
"""


@Language.factory(
    "zh_invest_relation_extractor",
    assigns=["doc._.relations"],
    requires=["doc.ents"],
    default_config={"model": Config().from_str(DEFAULT_RELATION_MODEL)["model"], "threshold": 0.5, "min_confidence": 0.0},
    default_score_weights={"rel_micro_f": 1.0, "rel_micro_p": 0.0, "rel_micro_r": 0.0},
)
def make_relation_extractor(nlp: Language, name: str, model: Model, threshold: float, min_confidence: float) -> "RelationExtractor":
    return RelationExtractor(nlp.vocab, model, name, threshold=threshold, min_confidence=min_confidence)


class RelationExtractor(TrainablePipe):
    """Links each MONEY entity to at most one PROJECT entity in its sentence.

    Trained on gold entities; at prediction time it reads ``doc.ents``, so its
    end-to-end score includes the entity recognizer's errors."""

    def __init__(self, vocab: Vocab, model: Model, name: str = "relation_extractor", *, threshold: float = 0.5, min_confidence: float = 0.0) -> None:
        self.vocab = vocab
        self.model = model
        self.name = name
        self.cfg = {"labels": list(RELATION_TYPES), "threshold": threshold, "min_confidence": min_confidence}

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.cfg["labels"])

    def predict(self, docs: Iterable[Doc]) -> tuple[list[Candidates], Floats2d]:
        docs = list(docs)
        candidates = [candidate_pairs(doc) for doc in docs]
        if not any(c.pairs for c in candidates):
            return candidates, self.model.ops.alloc2f(0, len(self.labels) + 1)
        return candidates, self.model.predict((docs, candidates))

    def set_annotations(self, docs: Iterable[Doc], predictions: tuple[list[Candidates], Floats2d]) -> None:
        candidates, scores = predictions
        scores = self.model.ops.to_numpy(scores)
        row = 0
        for doc, doc_candidates in zip(docs, candidates):
            count = len(doc_candidates.pairs)
            doc._.relations = decode(
                doc_candidates, scores[row : row + count], self.labels, self.cfg["threshold"], self.cfg["min_confidence"]
            )
            row += count

    def _gold_candidates(self, examples: Iterable[Example]) -> tuple[list[Doc], list[Candidates], list[int]]:
        """Candidates from the gold entities, placed on the predicted docs' tokens,
        with the gold class of each (0 = no relation)."""
        docs, candidates, classes = [], [], []
        for example in examples:
            predicted = example.predicted
            entities = [predicted.char_span(e.start_char, e.end_char, label=e.label_) for e in example.reference.ents]
            doc_candidates = candidate_pairs(predicted, [e for e in entities if e is not None])
            gold = {
                (head_start, head_end, tail_start, tail_end): label
                for head_start, head_end, tail_start, tail_end, label, _ in example.reference.user_data.get(RELATIONS_KEY, [])
            }
            for head, tail in doc_candidates.pairs:
                label = gold.get((head.start_char, head.end_char, tail.start_char, tail.end_char))
                classes.append(0 if label is None else self.labels.index(label) + 1)
            docs.append(predicted)
            candidates.append(doc_candidates)
        return docs, candidates, classes

    def update(self, examples: Iterable[Example], *, drop: float = 0.0, sgd: Optimizer | None = None, losses: dict[str, float] | None = None) -> dict[str, float]:
        losses = {} if losses is None else losses
        losses.setdefault(self.name, 0.0)
        docs, candidates, classes = self._gold_candidates(examples)
        if not classes:
            return losses
        set_dropout_rate(self.model, drop)
        scores, backprop = self.model.begin_update((docs, candidates))
        loss, gradient = self._loss(scores, classes)
        backprop(gradient)
        if sgd is not None:
            self.finish_update(sgd)
        losses[self.name] += loss
        return losses

    def _loss(self, scores: Floats2d, classes: list[int]) -> tuple[float, Floats2d]:
        """Cross-entropy of the softmax output, and its gradient."""
        rows = numpy.arange(len(classes))
        truth = self.model.ops.alloc2f(*scores.shape)
        truth[rows, numpy.asarray(classes)] = 1.0
        loss = -numpy.log(numpy.clip(self.model.ops.to_numpy(scores)[rows, classes], 1e-9, 1.0)).mean()
        return float(loss), (scores - truth) / len(classes)

    def get_loss(self, examples: Iterable[Example], scores: Floats2d) -> tuple[float, Floats2d]:
        _, _, classes = self._gold_candidates(examples)
        return self._loss(scores, classes)

    def initialize(self, get_examples: Callable[[], Iterable[Example]], *, nlp: Language | None = None) -> None:
        docs, candidates, classes = self._gold_candidates(list(get_examples())[:20])
        self.model.initialize(X=(docs, candidates), Y=self.model.ops.alloc2f(len(classes), len(self.labels) + 1))

    def score(self, examples: Iterable[Example], **kwargs) -> dict[str, object]:
        return score_relations(examples)
