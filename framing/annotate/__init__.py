"""Hand-labelling in the browser: ``framing annotate``.

The modules follow a decision's way: :mod:`~framing.annotate.source` (what there is to label),
:mod:`~framing.annotate.order` (what comes next, model suggestions and their update),
:mod:`~framing.annotate.journal` (the append-only record, and the labels CSV built from it),
:mod:`~framing.annotate.server` (the page). :func:`open_session` puts them together.
"""

from __future__ import annotations

from pathlib import Path

from framing.annotate.journal import Journal
from framing.annotate.order import ORDERS, Queue, Suggestions, Updater
from framing.annotate.server import Session, create_app
from framing.annotate.source import Source, load_source
from framing.codebook import Codebook, Frame, load_codebook
from framing.errors import FramingError

__all__ = ["ORDERS", "Session", "create_app", "open_session"]

DEFAULT_CODEBOOK = Path("labels/codebook.toml")


def open_session(
    source: str | Path,
    labels: str | Path,
    annotator: str,
    *,
    codebook: str | Path | None = None,
    model: str | Path | None = None,
    use_model: bool = True,
    order: str = "active",
    seed: int = 0,
    blind: bool = False,
    retrain_every: int = 20,
    id_column: str = "id",
    text_column: str = "text",
    frames_column: str = "frames",
) -> Session:
    """Read the source, open the annotator's journal, load the model; ready to serve.

    ``codebook``: the frames to label (default ``labels/codebook.toml`` when it exists, else
    the model's frames). ``model``: the model whose suggestions are shown and that active
    ordering starts from (default: the shipped model); ``use_model=False`` loads none (then
    ``active`` falls back to document order). Raises FramingError for bad input.
    """
    if order not in ORDERS:
        raise FramingError(f"--order must be one of {', '.join(ORDERS)}, not {order!r}")
    if retrain_every < 0:
        raise FramingError(f"--retrain-every must be 0 (never) or more, not {retrain_every}")
    units = load_source(source, id_column=id_column, text_column=text_column,
                        frames_column=frames_column)
    loaded = None
    if use_model:
        from framing.model import load_model

        loaded = load_model(model)
    if codebook is None and DEFAULT_CODEBOOK.is_file():
        codebook = DEFAULT_CODEBOOK
    if codebook is not None:
        book = load_codebook(codebook)
    elif loaded is not None:
        names = loaded.frame_names
        book = Codebook(frames=tuple(Frame(id=f, name=names[f]) for f in loaded.frame_ids))
    else:
        raise FramingError("no codebook: pass --codebook FILE (the frames to label)")
    _check_review_frames(units, book)
    journal = Journal(labels, annotator)
    try:
        suggestions = Suggestions(loaded, units.units, book.ids) if loaded is not None else None
        updater = None
        if suggestions is not None and order == "active" and retrain_every > 0:
            updater = Updater(suggestions, retrain_every)
            decisions = list(journal.state.decisions.values())
            if any(d.event == "label" for d in decisions):  # a restart ranks as it left off
                suggestions.refit(decisions)
        queue = Queue(units.units, order, seed=seed, suggestions=suggestions)
        sha = loaded.sha256 if loaded is not None else None
        return Session(source=units, journal=journal, codebook=book, queue=queue,
                       suggestions=suggestions, updater=updater, blind=blind, model_sha256=sha)
    except BaseException:
        journal.close()
        raise


def _check_review_frames(source: Source, book: Codebook) -> None:
    for unit in source.units:
        for frame in unit.prior_frames or ():
            if frame not in book:
                raise FramingError(f"{source.path}: unit {unit.key}: {book.unknown_frame_message(frame)}; "
                                   "pass the codebook the file was labelled with (--codebook)")
