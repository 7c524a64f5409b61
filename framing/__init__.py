"""framing: a narrative-framing classifier for news.

Three ways in: ``framing train`` (command line) fits a model on hand-labelled sentences;
``framing score`` scores articles; :func:`predict` does the same from Python::

    import framing
    result = framing.predict(open("article.txt", encoding="utf-8").read())
    result.frames          # frames present, strongest first
    result.evidence        # frame id -> best sentences, with offsets and driving terms
"""

from framing.errors import (
    CodebookError,
    FramingError,
    InputError,
    LabelError,
    ModelError,
    TrainingError,
)
from framing.explain import FrameExplanation, Term, explain
from framing.model import Model, load_model
from framing.score import ArticleScore, SentenceScore, predict, predict_sentences
from framing.segment import Sentence, split_sentences

__all__ = [
    "ArticleScore",
    "CodebookError",
    "FrameExplanation",
    "FramingError",
    "InputError",
    "LabelError",
    "Model",
    "ModelError",
    "Sentence",
    "SentenceScore",
    "Term",
    "TrainingError",
    "explain",
    "load_model",
    "predict",
    "predict_sentences",
    "split_sentences",
]
