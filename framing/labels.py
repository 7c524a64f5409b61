"""Labelled sentences: the hand-label files in ``labels/`` and a user's own training data.

Two readers and one checker:

* :func:`read_labelled` reads any labelled file (CSV, TSV or JSONL) with a text column, a
  frames column and optionally a group column (the article a row belongs to, so
  cross-validation can hold whole articles out). It also reads a directory of CSV files.
* :func:`check_labels` validates the seed hand labels against the codebook and the seed
  texts and reports every problem as ``file:line: message``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from framing.codebook import Codebook, file_sha256, frame_id_problem
from framing.errors import LabelError
from framing.read import allow_long_csv_fields, decode_text
from framing.resources import shipped
from framing.segment import split_sentences

SEED_COLUMNS = ("article", "index", "start", "end", "text", "frames", "note")
MIN_EXAMPLES = 5  # below this a frame is flagged: too few examples to learn or to score
TABULAR_SUFFIXES = {".csv": ",", ".tsv": "\t"}
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})



DEFAULT_GROUP_COLUMN = "article"


@dataclass
class LabelledSet:
    """Texts with their frames; ``groups`` name the article each text belongs to."""

    texts: list[str]
    frames: list[tuple[str, ...]]
    groups: list[str]
    frame_ids: list[str]
    sources: list[str] = field(default_factory=list)
    sha256: dict[str, str] = field(default_factory=dict)
    grouped: bool = True
    # True for rows of a constructed training corpus (written, not real text); empty: none.
    constructed: list[bool] = field(default_factory=list)
    # Per row, the user's own fold (from ``fold_column``); empty: folds are made by framing.
    folds: list[str] = field(default_factory=list)
    # Per row, where it was read: ``file:line`` (for per-row outputs such as out-of-fold files).
    row_ids: list[str] = field(default_factory=list)
    # The columns of the (first) file read, for messages about missing columns.
    columns: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def constructed_flags(self) -> list[bool]:
        """Per row, whether it is constructed text (False for every row when none is marked)."""
        return list(self.constructed) if self.constructed else [False] * len(self.texts)

    def row_names(self) -> list[str]:
        """Per row, ``file:line`` where known, else its 1-based position."""
        return list(self.row_ids) if self.row_ids else [str(i + 1) for i in range(len(self.texts))]

    def counts(self) -> dict[str, int]:
        """Number of texts carrying each frame, in frame order."""
        counter = Counter(f for fs in self.frames for f in fs)
        return {f: counter.get(f, 0) for f in self.frame_ids}


@dataclass(frozen=True)
class Problem:
    """One problem in a labels file, at a line (1-based; 0 for the file as a whole)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


@dataclass
class LabelReport:
    """What :func:`check_labels` found: problems (must be none), counts, warnings."""

    problems: list[Problem]
    counts: dict[str, int]
    sentences: int
    warnings: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def _lines(text: str) -> io.StringIO:
    """Iterate ``text`` by line as csv and JSON Lines define lines (LF, CRLF, CR), endings kept.

    Not ``str.splitlines``: it also breaks at U+2028, U+0085, form feed and others, which can
    occur inside a text field (csv.writer leaves them unquoted), splitting one row into several.
    """
    return io.StringIO(text, newline="")


def split_frames(value: str, separator: str = ";") -> tuple[str, ...]:
    """Parse a frames cell (``"a;b"``, empty for none) into a tuple of ids."""
    return tuple(part.strip() for part in value.split(separator) if part.strip())


def conflicting_duplicates(data: LabelledSet, limit: int = 5) -> list[str]:
    """Warnings for texts labelled more than once with different frames, naming them."""
    seen: dict[str, set[tuple[str, ...]]] = {}
    for text, frames in zip(data.texts, data.frames, strict=True):
        seen.setdefault(" ".join(text.split()), set()).add(tuple(sorted(frames)))
    conflicts = [(text, labels) for text, labels in seen.items() if len(labels) > 1]
    warnings = [f"{text[:60]!r}{'...' if len(text) > 60 else ''} is labelled differently in different "
                "rows: " + " / ".join(";".join(f) or "(none)" for f in sorted(labels))
                for text, labels in conflicts[:limit]]
    if len(conflicts) > limit:
        warnings.append(f"... and {len(conflicts) - limit} more text(s) with conflicting labels")
    return warnings


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LabelError(f"{path}: no such labels file; check the path") from None
    except OSError as exc:
        raise LabelError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return decode_text(data, str(path))
    except Exception as exc:  # InputError: same words, but a labels problem
        raise LabelError(str(exc)) from None


def _tabular_rows(path: Path, text: str, delimiter: str) -> Iterator[tuple[int, dict[str, str]]]:
    allow_long_csv_fields()
    reader = csv.DictReader(_lines(text), delimiter=delimiter)
    try:
        for row in reader:
            if None in row:
                raise LabelError(f"{path}:{reader.line_num}: more fields than the header has "
                                 "columns; quote fields that contain the delimiter")
            yield reader.line_num, {k: (v or "") for k, v in row.items()}
    except csv.Error as exc:
        raise LabelError(f"{path}:{reader.line_num}: bad CSV ({exc})") from None


def _jsonl_record(path: Path, number: int, line: str, frames_column: str,
                  separator: str) -> dict[str, str]:
    """One JSONL line as a row of strings (a frames list joined with ``separator``).

    Raises LabelError with ``file:line`` for bad JSON, a line that is no object, or frame ids
    that are not strings. Training reads through this and ``labels check`` too, so the check
    refuses exactly what training would.
    """
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LabelError(f"{path}:{number}: not valid JSON ({exc.msg}); "
                         "each line must be one JSON object") from None
    if not isinstance(record, dict):
        raise LabelError(f"{path}:{number}: a JSON object is expected on each line")
    frames = record.get(frames_column)
    wrong = (next((f for f in frames if not isinstance(f, str)), None) if isinstance(frames, list)
             else frames if not (frames is None or isinstance(frames, str)) else None)
    if wrong is not None or (isinstance(frames, list) and None in frames):
        raise LabelError(f"{path}:{number}: frame ids must be strings, not {json.dumps(wrong)} in "
                         f"'{frames_column}'; write them as \"id\" or [\"id\", ...]")
    if isinstance(frames, list):  # JSONL may give frames as a list
        record[frames_column] = separator.join(frames)
    return {k: "" if v is None else str(v) for k, v in record.items()}


def _jsonl_rows(path: Path, text: str, frames_column: str,
                separator: str) -> Iterator[tuple[int, dict[str, str]]]:
    for number, line in enumerate(_lines(text), start=1):
        if line.strip():
            yield number, _jsonl_record(path, number, line, frames_column, separator)


def labelled_rows(path: str | Path, *, frames_column: str = "frames",
                  separator: str = ";") -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line, row)`` of a CSV, TSV or JSONL labels file, cells as strings.

    A JSONL frames list is joined with ``separator``. Raises LabelError with ``file:line``
    for a file that cannot be read, bad CSV or bad JSON.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABULAR_SUFFIXES and suffix not in JSONL_SUFFIXES:
        raise LabelError(f"{path}: unknown labels format '{suffix}'; use .csv, .tsv or .jsonl")
    text = _read_text(path)
    delimiter = TABULAR_SUFFIXES.get(suffix)
    if delimiter is not None:
        yield from _tabular_rows(path, text, delimiter)
    else:
        yield from _jsonl_rows(path, text, frames_column, separator)


def _header(path: Path, text: str, delimiter: str | None) -> list[str]:
    if delimiter is None:  # the first record's keys; a bad first line is reported as such
        first = next(_jsonl_rows(path, text, frames_column="", separator=""), None)
        return list(first[1]) if first is not None else []
    return next(csv.reader(_lines(text), delimiter=delimiter), [])


def _missing_column(path: Path, column: str, columns: list[str], hint: str) -> LabelError:
    return LabelError(f"{path}: no column '{column}' (columns: {', '.join(columns) or 'none'}); "
                      f"{hint}")


def read_labelled(
    path: str | Path,
    *,
    text_column: str = "text",
    frames_column: str = "frames",
    separator: str = ";",
    group_column: str | None = DEFAULT_GROUP_COLUMN,
    require_groups: bool = False,
    fold_column: str | None = None,
    codebook: Codebook | None = None,
) -> LabelledSet:
    """Read labelled texts from a CSV, TSV or JSONL file, or every CSV file of a directory.

    Every column is checked against the header before any row is read, and a missing one is
    reported with the columns that are there.

    Parameters
    ----------
    group_column:
        The column naming each row's article, so cross-validation can hold whole articles
        out. None: the rows are ungrouped on purpose (``--no-groups``), each its own group.
    require_groups:
        Whether a missing ``group_column`` is an error (the user named it). Otherwise a file
        without it is read as ungrouped (``grouped`` is False) and the caller should warn.
    fold_column:
        A column holding each row's cross-validation fold, the user's own; required when given.
    codebook:
        When given, frame ids are checked against it and its frame order is kept; otherwise
        the frames are the ids found in the data, sorted.

    Raises LabelError with ``file:line`` for a missing column, unknown frame, empty text or
    group, bad JSON or CSV, an empty file, or a file that is not UTF-8.
    """
    path = Path(path)
    options = {"text_column": text_column, "frames_column": frames_column, "separator": separator,
               "group_column": group_column, "require_groups": require_groups,
               "fold_column": fold_column, "codebook": codebook}
    if path.is_dir():
        files = sorted(path.glob("*.csv"))
        if not files:
            raise LabelError(f"{path}: no .csv label files in this directory")
        parts = [read_labelled(f, **options) for f in files]  # type: ignore[arg-type]
        ids = codebook.ids if codebook else sorted({i for p in parts for i in p.frame_ids})
        return LabelledSet(
            texts=[t for p in parts for t in p.texts],
            frames=[f for p in parts for f in p.frames],
            groups=[g for p in parts for g in p.groups],
            frame_ids=ids, sources=[s for p in parts for s in p.sources],
            sha256={k: v for p in parts for k, v in p.sha256.items()},
            grouped=all(p.grouped for p in parts),
            folds=[f for p in parts for f in p.folds],
            row_ids=[r for p in parts for r in p.row_ids],
            columns=parts[0].columns,
        )

    suffix = path.suffix.lower()
    if suffix not in TABULAR_SUFFIXES and suffix not in JSONL_SUFFIXES:
        raise LabelError(f"{path}: unknown labels format '{suffix}'; use .csv, .tsv or .jsonl")
    if codebook is not None:
        for frame_id in codebook.ids:
            problem = frame_id_problem(frame_id, separator)
            if problem:
                raise LabelError(f"{codebook.path or 'codebook'}: {problem}")
    text = _read_text(path)
    if not text.strip():
        raise LabelError(f"{path}: the file is empty; it needs a header and labelled rows")
    delimiter = TABULAR_SUFFIXES.get(suffix)
    columns = _header(path, text, delimiter)
    for column, option in ((text_column, "--text-column"), (frames_column, "--frames-column"),
                           (fold_column, "--fold-column")):
        if column is not None and column not in columns:
            raise _missing_column(path, column, columns, f"name the right one with {option}")
    if group_column is not None and require_groups and group_column not in columns:
        raise _missing_column(path, group_column, columns, "name the column that says which "
                              "article each row is from with --group-column, or pass --no-groups")
    grouped = group_column is not None and group_column in columns
    rows = (_tabular_rows(path, text, delimiter) if delimiter is not None
            else _jsonl_rows(path, text, frames_column, separator))

    texts: list[str] = []
    frames: list[tuple[str, ...]] = []
    groups: list[str] = []
    folds: list[str] = []
    row_ids: list[str] = []
    for line, row in rows:
        body = row.get(text_column, "")
        if not body.strip():
            raise LabelError(f"{path}:{line}: empty text; remove the row or fill in '{text_column}'")
        row_frames = split_frames(row.get(frames_column, ""), separator)
        if codebook is not None:
            for frame_id in row_frames:
                if frame_id not in codebook:
                    raise LabelError(f"{path}:{line}: {codebook.unknown_frame_message(frame_id)}")
        for column, kind in ((group_column if grouped else None, "group"), (fold_column, "fold")):
            if column is None:
                continue
            if column not in row:  # JSONL: keys can differ from the first record's
                raise LabelError(f"{path}:{line}: no '{column}' field; give every record one, "
                                 "as the first record has")
            if not row[column].strip():
                raise LabelError(f"{path}:{line}: empty {kind} in column '{column}'; fill it in")
        texts.append(body)
        frames.append(row_frames)
        groups.append(f"{path.name}:{row[group_column].strip()}" if grouped and group_column
                      else f"{path.name}:{line}")
        if fold_column is not None:
            folds.append(row[fold_column].strip())
        row_ids.append(f"{path.name}:{line}")
    if not texts:
        raise LabelError(f"{path}: no labelled rows under the header")
    ids = codebook.ids if codebook else sorted({f for fs in frames for f in fs})
    return LabelledSet(texts=texts, frames=frames, groups=groups, frame_ids=ids,
                       sources=[str(path)], sha256={str(path): file_sha256(path)},
                       grouped=grouped, folds=folds, row_ids=row_ids, columns=columns)


def check_labels(path: str | Path, codebook: Codebook, seeds_dir: str | Path) -> LabelReport:
    """Validate hand-label CSV files (a file, or every ``*.csv`` in a directory).

    Checks the columns, each row's article, offsets, text and frame ids against the
    codebook and the seed texts in ``seeds_dir``, duplicates, and that every sentence the
    segmenter finds in a labelled article has a label. Never raises for a bad row: every
    problem is collected.
    """
    path = Path(path)
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    problems: list[Problem] = []
    counts: Counter[str] = Counter()
    sentences = 0
    if not files:
        problems.append(Problem(str(path), 0, "no .csv label files here"))
    for file in files:
        found, n = _check_file(file, codebook, Path(seeds_dir), counts)
        problems.extend(found)
        sentences += n
    ordered = {f: counts.get(f, 0) for f in codebook.ids}
    warnings = [f"frame '{f}' has only {n} example(s) (fewer than {MIN_EXAMPLES}); "
                "label more sentences that invoke it" for f, n in ordered.items() if n < MIN_EXAMPLES]
    return LabelReport(problems=problems, counts=ordered, sentences=sentences, warnings=warnings)


def _check_file(file: Path, codebook: Codebook, seeds_dir: Path,
                counts: Counter[str]) -> tuple[list[Problem], int]:
    name = str(file)
    try:
        text = _read_text(file)
    except LabelError as exc:
        return [Problem(name, 0, str(exc).removeprefix(f"{name}: "))], 0
    header = next(csv.reader(_lines(text)), [])
    missing = [c for c in SEED_COLUMNS if c not in header]
    extra = [c for c in header if c not in SEED_COLUMNS]
    if missing or extra:
        parts = ([f"missing column(s) {', '.join(missing)}"] if missing else []) + \
                ([f"unexpected column(s) {', '.join(extra)}"] if extra else [])
        return [Problem(name, 1, "; ".join(parts) + f"; the header must be {','.join(SEED_COLUMNS)}")], 0

    problems: list[Problem] = []
    articles: dict[str, str | None] = {}
    seen: dict[tuple[str, int], int] = {}
    labelled: dict[str, set[tuple[int, int]]] = {}
    rows = 0
    try:
        for line, row in _tabular_rows(file, text, ","):
            rows += 1
            found = _check_row(row, codebook, seeds_dir, articles)
            problems.extend(Problem(name, line, message) for message in found)
            article = row["article"]
            try:
                span = (int(row["start"]), int(row["end"]))
            except ValueError:
                continue
            key = (article, span[0])
            if key in seen:
                problems.append(Problem(name, line, f"duplicate sentence: article '{article}' "
                                        f"offset {span[0]} is already labelled on line {seen[key]}"))
            seen[key] = line
            labelled.setdefault(article, set()).add(span)
            if not found:
                counts.update(set(split_frames(row["frames"])))
    except LabelError as exc:  # "file:line: message" from _tabular_rows; reading stopped there
        where = re.match(rf"{re.escape(name)}:(\d+): (.*)", str(exc), re.DOTALL)
        problems.append(Problem(name, int(where[1]), where[2]) if where
                        else Problem(name, 0, str(exc).removeprefix(f"{name}: ")))
        # the rows after the bad one were not read: their sentences are not unlabelled
        return problems, rows
    for article, spans in labelled.items():
        body = articles.get(article)
        if body is None:
            continue
        for sentence in split_sentences(body):
            if (sentence.start, sentence.end) not in spans:
                problems.append(Problem(name, 0, f"article '{article}' sentence {sentence.index} "
                                        f"({sentence.start}-{sentence.end}: "
                                        f"'{sentence.text[:40]}...') has no label row"))
    return problems, rows


def _check_row(row: dict[str, str], codebook: Codebook, seeds_dir: Path,
               articles: dict[str, str | None]) -> list[str]:
    found: list[str] = []
    text = row["text"]
    if not text.strip():
        found.append("empty text; copy the sentence from the article")
    for frame_id in split_frames(row["frames"]):
        if frame_id not in codebook:
            found.append(codebook.unknown_frame_message(frame_id))
    article = row["article"]
    if article not in articles:
        seed = seeds_dir / f"{article}.txt"
        try:
            articles[article] = decode_text(seed.read_bytes(), str(seed))
        except OSError:
            articles[article] = None
        except Exception as exc:  # not text: the article itself is broken
            articles[article] = None
            found.append(str(exc))
    body = articles[article]
    if body is None:
        found.append(f"article '{article}' not found as {seeds_dir / (article + '.txt')}")
        return found
    try:
        start, end = int(row["start"]), int(row["end"])
        int(row["index"])
    except ValueError:
        found.append(f"index, start and end must be whole numbers (got {row['index']!r}, "
                     f"{row['start']!r}, {row['end']!r})")
        return found
    if text.strip() and body[start:end] != text:
        actual = body[start:end]
        found.append(f"text not found at offsets {start}-{end} of '{article}' "
                     f"(there: {actual[:40]!r}); fix the offsets or the text")
    return found


def is_seed_format(path: str | Path) -> bool:
    """Whether ``path`` (a CSV file, or a directory of them) has exactly the seed file's header."""
    path = Path(path)
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    if not files or any(f.suffix.lower() != ".csv" for f in files):
        return False
    for file in files:
        try:
            with open(file, encoding="utf-8-sig", newline="") as fh:
                header = next(csv.reader(fh), [])
        except (OSError, UnicodeDecodeError, csv.Error):
            return False
        if sorted(header) != sorted(SEED_COLUMNS):
            return False
    return True


def check_labelled(
    path: str | Path,
    *,
    codebook: Codebook | None = None,
    text_column: str = "text",
    frames_column: str = "frames",
    separator: str = ";",
    group_column: str | None = "article",
) -> LabelReport:
    """Validate any file ``framing train --labels`` reads (CSV, TSV, JSONL, or a directory of CSVs).

    Reports every problem as ``file:line: message``: unreadable or non-UTF-8 files, missing
    columns, bad CSV (reading stops there) or bad JSON lines (each reported, reading goes on),
    empty texts, frame ids not in ``codebook`` (when given), records without the group
    column, and the same unit labelled twice. Never raises for a bad row.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.csv"))
        if not files:
            return LabelReport([Problem(str(path), 0, "no .csv label files here")],
                               dict.fromkeys(codebook.ids, 0) if codebook else {}, 0, [])
    else:
        files = [path]
    problems: list[Problem] = []
    counts: Counter[str] = Counter()
    sentences = 0
    for file in files:
        found, n = _check_labelled_file(file, codebook, counts, text_column=text_column,
                                        frames_column=frames_column, separator=separator,
                                        group_column=group_column)
        problems.extend(found)
        sentences += n
    ids = codebook.ids if codebook else sorted(counts)
    ordered = {f: counts.get(f, 0) for f in ids}
    warnings = [f"frame '{f}' has only {n} example(s) (fewer than {MIN_EXAMPLES}); "
                "label more sentences that invoke it" for f, n in ordered.items() if n < MIN_EXAMPLES]
    return LabelReport(problems=problems, counts=ordered, sentences=sentences, warnings=warnings)


def _general_rows(file: Path, text: str, frames_column: str, separator: str,
                  problems: list[Problem]) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a labels file; bad JSON lines become problems and reading goes on."""
    name = str(file)
    delimiter = TABULAR_SUFFIXES.get(file.suffix.lower())
    if delimiter is not None:
        yield from _tabular_rows(file, text, delimiter)
        return
    for number, line in enumerate(_lines(text), start=1):
        if not line.strip():
            continue
        try:
            yield number, _jsonl_record(file, number, line, frames_column, separator)
        except LabelError as exc:  # reported as a problem; reading goes on
            problems.append(Problem(name, number, str(exc).removeprefix(f"{name}:{number}: ")))


def _check_labelled_file(file: Path, codebook: Codebook | None, counts: Counter[str], *,
                         text_column: str, frames_column: str, separator: str,
                         group_column: str | None) -> tuple[list[Problem], int]:
    name = str(file)
    suffix = file.suffix.lower()
    if suffix not in TABULAR_SUFFIXES and suffix not in JSONL_SUFFIXES:
        return [Problem(name, 0, f"unknown labels format '{suffix}'; use .csv, .tsv or .jsonl")], 0
    try:
        text = _read_text(file)
    except LabelError as exc:
        return [Problem(name, 0, str(exc).removeprefix(f"{name}: "))], 0
    if not text.strip():
        return [Problem(name, 0, "the file is empty; it needs a header and labelled rows")], 0
    problems: list[Problem] = []
    delimiter = TABULAR_SUFFIXES.get(suffix)
    if delimiter is not None:
        columns = next(csv.reader(_lines(text), delimiter=delimiter), [])
        for column, option in ((text_column, "--text-column"), (frames_column, "--frames-column")):
            if column not in columns:
                problems.append(Problem(name, 1, f"no column '{column}' (columns: "
                                        f"{', '.join(columns) or 'none'}); name the right one with {option}"))
        if problems:
            return problems, 0
    seen: dict[str, int] = {}
    first_keys: set[str] | None = None
    rows = 0
    try:
        for line, row in _general_rows(file, text, frames_column, separator, problems):
            rows += 1
            if text_column not in row or frames_column not in row:
                missing = [c for c in (text_column, frames_column) if c not in row]
                problems.append(Problem(name, line, f"no '{', '.join(missing)}' field; name the "
                                        "right ones with --text-column / --frames-column"))
                continue
            body = row[text_column]
            bad = False
            if not body.strip():
                problems.append(Problem(name, line, f"empty text; remove the row or fill in '{text_column}'"))
                bad = True
            frames = split_frames(row[frames_column], separator)
            if codebook is not None:
                for frame_id in frames:
                    if frame_id not in codebook:
                        problems.append(Problem(name, line, codebook.unknown_frame_message(frame_id)))
                        bad = True
            if first_keys is None:
                first_keys = set(row)
            elif group_column and group_column in first_keys and group_column not in row:
                problems.append(Problem(name, line, f"no '{group_column}' field; give every record "
                                        "one, as the first record has"))
            group = row.get(group_column, "") if group_column else ""
            start, end = row.get("start", ""), row.get("end", "")
            spans = bool(group) and start.isdigit() and end.isdigit()
            key = f"{group}@{start}:{end}" if spans else f"{group}|{body}"
            if key in seen:
                problems.append(Problem(name, line, f"the same unit as line {seen[key]} (same "
                                        f"{'article and offsets' if '@' in key else 'text'}); "
                                        "label each unit once"))
                bad = True
            seen.setdefault(key, line)
            if not bad:
                counts.update(set(frames))
    except LabelError as exc:  # bad CSV: reading stopped there
        where = re.match(rf"{re.escape(name)}:(\d+): (.*)", str(exc), re.DOTALL)
        problems.append(Problem(name, int(where[1]), where[2]) if where
                        else Problem(name, 0, str(exc).removeprefix(f"{name}: ")))
    if rows == 0 and not problems:
        problems.append(Problem(name, 0, "no labelled rows under the header"))
    return problems, rows


DEFAULT_LABELS = shipped("labels")
DEFAULT_CODEBOOK = shipped("labels", "codebook.toml")
# The constructed training corpus (written and hand-labelled for training, not real text;
# see labels/constructed/README.md). Its rows are marked constructed: they train the model
# and are scored separately, never counted as seed data.
DEFAULT_CORPUS = shipped("labels", "constructed", "sentences.csv")
DEFAULT_CORPUS_ARTICLES = shipped("labels", "constructed", "articles")


def load_training_data(
    labels: str | Path | None = None,
    codebook: str | Path | None = None,
    *,
    text_column: str = "text",
    frames_column: str = "frames",
    separator: str = ";",
    group_column: str | None = DEFAULT_GROUP_COLUMN,
    require_groups: bool = False,
    fold_column: str | None = None,
    corpus: str | Path | None = None,
) -> tuple[LabelledSet, Codebook]:
    """Labelled data and its codebook, as ``framing train``, ``cv`` and ``evaluate`` take them.

    With no ``labels`` the seed hand labels in ``labels/``, the constructed corpus in
    ``labels/constructed/`` and ``labels/codebook.toml`` are used. With ``labels`` but no
    ``codebook``, the frames are the ids found in the data and the model has no cue block or
    constructed examples. ``corpus`` adds a constructed corpus of one's own (same columns as
    ``labels``, grouped by article), marked as constructed. The other options are those of
    :func:`read_labelled`; every column is checked before any fitting.
    """
    from framing.codebook import load_codebook

    if labels is None:
        labels, codebook = DEFAULT_LABELS, codebook or DEFAULT_CODEBOOK
        if corpus is None and DEFAULT_CORPUS.exists():
            corpus = DEFAULT_CORPUS
    book = load_codebook(codebook) if codebook is not None else None
    options = {"text_column": text_column, "frames_column": frames_column, "separator": separator,
               "group_column": group_column, "require_groups": require_groups,
               "fold_column": fold_column, "codebook": book}
    data = read_labelled(labels, **options)  # type: ignore[arg-type]
    if corpus is not None:
        corpus_set = read_labelled(corpus, **options)  # type: ignore[arg-type]
        data = join_corpus(data, corpus_set, corpus_crises(Path(corpus), corpus_set))
    return data, book or Codebook.from_ids(data.frame_ids)


CORPUS_ARTICLES_FILE = "articles.csv"


def corpus_crises(corpus: Path, data: LabelledSet) -> dict[str, str] | None:
    """Each corpus row's group -> its crisis, from ``articles.csv`` beside the corpus file.

    A constructed corpus has several articles per crisis, written about the same events by
    the same writer. Holding out whole crises, not articles, keeps crisis-specific names and
    places from looking predictive and measures what matters: a crisis the model never saw.
    None when there is no such file (articles stay the groups).
    """
    table = (corpus if corpus.is_dir() else corpus.parent) / CORPUS_ARTICLES_FILE
    if not table.is_file():
        return None
    crisis: dict[str, str] = {}
    for line, row in _tabular_rows(table, _read_text(table), ","):
        if not row.get("article") or not row.get("crisis"):
            raise LabelError(f"{table}:{line}: every row needs an article and a crisis")
        crisis[row["article"]] = row["crisis"]
    groups: dict[str, str] = {}
    for group in set(data.groups):
        article = group.split(":", 1)[1]
        if article not in crisis:
            raise LabelError(f"{table}: article '{article}' of the corpus has no row here; "
                             "add it with its crisis")
        groups[group] = crisis[article]
    return groups


def join_corpus(data: LabelledSet, corpus: LabelledSet,
                crises: dict[str, str] | None = None) -> LabelledSet:
    """``data`` followed by the rows of a constructed ``corpus``, which are marked constructed.

    With ``crises`` (group -> crisis, see :func:`corpus_crises`) corpus rows are grouped by
    crisis, so cross-validation holds out whole crises.
    """
    if not corpus.grouped:
        raise LabelError(f"{', '.join(corpus.sources)}: a constructed corpus needs its article "
                         "column, so whole articles can be held out in cross-validation")
    ids = data.frame_ids if data.frame_ids == corpus.frame_ids else \
        sorted(set(data.frame_ids) | set(corpus.frame_ids))
    groups = [f"constructed:{crises[g] if crises else g}" for g in corpus.groups]
    return LabelledSet(
        texts=data.texts + corpus.texts, frames=data.frames + corpus.frames,
        groups=data.groups + groups, frame_ids=ids,
        sources=data.sources + corpus.sources, sha256={**data.sha256, **corpus.sha256},
        grouped=data.grouped, constructed=data.constructed_flags() + [True] * len(corpus),
        folds=data.folds + corpus.folds if data.folds else [],
        row_ids=data.row_names() + corpus.row_names(), columns=data.columns)
