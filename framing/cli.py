"""The command line: each command parses its options, calls one library function, and
formats the result. Only this module prints or exits; library errors (FramingError) become
one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from framing.errors import FramingError, ModelError, OutputError
from framing.language import ENGLISH
from framing.progress import Progress

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Narrative-framing classifier for news: train, score, explain.")
labels_app = typer.Typer(no_args_is_help=True, help="Work with hand-label files.")
app.add_typer(labels_app, name="labels")
model_app = typer.Typer(no_args_is_help=True, help="Work with model directories.")
app.add_typer(model_app, name="model")

F = TypeVar("F", bound=Callable[..., Any])


def err(message: str) -> None:
    """Print one line to stderr."""
    typer.echo(message, err=True)


def user_errors(func: F) -> F:
    """Turn FramingError into one line on stderr: exit 2 for model problems, else 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ModelError as exc:
            err(f"error: {exc}")
            raise typer.Exit(2) from None
        except FramingError as exc:
            err(f"error: {exc}")
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


LabelsOpt = Annotated[Path | None, typer.Option(
    "--labels", help="Labelled data: CSV, TSV or JSONL file, or a directory of CSVs.")]
ShippedLabelsOpt = Annotated[bool, typer.Option(
    "--shipped-labels", help="Use the hand labels and codebook shipped with framing.")]
CodebookOpt = Annotated[Path | None, typer.Option(
    dir_okay=False, help="Codebook TOML (cue terms, constructed examples). Without it frames come "
    "from the data.")]
TextColumn = Annotated[str, typer.Option(help="Column holding the text.")]
FramesColumn = Annotated[str, typer.Option(help="Column holding the frame ids.")]
Separator = Annotated[str, typer.Option(help="Separator between frame ids in a cell.")]
GroupColumn = Annotated[str | None, typer.Option(
    help="Column naming each row's article, so CV holds whole articles out (default: 'article' "
         "if the file has it; a column named here must exist).")]
NoGroups = Annotated[bool, typer.Option("--no-groups", help="The rows are independent texts: "
                                        "cross-validate them one by one, without a group column.")]
PlainOpt = Annotated[bool, typer.Option("--plain", help="Plain TF-IDF + LR: no cue block, no "
                                        "constructed examples (for comparison).")]
FoldsOpt = Annotated[int | None, typer.Option("--folds", min=2, help="Outer CV folds (default: one "
                                              "per article up to 10 articles, else 5).")]
SeedOpt = Annotated[int, typer.Option(help="Seed for shuffled folds.")]
ShuffleOpt = Annotated[bool | None, typer.Option("--shuffle/--no-shuffle", help="Shuffle articles "
                                                 "before making folds (default: no; ungrouped texts "
                                                 "are always shuffled unless --no-shuffle).")]
FoldColumn = Annotated[str | None, typer.Option(help="Column holding each row's CV fold, your own "
                                                "(e.g. a benchmark's); replaces --folds.")]
JobsOpt = Annotated[int, typer.Option("--jobs", "-j", min=1, help="Processes for the CV fits "
                                      "(results identical to one).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")]
SearchOpt = Annotated[str, typer.Option(
    help="Settings search: 'full' (the grid bench/recipes.py compared) or 'quick' (C only; "
         "for large data or a first look).")]

TrustPickleOpt = Annotated[bool, typer.Option(
    "--trust-pickle", help="Also load a model of the old pickled format (model.joblib). Unpickling "
    "runs any code the file holds: only for a model from a source you trust.")]
CorpusOpt = Annotated[Path | None, typer.Option(
    help="A constructed training corpus to add (same columns as --labels, with the article "
         "column): trained on, scored apart, never counted as labelled data. Default: "
         "labels/constructed/ when --labels is not given.")]
NestedOpt = Annotated[bool | None, typer.Option(
    "--nested/--no-nested", help="Score by nested CV (honest, slower) or report the selection "
    "CV (optimistic). Default: nested up to 5,000 texts.", show_default=False)]


@labels_app.command("check")
@user_errors
def labels_check(
    labels: Annotated[Path | None, typer.Argument(
        help="Labels file (CSV, TSV, JSONL) or directory of CSVs; any file `framing train "
             "--labels` reads (default: the seed labels in labels/ and the constructed corpus in "
             "labels/constructed/).")] = None,
    codebook: Annotated[Path | None, typer.Option(
        dir_okay=False, help="Codebook TOML to check frame ids against (default: the shipped "
                             "codebook for the seed format; none for other files).")] = None,
    seeds: Annotated[Path | None, typer.Option(
        help="Directory of the labelled articles: check the seed format's offsets and coverage "
             "against it (default: seeds/ for files in the seed format).")] = None,
    text_column: TextColumn = "text",
    frames_column: FramesColumn = "frames",
    separator: Separator = ";",
    group_column: GroupColumn = "article",
) -> None:
    """Validate hand labels: every problem as file:line: message, then counts per frame.

    Files with the seed header (article,index,start,end,text,frames,note) are checked against
    their article texts too; any other file as `framing train --labels` would read it."""
    from framing.codebook import load_codebook
    from framing.labels import (
        DEFAULT_CODEBOOK,
        DEFAULT_CORPUS,
        DEFAULT_CORPUS_ARTICLES,
        DEFAULT_LABELS,
        check_labelled,
        check_labels,
        is_seed_format,
    )
    from framing.resources import display_path, shipped

    targets: list[tuple[Path, Path | None]]
    if labels is None:
        targets = [(DEFAULT_LABELS, seeds or shipped("seeds"))]
        if DEFAULT_CORPUS.exists():
            targets.append((DEFAULT_CORPUS, DEFAULT_CORPUS_ARTICLES))
    elif seeds is not None or is_seed_format(labels):
        targets = [(labels, seeds or shipped("seeds"))]
    else:
        targets = [(labels, None)]
    failed = 0
    for path, articles in targets:
        if articles is not None:
            report = check_labels(path, load_codebook(codebook or DEFAULT_CODEBOOK), articles)
        else:
            report = check_labelled(path, codebook=load_codebook(codebook) if codebook else None,
                                    text_column=text_column, frames_column=frames_column,
                                    separator=separator, group_column=group_column or None)
        for problem in report.problems:
            err(str(problem))
        typer.echo(f"{display_path(path)}: {report.sentences} labelled sentences")
        width = max((len(f) for f in report.counts), default=0)
        for frame_id, count in report.counts.items():
            typer.echo(f"  {frame_id:<{width}}  {count:>4}")
        for warning in report.warnings:
            err(f"warning: {warning}")
        if not report.ok:
            err(f"{len(report.problems)} problem(s) found in {display_path(path)}")
            failed += 1
    if failed:
        raise typer.Exit(1)


def _group_options(group_column: str | None, no_groups: bool) -> tuple[str | None, bool]:
    """(group column, whether it must exist) from --group-column and --no-groups."""
    if no_groups and group_column is not None:
        raise typer.BadParameter("--no-groups and --group-column contradict each other; give one")
    if no_groups:
        return None, False
    if group_column is not None:
        return group_column, True
    from framing.labels import DEFAULT_GROUP_COLUMN

    return DEFAULT_GROUP_COLUMN, False


def _load(labels: Path | None, codebook: Path | None, *, text_column: str, frames_column: str,
          separator: str, group_column: str | None, no_groups: bool,
          fold_column: str | None = None, corpus: Path | None = None) -> tuple[Any, Any]:
    """Read and check the labelled data before any fitting; warn now if it has no groups."""
    from framing.labels import load_training_data

    column, required = _group_options(group_column, no_groups)
    data, book = load_training_data(labels, codebook, text_column=text_column,
                                    frames_column=frames_column, separator=separator,
                                    group_column=column, require_groups=required,
                                    fold_column=fold_column, corpus=corpus)
    if not data.grouped and not no_groups and fold_column is None:
        err(f"warning: {', '.join(data.sources)}: no group column '{column}' (columns: "
            f"{', '.join(data.columns)}); every row is cross-validated as its own group, which "
            "flatters the scores when rows of one article are alike; name the article column "
            "with --group-column, or pass --no-groups if the rows are independent")
    return data, book


def _fold_spec(folds: int | None, shuffle: bool | None, seed: int, fold_column: str | None) -> Any:
    from framing.train import FoldSpec

    if fold_column is not None and (folds is not None or shuffle is not None):
        raise typer.BadParameter("--fold-column gives the folds; leave out --folds and --shuffle")
    return FoldSpec(n_folds=folds, shuffle=shuffle, seed=seed)


def _scores_table(result: dict[str, Any]) -> str:
    calibrated = "brier" in result["micro"]
    lines = [f"{'frame':<24}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}"
             + (f"{'Brier':>8}{'ECE':>7}" if calibrated else "")]
    for frame_id, s in result["frames"].items():
        flag = "  (fewer than 5 examples)" if s["few_examples"] else ""
        calibration = f"{s['brier']:>8.3f}{s['ece']:>7.3f}" if calibrated else ""
        lines.append(f"{frame_id:<24}{s['precision']:>10.2f}{s['recall']:>8.2f}{s['f1']:>7.2f}"
                     f"{s['support']:>9}{calibration}{flag}")
    for kind in ("micro", "macro"):
        s = result[kind]
        calibration = f"{s['brier']:>8.3f}{s['ece']:>7.3f}" if "brier" in s else ""
        lines.append(f"{kind + ' average':<24}{s['precision']:>10.2f}{s['recall']:>8.2f}"
                     f"{s['f1']:>7.2f}{s['support']:>9}{calibration}")
    return "\n".join(lines)


@app.command("train")
@user_errors
def train_cli(
    out: Annotated[Path, typer.Option("--out", "-o", help="Model directory to write (required: "
                                      "training never replaces a model you did not name).")],
    labels: LabelsOpt = None,
    shipped_labels: ShippedLabelsOpt = False,
    codebook: CodebookOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the model already in --out.")] = False,
    text_column: TextColumn = "text",
    frames_column: FramesColumn = "frames",
    separator: Separator = ";",
    group_column: GroupColumn = None,
    no_groups: NoGroups = False,
    unit: Annotated[str, typer.Option(help="What one labelled text is: sentence or article.")] = "sentence",
    plain: PlainOpt = False,
    corpus: CorpusOpt = None,
    search: SearchOpt = "full",
    folds: FoldsOpt = None,
    seed: SeedOpt = 0,
    shuffle: ShuffleOpt = None,
    fold_column: FoldColumn = None,
    jobs: JobsOpt = 1,
    quiet: QuietOpt = False,
    nested: NestedOpt = None,
) -> None:
    """Train a model on labelled texts; choose settings by grouped cross-validation."""
    from framing.atomic import check_replaceable_dir
    from framing.errors import TrainingError
    from framing.labels import conflicting_duplicates
    from framing.model import save_model
    from framing.train import train

    if unit not in ("sentence", "article"):
        raise typer.BadParameter(f"--unit must be 'sentence' or 'article', not {unit!r}")
    check_replaceable_dir(out, force=force)  # now, not after minutes of training
    labels = labels_source(labels, shipped_labels)
    spec = _fold_spec(folds, shuffle, seed, fold_column)
    data, book = _load(labels, codebook, text_column=text_column, frames_column=frames_column,
                       separator=separator, group_column=group_column, no_groups=no_groups,
                       fold_column=fold_column, corpus=corpus)
    if not data.frame_ids:  # sklearn would fail with "Unknown label type"
        raise TrainingError(f"{labels}: no row has a frame in column {frames_column!r}; label at least "
                            "one text with a frame id (or pass --frames-column)")
    for warning in conflicting_duplicates(data):
        err(f"warning: {warning}")
    progress = Progress("training", "fits", enabled=not quiet, delay=3)
    try:
        result = train(data, book, use_codebook=not plain and codebook_used(labels, codebook),
                       unit=unit, progress=progress, search=search, folds=spec, jobs=jobs,
                       nested=nested)
    finally:
        progress.close()
    save_model(result.model, out)
    meta = result.model.meta
    examples = meta["examples"]
    corpus_part = (f", {examples['corpus_texts']} constructed corpus texts from "
                   f"{examples['corpus_groups']} group(s)" if examples["corpus_texts"] else "")
    typer.echo(f"trained on {examples['labelled_texts']} labelled texts from {examples['articles']} "
               f"group(s){corpus_part}, plus {examples['constructed_texts']} constructed examples")
    typer.echo("examples per frame (labelled + corpus + constructed):")
    for frame_id, n in result.counts.items():
        typer.echo(f"  {frame_id:<24}{n['labelled']:>4} + {n['corpus']} + {n['constructed']}")
    typer.echo(f"codebook: {result.cue_note}")
    typer.echo("chosen settings: " + _settings_text(result.params, meta["cue_block"]["used"]))
    typer.echo(f"cross-validated scores ({result.cv['method']}):")
    typer.echo(_scores_table(result.cv))
    if result.cv_constructed is not None:
        typer.echo(f"on the constructed corpus, scored apart ({result.cv_constructed['method']}):")
        typer.echo(_scores_table(result.cv_constructed))
    if not result.cv.get("nested", True):
        err("warning: these scores are not nested: settings and thresholds were chosen on the "
            "same folds they are scored on, which flatters them; pass --nested, or run "
            "`framing cv`, for honest figures")
    for warning in result.warnings:
        err(f"warning: {warning}")
    typer.echo(f"model written to {out}")


def labels_source(labels: Path | None, shipped_labels: bool) -> Path | None:
    """``--labels`` or ``--shipped-labels`` (None: the shipped labels); exactly one is needed."""
    if shipped_labels and labels is not None:
        raise typer.BadParameter("give --labels FILE or --shipped-labels, not both")
    if not shipped_labels and labels is None:
        raise typer.BadParameter("give --labels FILE (your labelled data), or --shipped-labels to "
                                 "train on the labels and codebook shipped with framing")
    return labels


def _settings_text(params: dict[str, Any], cue_block: bool) -> str:
    """Chosen settings; the cue settings only when there is a cue block they act on."""
    shown = {k: v for k, v in params.items() if cue_block or k not in ("cue_weight", "cue_mode")}
    return ", ".join(f"{k}={v}" for k, v in shown.items()) or "defaults"


def codebook_used(labels: Path | None, codebook: Path | None) -> bool:
    """Whether training will use a codebook's knowledge (default data, or --codebook given)."""
    return labels is None or codebook is not None


@app.command("evaluate")
@user_errors
def evaluate_cli(
    labels: LabelsOpt = None,
    codebook: CodebookOpt = None,
    test: Annotated[Path | None, typer.Option(help="Evaluate a trained model on this labelled "
                                                 "file instead of cross-validating.")] = None,
    model: Annotated[Path | None, typer.Option(help="Model directory for --test "
                                                  "(default: the shipped model).")] = None,
    text_column: TextColumn = "text",
    frames_column: FramesColumn = "frames",
    separator: Separator = ";",
    group_column: GroupColumn = None,
    no_groups: NoGroups = False,
    plain: PlainOpt = False,
    corpus: CorpusOpt = None,
    search: SearchOpt = "full",
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    trust_pickle: TrustPickleOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Per-frame precision, recall and F1 by grouped cross-validation (or on --test).

    `framing cv` runs the same cross-validation with folds, seed, jobs and per-row output."""
    from framing.evaluate import cross_validate, evaluate_model
    from framing.labels import read_labelled
    from framing.model import load_model

    if fmt not in ("table", "json"):
        raise typer.BadParameter(f"--format must be table or json, not {fmt!r}")
    if test is not None:
        trained = load_model(model, trust_pickle=trust_pickle)
        column, required = _group_options(group_column, no_groups)
        data = read_labelled(test, text_column=text_column, frames_column=frames_column,
                             separator=separator, group_column=column, require_groups=required)
        result = evaluate_model(trained, data)
    else:
        data, book = _load(labels, codebook, text_column=text_column, frames_column=frames_column,
                           separator=separator, group_column=group_column, no_groups=no_groups,
                           corpus=corpus)
        progress = Progress("cross-validating", "fits", enabled=not quiet, delay=3)
        try:
            result = cross_validate(data, book, progress=progress, search=search,
                                    use_codebook=not plain and codebook_used(labels, codebook))
        finally:
            progress.close()
    if fmt == "json":
        typer.echo(json.dumps(result, indent=2))
    else:
        typer.echo(result["method"])
        typer.echo(_scores_table(result))


@app.command("cv")
@user_errors
def cv_cli(
    labels: LabelsOpt = None,
    codebook: CodebookOpt = None,
    text_column: TextColumn = "text",
    frames_column: FramesColumn = "frames",
    separator: Separator = ";",
    group_column: GroupColumn = None,
    no_groups: NoGroups = False,
    folds: FoldsOpt = None,
    seed: SeedOpt = 0,
    shuffle: ShuffleOpt = None,
    fold_column: FoldColumn = None,
    predictions: Annotated[Path | None, typer.Option(
        "--predictions", help="Write each tested row's out-of-fold probabilities and frames here "
        "(.csv, .tsv or .jsonl), atomically.")] = None,
    plain: PlainOpt = False,
    search: SearchOpt = "full",
    jobs: JobsOpt = 1,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    quiet: QuietOpt = False,
) -> None:
    """Nested cross-validation on your folds: per-fold and pooled scores, out-of-fold predictions."""
    from framing.evaluate import run_cv, write_predictions

    if fmt not in ("table", "json"):
        raise typer.BadParameter(f"--format must be table or json, not {fmt!r}")
    spec = _fold_spec(folds, shuffle, seed, fold_column)
    data, book = _load(labels, codebook, text_column=text_column, frames_column=frames_column,
                       separator=separator, group_column=group_column, no_groups=no_groups,
                       fold_column=fold_column)
    progress = Progress("cross-validating", "fits", enabled=not quiet, delay=3)
    try:
        run = run_cv(data, book, use_codebook=not plain and codebook_used(labels, codebook),
                     search=search, folds=spec, jobs=jobs, progress=progress)
    finally:
        progress.close()
    if predictions is not None:
        write_predictions(run, predictions, separator)
    result = run.scores
    if fmt == "json":
        typer.echo(json.dumps(result, indent=2))
    else:
        typer.echo(result["method"])
        typer.echo(f"codebook: {run.cue_note}")
        typer.echo("pooled over all held-out texts:")
        typer.echo(_scores_table(result))
        typer.echo("per fold:")
        typer.echo(f"{'fold':<12}{'texts':>7}{'micro P':>9}{'micro R':>9}{'micro F1':>10}{'macro F1':>10}")
        for f in result["folds"]:
            typer.echo(f"{f['fold']:<12}{f['n_test_texts']:>7}{f['micro']['precision']:>9.2f}"
                       f"{f['micro']['recall']:>9.2f}{f['micro']['f1']:>10.2f}{f['macro']['f1']:>10.2f}")
        spread = result["fold_micro_f1"]
        typer.echo(f"micro F1 over folds: mean {spread['mean']:.2f}, sd {spread['sd']:.2f}")
    if predictions is not None:
        err(f"out-of-fold predictions of {len(run.predictions)} texts written to {predictions}")


@app.command("info")
@user_errors
def info_cli(
    model: Annotated[Path | None, typer.Argument(
        help="Model directory (default: the shipped model).")] = None,
) -> None:
    """Print a model's metadata as a model card."""
    from framing.model import read_meta

    typer.echo(model_card(read_meta(model), model))


def model_card(meta: dict[str, Any], path: Path | None) -> str:
    """The metadata of a model, readable."""
    examples = meta.get("examples", {})
    lines = [f"model: {path or 'shipped default'}",
             f"created: {meta.get('created')}   format version: {meta.get('format_version')}",
             "versions: " + ", ".join(f"{k} {v}" for k, v in meta.get("versions", {}).items()),
             f"segmenter: {meta.get('segmenter', {}).get('name')} "
             f"{meta.get('segmenter', {}).get('version')}   unit: {meta.get('unit')}",
             f"labels: {', '.join(meta.get('labels', {}).get('paths', []))}"]
    for p, digest in meta.get("labels", {}).get("sha256", {}).items():
        lines.append(f"  {p} sha256 {digest[:16]}...")
    book = meta.get("codebook")
    lines.append(f"codebook: {book['path']} sha256 {book['sha256'][:16]}..." if book
                 else "codebook: none (frames from the data)")
    if "artifact" in meta:  # format 1: a pickle
        lines.append(f"artifact: {meta['artifact']['file']} sha256 {meta['artifact']['sha256'][:16]}... "
                     "(a pickle, loaded only with --trust-pickle; convert it with `framing model convert`)")
    for kind, record in meta.get("files", {}).items():
        lines.append(f"{kind}: {record['file']} sha256 {record['sha256'][:16]}...")
    lines.append(f"trained on {examples.get('labelled_texts')} labelled texts in "
                 f"{examples.get('articles')} group(s) + {examples.get('constructed_texts')} "
                 "constructed examples")
    lines.append("settings: " + ", ".join(f"{k}={v}" for k, v in meta.get("hyperparameters", {}).items()))
    lines.append("")
    names = meta.get("frame_names", {})
    per = examples.get("per_frame", {})
    cv = meta.get("cv", {}).get("frames", {})
    lines.append(f"{'frame':<24}{'name':<30}{'labelled':>9}{'constr.':>8}{'thresh.':>8}{'CV F1':>7}")
    for frame_id in meta.get("frame_ids", []):
        n = per.get(frame_id, {})
        f1 = cv.get(frame_id, {}).get("f1")
        lines.append(f"{frame_id:<24}{names.get(frame_id, frame_id)[:29]:<30}"
                     f"{n.get('labelled', 0):>9}{n.get('constructed', 0):>8}"
                     f"{meta['thresholds'][frame_id]:>8.2f}{'' if f1 is None else f'{f1:.2f}':>7}")
    if "cv" in meta:
        lines.append("")
        lines.append(f"cross-validation: {meta['cv']['method']}")
        for kind in ("micro", "macro"):
            s = meta["cv"][kind]
            lines.append(f"  {kind} precision {s['precision']:.2f} recall {s['recall']:.2f} F1 {s['f1']:.2f}")
    return "\n".join(lines)


ModelOpt = Annotated[Path | None, typer.Option("--model", help="Model directory "
                                                 "(default: the shipped model).")]


@app.command("score")
@user_errors
def score_cli(
    inputs: Annotated[list[str], typer.Argument(help="Article files (.txt, .html), directories "
                                                "(scored recursively), or - for stdin.")],
    model: ModelOpt = None,
    fmt: Annotated[str | None, typer.Option("--format", help="table, json, jsonl, csv or html "
                                               "(default: table on a terminal, else jsonl; html: "
                                               "a page, or with several articles -o DIR).")] = None,
    threshold: Annotated[float | None, typer.Option(
        min=0.0, max=1.0, help="One threshold for every frame instead of the model's own.")] = None,
    top: Annotated[int, typer.Option(min=1, help="Evidence sentences per frame.")] = 3,
    sentences: Annotated[bool, typer.Option("--sentences", help="Include every sentence's scores "
                                            "(CSV: one row per sentence).")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here "
                                                   "(atomically) instead of stdout.")] = None,
    trust_pickle: TrustPickleOpt = False,
) -> None:
    """Score articles: the frames each carries, how strongly, where, and why."""
    from framing import report
    from framing.model import load_model
    from framing.read import expand_inputs, read_input
    from framing.score import predict

    fmt = fmt or ("table" if sys.stdout.isatty() and output is None else "jsonl")
    if fmt == "html":  # pages to read, from the same scores: framing.article_html
        _score_html(inputs, model, threshold, output)
        return
    if fmt not in report.FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(report.FORMATS)}, not {fmt!r}")
    from framing.atomic import check_distinct

    check_distinct([("--output", output)], [i for i in inputs if i != "-"])
    trained = load_model(model, trust_pickle=trust_pickle)
    errors: list[dict[str, str]] = []
    scored = 0

    def records() -> Iterator[dict[str, Any]]:
        nonlocal scored
        for name, path, problem in expand_inputs(inputs, on_note=lambda note: err(f"note: {note}")):
            try:
                if problem is not None:
                    raise problem
                result = predict(read_input(path), model=trained, threshold=threshold, top=top,
                                 sentences=sentences)
            except FramingError as exc:
                err(f"error: {exc}")
                errors.append({"input": name, "error": str(exc)})
                continue
            if result.language not in (None, ENGLISH):
                err(f"warning: {name}: the text looks like '{result.language}', not English; the "
                    "model reads English only, so its scores mean little (translate it first)")
            scored += 1
            yield report.article_record(name, result, sentences=sentences)

    # JSON and JSONL are written as they are made, article by article and sentence by
    # sentence, so that --sentences on a long article does not hold the document in memory.
    if fmt == "json":
        pieces: Iterable[str] = report.iter_json(records(), errors, trained, threshold)
    elif fmt == "jsonl":
        pieces = report.iter_jsonl(records())
    elif fmt == "csv":
        pieces = [report.render_csv(list(records()), trained, sentences=sentences)]
    else:
        pieces = [report.render_table(list(records()), trained)]
    _emit_pieces(pieces, output)
    if errors:
        err(f"{len(errors)} of {scored + len(errors)} input(s) failed: "
            + ", ".join(e["input"] for e in errors))
        raise typer.Exit(1)


def _emit_pieces(pieces: Iterable[str], output: Path | None) -> None:
    """Write text made in pieces to stdout, or to ``output`` (atomically, under a lock)."""
    if output is None:
        buffer: list[str] = []
        size = 0
        for piece in pieces:
            buffer.append(piece)
            size += len(piece)
            if size >= 1 << 16:  # one write per 64 kB, not one per sentence
                write_stdout("".join(buffer))
                buffer, size = [], 0
        write_stdout("".join(buffer))
    else:
        from framing.atomic import output_locks, write_pieces_atomic

        with output_locks([output]):  # none for a device or FIFO
            write_pieces_atomic(output, pieces)


def _emit(text: str, output: Path | None) -> None:
    """Write ``text`` to stdout, or to ``output`` (atomically, under a lock)."""
    _emit_pieces([text], output)


def write_stdout(text: str) -> None:
    """Write to standard output; a full disk or a closed pipe is a one-line error, not a traceback."""
    try:
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is not None:
            sys.stdout.flush()
            buffer.write(text.encode("utf-8", errors="backslashreplace"))
        else:
            sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
        raise typer.Exit(1) from None
    except OSError as exc:
        _quiet_stdout()
        raise OutputError(f"standard output: cannot write ({exc.strerror}); make room on its disk "
                          "or pass --output FILE") from None


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's last flush cannot fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass  # not a real file (tests): nothing will flush it at exit


@app.command("explain")
@user_errors
def explain_cli(
    sentence: Annotated[str, typer.Argument(help="The sentence to explain.")],
    model: ModelOpt = None,
    top: Annotated[int, typer.Option(min=1, help="Terms shown each way per frame.")] = 5,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    trust_pickle: TrustPickleOpt = False,
) -> None:
    """Each frame's probability for a sentence and the terms that pushed it up or down."""
    from framing.explain import explain
    from framing.model import load_model

    if fmt not in ("table", "json"):
        raise typer.BadParameter(f"--format must be table or json, not {fmt!r}")
    result = explain(sentence, model=load_model(model, trust_pickle=trust_pickle), top=top)
    if fmt == "json":
        typer.echo(json.dumps([e.to_dict() for e in result], indent=2, ensure_ascii=False))
        return
    for e in sorted(result, key=lambda e: -e.probability):
        mark = "PRESENT" if e.present else "absent"
        typer.echo(f"{e.frame:<24} {e.probability:5.2f}  (threshold {e.threshold:.2f}, {mark})")
        if e.up:
            typer.echo("    up:   " + ", ".join(f"{t.term} +{t.weight:.2f}" for t in e.up))
        if e.down:
            typer.echo("    down: " + ", ".join(f"{t.term} {t.weight:.2f}" for t in e.down))


@model_app.command("convert")
@user_errors
def model_convert_cli(
    source: Annotated[Path, typer.Argument(help="Model directory of the old pickled format.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the converted model here "
                                             "(default: replace SOURCE, as a whole).")] = None,
    trust_pickle: TrustPickleOpt = False,
) -> None:
    """Convert a pickled model (model.joblib) into the data-only format, which cannot run code."""
    from framing.model import convert_model

    written = convert_model(source, out, trust_pickle=trust_pickle)
    typer.echo(f"model written to {written} (data-only format)")


# --- Corpus scoring and summaries (framing.corpus, framing.cluster, framing.summarize) ------

@app.command("score-corpus")
@user_errors
def score_corpus_cli(
    source: Annotated[Path, typer.Argument(help="Corpus file: .jsonl, .csv, .tsv or .parquet, one "
                                           "article per record.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Write one row per article here; "
                                         ".jsonl, .csv, .tsv or .parquet (a directory of parts with "
                                         "--scheduler).")],
    sentences: Annotated[Path | None, typer.Option("--sentences", help="Also write one row per "
                                                   "sentence to this file.")] = None,
    id_column: Annotated[str, typer.Option(help="Column holding each article's unique id.")] = "id",
    text_column: TextColumn = "text",
    model: ModelOpt = None,
    threshold: Annotated[float | None, typer.Option(
        min=0.0, max=1.0, help="One threshold for every frame instead of the model's own.")] = None,
    jobs: Annotated[int, typer.Option(min=1, help="Processes scoring on this machine (this one and "
                                      "N-1 workers).")] = 1,
    chunk_size: Annotated[int, typer.Option(min=1, help="Articles scored and written at a time.")] = 500,
    resume: Annotated[bool, typer.Option("--resume", help="Keep what an interrupted run of this "
                                         "command wrote; score the rest.")] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar on a terminal "
                                              "and no progress lines in a log.")] = False,
    scheduler: Annotated[str | None, typer.Option(help="Score on the Dask cluster of this scheduler "
                                                  "(e.g. tcp://10.0.0.5:8786).")] = None,
    blocksize: Annotated[str, typer.Option(help="With --scheduler: bytes of JSONL/CSV per "
                                           "partition.")] = "64MiB",
    trust_pickle: TrustPickleOpt = False,
) -> None:
    """Score a corpus file: one row per article (id, its other columns, a score per frame,
    the frames present). Malformed records are reported and skipped (exit status 1)."""
    bar = Progress("scoring", "articles") if not no_progress and scheduler is None else None

    def skipped(item: Any) -> None:
        if bar is not None:
            bar.clear()
        err(f"{source}:{item.line}: {item.message}")

    chosen: Any = model
    if trust_pickle:
        # Workers load the model by path and never unpickle: a pickled model is scored here only.
        if jobs != 1 or scheduler is not None:
            raise typer.BadParameter("--trust-pickle works with --jobs 1 only; convert the model once "
                                     "with `framing model convert DIR --trust-pickle` to score in parallel")
        from framing.model import load_model

        chosen = load_model(model, trust_pickle=True)
    options: dict[str, Any] = dict(model=chosen, id_column=id_column, text_column=text_column,
                                   sentences=sentences, threshold=threshold, on_skip=skipped)
    if scheduler is not None:
        if jobs != 1 or resume:
            raise typer.BadParameter("--jobs and --resume are for one machine; with --scheduler "
                                     "the cluster's workers share the work")
        from framing.cluster import score_corpus_at

        summary = score_corpus_at(scheduler, source, output, blocksize=blocksize, **options)
    else:
        from framing.corpus import score_corpus

        try:
            summary = score_corpus(source, output, jobs=jobs, chunk_size=chunk_size, resume=resume,
                                   progress=bar, **options)
        finally:
            if bar is not None:
                bar.close()
    done = f"scored {summary.articles:,} article(s)"
    if sentences is not None:
        done += f" and {summary.sentences:,} sentence(s)"
    done += f" into {output}"
    if summary.resumed:
        done += f"; {summary.resumed:,} were already there"
    err(done + f"; {summary.skipped:,} malformed record(s) skipped")
    other = getattr(summary, "languages", None)
    if other:
        err(f"warning: {sum(other.values()):,} article(s) look like another language than English ("
            + ", ".join(f"{code}: {n:,}" for code, n in sorted(other.items(), key=lambda kv: -kv[1]))
            + "); the model reads English only, so their scores mean little (see the language column)")
    if summary.skipped:
        raise typer.Exit(1)


@app.command("summarize")
@user_errors
def summarize_cli(
    scores: Annotated[Path, typer.Argument(help="Output of score-corpus (.jsonl, .csv, .parquet, or "
                                           "a directory of parts).")],
    by: Annotated[list[str] | None, typer.Option("--by", help="Group by this column, or by week, "
                                                 "month, quarter or year of --date-column; "
                                                 "repeatable.")] = None,
    date_column: Annotated[str, typer.Option(help="Column holding the date, for --by week..year.")] = "date",
    pivot: Annotated[bool, typer.Option("--pivot", help="A row per group, a column per frame.")] = False,
    model: Annotated[Path | None, typer.Option("--model", help="Model that scored the file (default: "
                                                 "frames from its sidecar or its columns).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here (atomically) "
                                                "instead of stdout.")] = None,
) -> None:
    """Frame prevalence per group: share of articles carrying each frame (95% interval), mean score."""
    from framing import summarize as s

    if fmt not in s.FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(s.FORMATS)}, not {fmt!r}")
    summary = s.summarize(scores, by=by or [], date_column=date_column, model=model)
    _emit(s.render(summary, fmt, pivoted=pivot), output)


@app.command("report")
@user_errors
def report_cli(
    scores: Annotated[Path, typer.Argument(help="Output of score-corpus (.jsonl, .csv, .parquet, or "
                                           "a directory of parts).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")],
    sentences: Annotated[Path | None, typer.Option("--sentences", help="The sentence table of "
                                                   "score-corpus --sentences (evidence, coverage).")] = None,
    by: Annotated[list[str] | None, typer.Option("--by", help="Group by this column, or by week, "
                                                 "month, quarter or year of --date-column (the time "
                                                 "axis); repeatable.")] = None,
    date_column: Annotated[str, typer.Option(help="Column holding the date.")] = "date",
    id_column: Annotated[str, typer.Option(help="Column holding each article's id.")] = "id",
    model: Annotated[Path | None, typer.Option("--model", help="Model that scored the file (default: "
                                                 "from its sidecar).")] = None,
    link: Annotated[str | None, typer.Option(help="Link evidence to this address, {id} standing "
                                             "for the article id, e.g. 'articles/{id}.html' (pages of "
                                             "score --format html); default: the url column.")] = None,
    title: Annotated[str | None, typer.Option(help="Title of the report.")] = None,
) -> None:
    """One self-contained HTML report of a scored corpus: prevalence per group with intervals,
    over time, differences, co-occurrence, evidence sentences, the model card."""
    from framing.atomic import write_text_atomic
    from framing.corpus_report import build_report, render_report

    report = build_report(scores, sentences=sentences, by=by or [], date_column=date_column,
                          id_column=id_column, model=model, link=link)
    write_text_atomic(output, render_report(report, title=title))
    err(f"report of {report.articles:,} article(s) written to {output}")


def _score_html(inputs: list[str], model: Path | None, threshold: float | None, output: Path | None) -> None:
    """``score --format html``: one article's page (stdout or --output), or several articles'
    pages and an index in the directory --output."""
    from framing.article_html import FrameInfo, article_page, write_article_pages
    from framing.model import load_model
    from framing.read import expand_inputs, read_input
    from framing.score import predict

    trained = load_model(model)
    pages, failed = [], []
    for name, path, problem in expand_inputs(inputs):
        try:
            if problem is not None:
                raise problem
            text = read_input(path)
            pages.append((name, text, predict(text, model=trained, threshold=threshold, sentences=True)))
        except FramingError as exc:
            err(f"error: {exc}")
            failed.append(name)
    frames = FrameInfo.from_model(trained, threshold)
    if len(pages) + len(failed) == 1 and (output is None or output.suffix.lower() in (".html", ".htm")):
        for name, text, result in pages:  # the one article (none if it failed)
            _emit(article_page(name, text, result, frames), output)
    elif output is None:
        raise typer.BadParameter("with --format html, several articles need --output DIR "
                                 "(a page each and an index.html)")
    elif pages:
        written = write_article_pages(pages, frames, output)
        err(f"{len(pages)} article page(s) and {written[0]} written")
    if failed:
        err(f"{len(failed)} of {len(pages) + len(failed)} input(s) failed: " + ", ".join(failed))
        raise typer.Exit(1)


# --- end of corpus commands ---------------------------------------------------------------

# --- Hand-labelling: annotate, labels agree/merge/export/import (framing.annotate, .agree,
# .interchange) ---------------------------------------------------------------------------

@app.command("annotate")
@user_errors
def annotate_cli(
    source: Annotated[Path, typer.Argument(help="Directory of .txt/.html articles, a corpus file "
                                           "(.jsonl, .csv, .tsv, .parquet), or a labels file to review.")],
    labels: Annotated[Path, typer.Option("--labels", help="Labels CSV to write (its journal "
                                         "OUT.journal.jsonl is written beside it).")],
    annotator: Annotated[str, typer.Option(help="Your name; each coder writes their own --labels "
                                           "file.")],
    codebook: Annotated[Path | None, typer.Option(help="Codebook TOML: the frames to label "
                                                  "(default: labels/codebook.toml, else the "
                                                  "model's frames).")] = None,
    model: ModelOpt = None,
    order: Annotated[str, typer.Option(help="active (most uncertain first, across articles), "
                                       "random (reproducible with --seed) or document.")] = "active",
    seed: Annotated[int, typer.Option(help="Seed of the random order and of ties.")] = 0,
    blind: Annotated[bool, typer.Option("--blind", help="Hide the model's suggestions (for a "
                                        "validation sample).")] = False,
    retrain_every: Annotated[int, typer.Option(min=0, help="With --order active: update the "
                                               "model in the background every N labels (0: "
                                               "never).")] = 20,
    host: Annotated[str, typer.Option(help="Address to listen on; anything but 127.0.0.1 needs "
                                      "the access token printed at start-up.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8765,
    id_column: Annotated[str, typer.Option(help="Corpus: column holding each article's id.")] = "id",
    text_column: TextColumn = "text",
    frames_column: FramesColumn = "frames",
) -> None:
    """Label sentences in the browser, with model suggestions and active ordering."""
    import secrets

    import uvicorn

    from framing.annotate import create_app, open_session

    session = open_session(source, labels, annotator, codebook=codebook, model=model, order=order,
                           seed=seed, blind=blind, retrain_every=retrain_every, id_column=id_column,
                           text_column=text_column, frames_column=frames_column)
    local = host in ("127.0.0.1", "localhost", "::1")
    token = None if local else secrets.token_urlsafe(24)
    allowed = {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"} if local else None
    app_ = create_app(session, token=token, allowed_hosts=allowed)
    state = session.journal.state
    shown = f"[{host}]" if ":" in host else host
    address = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    if session.journal.dropped_partial:
        err(f"warning: {session.journal.path}: a half-written last line (from a crash) was dropped")
    typer.echo(f"{len(session.source.units)} units from {source}; {state.labelled} labelled and "
               f"{state.skipped} skipped so far by {annotator} in {labels}")
    typer.echo(f"framing annotate: open {address}  (Ctrl-C to stop; every decision is saved at once)")
    sys.stdout.flush()
    try:
        uvicorn.run(app_, host=host, port=port, log_level="warning", server_header=False,
                    access_log=False)
    finally:
        session.journal.close()




CodingFiles = Annotated[list[Path], typer.Argument(help="Each coder's labels file (any file "
                                                   "`framing train --labels` reads).")]


def _codings(files: list[Path], text_column: str, frames_column: str, separator: str) -> list[Any]:
    from framing.agree import read_coding

    return [read_coding(f, text_column=text_column, frames_column=frames_column, separator=separator)
            for f in files]


@labels_app.command("agree")
@user_errors
def labels_agree_cli(
    files: CodingFiles,
    codebook: Annotated[Path | None, typer.Option(help="Codebook TOML: report every frame in it "
                                                  "(default: the frames found in the files).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    disagreements: Annotated[Path | None, typer.Option(help="Write the disagreements here as CSV "
                                                       "(one column per coder, to adjudicate).")] = None,
    bootstrap: Annotated[int, typer.Option(min=10, help="Bootstrap resamples for the 95% "
                                           "intervals.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    text_column: TextColumn = "text",
    frames_column: FramesColumn = "frames",
    separator: Separator = ";",
) -> None:
    """Agreement per frame: Cohen's kappa (two coders) or Krippendorff's alpha (more)."""
    from framing import agree as a
    from framing.atomic import write_text_atomic
    from framing.codebook import load_codebook

    if fmt not in ("table", "json"):
        raise typer.BadParameter(f"--format must be table or json, not {fmt!r}")
    if len(files) < 2:
        raise typer.BadParameter("give at least two coders' files")
    frames = load_codebook(codebook).ids if codebook else None
    result = a.agree(_codings(files, text_column, frames_column, separator), frames=frames,
                     bootstrap=bootstrap, seed=seed)
    typer.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) if fmt == "json"
               else a.render_table(result))
    if disagreements is not None:
        write_text_atomic(disagreements, a.disagreements_csv(result))
        err(f"{len(result.disagreements)} disagreement(s) written to {disagreements}")


@labels_app.command("merge")
@user_errors
def labels_merge_cli(
    files: CodingFiles,
    output: Annotated[Path, typer.Option("--output", "-o", help="Gold labels CSV to write.")],
    adjudication: Annotated[Path | None, typer.Option(help="CSV of decided units (article, start, "
                                                      "end or text, and frames); overrides the "
                                                      "coders for every unit it lists.")] = None,
    unresolved: Annotated[Path | None, typer.Option(help="Write the tied units here, as an "
                                                    "adjudication file to fill in.")] = None,
    min_coders: Annotated[int, typer.Option(min=1, help="Leave out units coded by fewer coders "
                                            "(unless adjudicated).")] = 2,
    text_column: TextColumn = "text",
    frames_column: FramesColumn = "frames",
    separator: Separator = ";",
) -> None:
    """Gold labels: a frame is kept when most of a unit's coders gave it; ties go to adjudication."""
    from framing import agree as a
    from framing.atomic import write_text_atomic

    codings = _codings(files, text_column, frames_column, separator)
    judged = a.read_coding(adjudication, name="adjudicator") if adjudication else None
    gold = a.merge(codings, adjudication=judged, min_coders=min_coders)
    write_text_atomic(output, a.gold_csv(gold))
    typer.echo(f"wrote {len(gold.rows)} gold label(s) to {output} ({gold.adjudicated} adjudicated)")
    if gold.unresolved:
        if unresolved is not None:
            write_text_atomic(unresolved, a.unresolved_csv(gold, [c.name for c in codings]))
        where = (f"written to {unresolved}; fill in its frames column and pass it as --adjudication"
                 if unresolved else "pass --unresolved FILE to write them for adjudication")
        err(f"warning: {len(gold.unresolved)} unit(s) tied and left out, {where}")


@labels_app.command("export")
@user_errors
def labels_export_cli(
    labels: Annotated[Path, typer.Argument(help="Labels file to export (CSV, TSV, JSONL).")],
    to: Annotated[str, typer.Option("--to", help="label-studio (JSON tasks) or doccano (JSONL).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    config: Annotated[Path | None, typer.Option(help="label-studio: also write a labelling "
                                                "config (XML) for the codebook's frames.")] = None,
    codebook: Annotated[Path, typer.Option(help="Codebook TOML, for --config.")] = Path(
        "labels/codebook.toml"),
    text_column: TextColumn = "text",
    frames_column: FramesColumn = "frames",
    separator: Separator = ";",
) -> None:
    """Write labels in the format Label Studio or doccano imports."""
    from framing.atomic import write_text_atomic
    from framing.interchange import export_labels, label_studio_config

    text = export_labels(labels, to, text_column=text_column, frames_column=frames_column,
                         separator=separator)
    write_text_atomic(output, text)
    typer.echo(f"wrote {to} labels to {output}")
    if config is not None:
        from framing.codebook import load_codebook

        book = load_codebook(codebook)
        write_text_atomic(config, label_studio_config([(f.id, f.name) for f in book.frames]))
        typer.echo(f"wrote the Label Studio labelling config to {config}")


@labels_app.command("import")
@user_errors
def labels_import_cli(
    export: Annotated[Path, typer.Argument(help="A Label Studio JSON export or a doccano JSONL "
                                           "export.")],
    source: Annotated[str, typer.Option("--from", help="label-studio or doccano.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Labels CSV to write.")],
    codebook: Annotated[Path | None, typer.Option(help="Codebook TOML: refuse frames not in "
                                                  "it.")] = None,
) -> None:
    """Read labels exported from Label Studio or doccano into a labels CSV."""
    from framing.atomic import write_text_atomic
    from framing.interchange import import_labels

    known = None
    if codebook is not None:
        from framing.codebook import load_codebook

        known = set(load_codebook(codebook).ids)
    text, rows = import_labels(export, source, known=known)
    write_text_atomic(output, text)
    typer.echo(f"wrote {rows} labelled row(s) from {source} to {output}")


def main() -> None:
    """Console-script entry point."""
    app(prog_name="framing")


if __name__ == "__main__":  # pragma: no cover
    main()
