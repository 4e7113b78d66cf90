"""An entity recognizer that tags each token B/I/L/U-label or O and decodes
the tags with the Viterbi algorithm under the BILUO constraints.

spaCy's transition-based ``ner`` checks which of its actions are valid at every
token; on character tokens that bookkeeping, not the network, is most of the
pipeline's time. This component scores all tokens of a batch in one matrix
product and only runs the decoder's Python loop where the network is unsure.
Ships with the packaged pipeline (``spacy package --code``); imports nothing
from the project.
"""

from typing import Callable, Iterable

import numpy
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.scorer import get_ner_prf
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import registry
from spacy.vocab import Vocab
from thinc.api import Maxout, Model, Optimizer, Softmax, chain, residual, set_dropout_rate, with_array
from thinc.types import Floats2d

OUTSIDE = "O"
PREFIXES = ("B", "I", "L", "U")
# A token whose O probability reaches this is fixed as O before decoding: the
# Viterbi search then runs only on the stretches between such tokens.
CONFIDENT_OUTSIDE = 0.99

# How sure the tagger was of an entity's edges: the lowest probability it gave
# to the decoded tags of the entity's first and last token and of the tokens
# just outside them. A start cut one character short (…|纺织项目) shows here.
if not Span.has_extension("confidence"):
    Span.set_extension("confidence", default=None)


@registry.architectures("zh_invest.entity_tagger_model.v2")
def entity_tagger_model(tok2vec: Model[list[Doc], list[Floats2d]], dilations: list[int], nO: int | None = None) -> Model[list[Doc], list[Floats2d]]:
    """Token vectors, one residual convolution per entry of ``dilations`` that
    adds each token's neighbours that many tokens away, and a softmax over the
    tags. Growing dilations widen the view at the cost of a plain window
    (iterated dilated convolutions, Strubell et al. 2017): after a tok2vec that
    sees two tokens on each side, dilations 2 and 4 let each tag see eight, so
    the head noun at the end of a long name (…项目, …基金) informs its first
    character."""
    width = tok2vec.get_dim("nO")
    convolutions = [
        residual(chain(dilated_window(dilation), with_array(Maxout(width, width * 3, nP=3, normalize=True, dropout=0.1))))
        for dilation in dilations
    ]
    return chain(tok2vec, *convolutions, with_array(Softmax(nO, width)))


def dilated_window(dilation: int) -> Model[list[Floats2d], list[Floats2d]]:
    """Each token's vector beside those of the tokens ``dilation`` places to its
    left and right (zeros past the edges of its doc)."""
    return Model(f"dilated_window({dilation})", _dilated_window_forward, attrs={"dilation": dilation})


def _dilated_window_forward(model: Model, docs_vectors: list[Floats2d], is_train: bool):
    dilation = model.attrs["dilation"]
    ops = model.ops

    def window(vectors: Floats2d) -> Floats2d:
        length, width = vectors.shape
        windowed = ops.alloc2f(length, 3 * width)
        windowed[:, width : 2 * width] = vectors
        if length > dilation:
            windowed[dilation:, :width] = vectors[:-dilation]
            windowed[:-dilation, 2 * width :] = vectors[dilation:]
        return windowed

    def backprop(d_windowed: list[Floats2d]) -> list[Floats2d]:
        d_vectors = []
        for d_window in d_windowed:
            length, width = d_window.shape[0], d_window.shape[1] // 3
            d_vector = d_window[:, width : 2 * width].copy()
            if length > dilation:
                d_vector[:-dilation] += d_window[dilation:, :width]
                d_vector[dilation:] += d_window[:-dilation, 2 * width :]
            d_vectors.append(d_vector)
        return d_vectors

    return [window(vectors) for vectors in docs_vectors], backprop


@Language.factory(
    "zh_invest_entity_tagger",
    assigns=["doc.ents"],
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None},
)
def make_entity_tagger(nlp: Language, name: str, model: Model) -> "EntityTagger":
    return EntityTagger(nlp.vocab, model, name)


def tag_names(labels: Iterable[str]) -> list[str]:
    return [OUTSIDE] + [f"{prefix}-{label}" for label in labels for prefix in PREFIXES]


def allowed_transitions(n_labels: int) -> numpy.ndarray:
    """Boolean matrix [previous tag, next tag] of the BILUO grammar: after O, L
    or U comes O, B or U; after B-x or I-x comes I-x or L-x."""
    n_tags = 1 + 4 * n_labels
    closed = numpy.zeros(n_tags, dtype=bool)
    opening = numpy.zeros(n_tags, dtype=bool)
    closed[0] = opening[0] = True
    closed[3::4] = closed[4::4] = True  # L-x, U-x
    opening[1::4] = opening[4::4] = True  # B-x, U-x
    allowed = numpy.outer(closed, opening)
    for i in range(n_labels):
        begin, inside, last = 1 + 4 * i, 2 + 4 * i, 3 + 4 * i
        allowed[numpy.ix_([begin, inside], [inside, last])] = True
    return allowed


def viterbi(log_probs: numpy.ndarray, log_allowed: numpy.ndarray, opening: numpy.ndarray, closing: numpy.ndarray) -> list[int]:
    """The best tag sequence for one stretch of tokens that starts and ends
    outside any entity."""
    score = log_probs[0] + opening
    backpointers = []
    for emission in log_probs[1:]:
        candidates = score[:, None] + log_allowed
        best_previous = candidates.argmax(axis=0)
        backpointers.append(best_previous)
        score = candidates[best_previous, numpy.arange(len(score))] + emission
    tags = [int((score + closing).argmax())]
    for best_previous in reversed(backpointers):
        tags.append(int(best_previous[tags[-1]]))
    return tags[::-1]


class EntityTagger(TrainablePipe):
    """Per-token BILUO tagger with constrained decoding; sets ``doc.ents`` and
    each entity's ``Span._.confidence``."""

    def __init__(self, vocab: Vocab, model: Model, name: str = "ner") -> None:
        self.vocab = vocab
        self.model = model
        self.name = name
        self.cfg: dict[str, list[str]] = {"labels": []}

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.cfg["labels"])

    @property
    def tags(self) -> list[str]:
        return tag_names(self.labels)

    def add_label(self, label: str) -> int:
        if label in self.labels:
            return 0
        self._allow_extra_label()
        self.cfg["labels"].append(label)
        return 1

    def initialize(self, get_examples: Callable[[], Iterable[Example]], *, nlp: Language | None = None, labels: list[str] | None = None) -> None:
        examples = list(get_examples())
        if labels is None:
            labels = sorted({span.label_ for example in examples for span in example.reference.ents})
        for label in labels:
            self.add_label(label)
        sample = examples[:10]
        docs = [example.predicted for example in sample]
        truths = [self.model.ops.alloc2f(len(doc), len(self.tags)) for doc in docs]
        self.model.initialize(X=docs, Y=truths)

    def predict(self, docs: Iterable[Doc]) -> list[Floats2d]:
        docs = list(docs)
        if not any(len(doc) for doc in docs):
            return [self.model.ops.alloc2f(len(doc), len(self.tags)) for doc in docs]
        return self.model.predict(docs)

    def set_annotations(self, docs: Iterable[Doc], scores: list[Floats2d]) -> None:
        n_labels = len(self.labels)
        allowed = allowed_transitions(n_labels)
        log_allowed = numpy.where(allowed, 0.0, -numpy.inf)
        opening = log_allowed[0]  # what may follow O is what may start a stretch
        closing = log_allowed[:, 0]  # what may precede O is what may end one
        for doc, doc_scores in zip(docs, scores):
            probs = self.model.ops.to_numpy(doc_scores)
            tags = numpy.zeros(len(doc), dtype="int32")
            unsure = numpy.flatnonzero(probs[:, 0] < CONFIDENT_OUTSIDE)
            if len(unsure):
                # Consecutive unsure tokens form the stretches to decode.
                breaks = numpy.flatnonzero(numpy.diff(unsure) > 1) + 1
                log_probs = numpy.log(numpy.clip(probs, 1e-12, 1.0))
                for stretch in numpy.split(unsure, breaks):
                    tags[stretch] = viterbi(log_probs[stretch], log_allowed, opening, closing)
            doc.ents = self._spans(doc, tags)
            tag_probs = probs[numpy.arange(len(doc)), tags]
            for entity in doc.ents:
                edges = [i for i in (entity.start - 1, entity.start, entity.end - 1, entity.end) if 0 <= i < len(doc)]
                entity._.confidence = float(tag_probs[edges].min())

    def _spans(self, doc: Doc, tags: numpy.ndarray) -> list[Span]:
        spans = []
        for position in numpy.flatnonzero((tags % 4 == 1) | ((tags % 4 == 0) & (tags > 0))):
            tag = int(tags[position])
            label = self.labels[(tag - 1) // 4]
            end = position + 1
            if tag % 4 == 1:  # B: the entity runs to its L
                while tags[end] != tag + 2:
                    end += 1
                end += 1
            spans.append(Span(doc, int(position), int(end), label=label))
        return spans

    def update(self, examples: Iterable[Example], *, drop: float = 0.0, sgd: Optimizer | None = None, losses: dict[str, float] | None = None) -> dict[str, float]:
        losses = {} if losses is None else losses
        losses.setdefault(self.name, 0.0)
        examples = list(examples)
        if not any(len(example.predicted) for example in examples):
            return losses
        set_dropout_rate(self.model, drop)
        scores, backprop = self.model.begin_update([example.predicted for example in examples])
        loss, gradients = self.get_loss(examples, scores)
        backprop(gradients)
        if sgd is not None:
            self.finish_update(sgd)
        losses[self.name] += loss
        return losses

    def get_loss(self, examples: Iterable[Example], scores: list[Floats2d]) -> tuple[float, list[Floats2d]]:
        """Cross-entropy against the gold BILUO tags; tokens without a gold tag
        (missing, or cut across by an entity boundary) give no gradient."""
        index = {tag: i for i, tag in enumerate(self.tags)}
        loss, gradients = 0.0, []
        for example, doc_scores in zip(examples, scores):
            gold = [index.get(tag) if tag else None for tag in example.get_aligned_ner()]
            rows = numpy.asarray([row for row, i in enumerate(gold) if i is not None], dtype="int64")
            columns = numpy.asarray([i for i in gold if i is not None], dtype="int64")
            probs = self.model.ops.to_numpy(doc_scores)
            gradient = numpy.zeros(probs.shape, dtype="float32")
            gradient[rows] = probs[rows]
            gradient[rows, columns] -= 1.0
            loss -= float(numpy.log(numpy.clip(probs[rows, columns], 1e-9, 1.0)).sum())
            gradients.append(self.model.ops.asarray2f(gradient))
        return loss, gradients

    def score(self, examples: Iterable[Example], **kwargs) -> dict[str, object]:
        return get_ner_prf(examples)
