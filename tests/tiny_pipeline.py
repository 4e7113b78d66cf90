"""A tiny trained pipeline for the extraction, visualisation and package tests.

It is the project's own config (rule components, char tokens, tok2vec, ner,
relation extractor, the simplified-norms callback) with a two-pattern rules
pipeline, shrunk and trained until it knows a few documents by heart, so a
test can say exactly what it must find in them.
"""

from pathlib import Path

from spacy.training import Example
from spacy.training.initialize import init_nlp
from spacy.util import load_config

from zh_invest.convert import blank_nlp, to_docbin
from zh_invest.corpus import Document, Entity, RelationRecord
from zh_invest.markup import parse
from zh_invest.rules import add_rules

CONFIG = Path(__file__).parent.parent / "configs" / "char.cfg"
WIDTH = 32
# Written for the tests; one sentence each, in both scripts.
TRAINING_MARKUP = (
    "⟦高端海工用钢生产线项目|PROJECT#p1⟧总投资⟦58亿元|MONEY>p1:INVESTMENT⟧，建成后可实现年产值⟦120亿元|MONEY>p1:OUTPUT⟧。",
    "⟦湖南|REGION⟧⟦振陽紡織項目|PROJECT#p1⟧由⟦振陽集團|ORG⟧投資⟦20億元|MONEY>p1:INVESTMENT⟧建設。",
    "全市固定资产投资同比增长⟦12.6%|PERCENT⟧，⟦承诺制|POLICY⟧全面推行。",
)


def documents() -> list[Document]:
    result = []
    for number, markup in enumerate(TRAINING_MARKUP, 1):
        annotated = parse(markup)
        entities = [Entity(i + 1, label, start, end) for i, (start, end, label) in enumerate(annotated.entities)]
        relations = [RelationRecord(i + 1, head + 1, tail + 1, kind) for i, (head, tail, kind) in enumerate(annotated.relations)]
        result.append(Document(f"train-{number}", annotated.text, entities, relations))
    return result


def train_tiny_pipeline(output: Path, steps: int = 150) -> Path:
    """Train the tiny pipeline and save it to ``output``; returns ``output``.
    Its training data is saved beside it as ``<output>-train.spacy``."""
    output.parent.mkdir(parents=True, exist_ok=True)
    rules_path = output.parent / f"{output.name}-rules"
    add_rules(blank_nlp("char"), [{"label": "REGION", "pattern": "湖南"}], ["集团", "集團"]).to_disk(rules_path)
    docbin, _ = to_docbin(blank_nlp("char"), documents())
    train_path = output.parent / f"{output.name}-train.spacy"
    docbin.to_disk(train_path)
    config = load_config(
        CONFIG,
        overrides={
            "paths.train": str(train_path),
            "paths.dev": str(train_path),
            "paths.rules": str(rules_path),
            # No pretrained vectors: training them takes longer than the tests may.
            "components.tok2vec.model.embed.include_static_vectors": False,
            "components.tok2vec.model.encode.width": WIDTH,
            "components.tok2vec.model.encode.depth": 2,
            "components.relation_extractor.model.hidden_width": WIDTH,
            # Ten times the config's rate: 150 updates learn the documents by heart.
            "training.optimizer.learn_rate": 0.01,
        },
        interpolate=False,
    )
    nlp = init_nlp(config)
    examples = [Example(nlp.make_doc(doc.text), doc) for doc in docbin.get_docs(nlp.vocab)]
    optimizer = nlp.create_optimizer()
    for _ in range(steps):
        nlp.update(examples, sgd=optimizer, drop=0.0)
    nlp.to_disk(output)
    return output
