"""The codebook: frame ids, definitions, cue terms and constructed examples (``codebook.toml``)."""

from __future__ import annotations

import difflib
import hashlib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from framing.errors import CodebookError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

# Frame ids are the user's own label names (``Loaded_Language``, ``Name_Calling-Labeling``,
# ``terrorism_label``): any non-empty string without the separator between ids in a frames
# cell (``;`` by default), without surrounding spaces and without control characters (a tab
# or line break would break the CSV and table outputs). The shipped codebook uses lowercase
# snake_case by convention only.
SEPARATOR = ";"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_KEYS = ("name", "definition")
_LIST_KEYS = ("includes", "excludes", "cues", "constructed_examples")


@dataclass(frozen=True)
class Frame:
    """One frame of the codebook. ``constructed_examples`` are written by the codebook's
    author, never taken from articles, and are never scored as real data."""

    id: str
    name: str
    definition: str = ""
    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    constructed_examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Codebook:
    """An ordered set of frames plus the rules that say what a unit is and when a frame is present."""

    frames: tuple[Frame, ...]
    general_rule: str = ""
    unit_rule: str = ""
    path: str | None = None
    sha256: str | None = None
    _by_id: dict[str, Frame] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {f.id: f for f in self.frames})

    @property
    def ids(self) -> list[str]:
        """Frame ids in codebook order."""
        return [f.id for f in self.frames]

    def __contains__(self, frame_id: object) -> bool:
        return frame_id in self._by_id

    def frame(self, frame_id: str) -> Frame:
        """Return the frame with this id (KeyError if unknown)."""
        return self._by_id[frame_id]

    def unknown_frame_message(self, frame_id: str) -> str:
        """A message for an unknown frame id, suggesting the closest known one."""
        close = difflib.get_close_matches(frame_id, self.ids, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else "known frames: " + ", ".join(self.ids)
        return f"unknown frame '{frame_id}'; {hint}"

    @property
    def has_cues(self) -> bool:
        """Whether any frame has cue terms (only then is there a cue block to learn from)."""
        return any(f.cues for f in self.frames)

    @property
    def has_examples(self) -> bool:
        """Whether any frame has constructed examples."""
        return any(f.constructed_examples for f in self.frames)

    def describe(self) -> dict[str, object]:
        """What a model records of its codebook file: path, sha256, and per frame its name,
        definition and how many cue terms and constructed examples it has."""
        return {"path": self.path, "sha256": self.sha256,
                "frames": {f.id: {"name": f.name, "definition": f.definition,
                                  "cues": len(f.cues), "constructed_examples": len(f.constructed_examples)}
                           for f in self.frames}}

    @classmethod
    def from_ids(cls, ids: list[str]) -> Codebook:
        """A bare codebook (no cues, no examples) for training on data without a codebook file."""
        return cls(frames=tuple(Frame(id=i, name=i) for i in ids))


def frame_id_problem(frame_id: str, separator: str = SEPARATOR) -> str | None:
    """Why ``frame_id`` cannot be a frame id (None when it can).

    Any non-empty string is an id unless it has surrounding spaces, a control character, or
    the ``separator`` that joins ids in a frames cell.
    """
    if not frame_id.strip():
        return "a frame id must not be empty"
    if frame_id != frame_id.strip():
        return f"frame id {frame_id!r} has spaces at its start or end; remove them"
    if _CONTROL.search(frame_id):
        return f"frame id {frame_id!r} has a control character (tab, line break); remove it"
    if separator and separator in frame_id:
        return (f"frame id {frame_id!r} contains the separator {separator!r} that joins frame ids "
                "in a cell; rename the frame or choose another --separator")
    return None


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _strings(value: object, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CodebookError(f"{where}: '{key}' must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def load_codebook(path: str | Path) -> Codebook:
    """Read and validate a codebook TOML file.

    Raises CodebookError naming the file (and frame) when it is missing, not valid TOML,
    or a frame lacks a name or has malformed lists.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        raise CodebookError(f"{path}: no such codebook file; pass --codebook PATH") from None
    except UnicodeDecodeError:
        raise CodebookError(f"{path}: not UTF-8 text; re-save the codebook as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise CodebookError(f"{path}: not valid TOML ({exc}); fix the syntax there") from None
    tables = data.get("frames")
    if not isinstance(tables, dict) or not tables:
        raise CodebookError(f"{path}: no [frames.<id>] tables; define at least one frame")
    frames = []
    for frame_id, table in tables.items():
        where = f"{path}: frame '{frame_id}'"
        problem = frame_id_problem(frame_id)
        if problem:
            raise CodebookError(f"{where}: {problem}")
        if not isinstance(table, dict):
            raise CodebookError(f"{where}: must be a table")
        unknown = set(table) - set(_TEXT_KEYS) - set(_LIST_KEYS)
        if unknown:
            raise CodebookError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                                f"allowed: {', '.join(_TEXT_KEYS + _LIST_KEYS)}")
        for key in _TEXT_KEYS:
            if not isinstance(table.get(key), str) or not table[key].strip():
                raise CodebookError(f"{where}: missing '{key}' (a non-empty string)")
        lists = {key: _strings(table.get(key, []), where, key) for key in _LIST_KEYS}
        frames.append(Frame(id=frame_id, name=table["name"].strip(),
                            definition=" ".join(table["definition"].split()), **lists))
    return Codebook(
        frames=tuple(frames),
        general_rule=" ".join(str(data.get("general_rule", "")).split()),
        unit_rule=" ".join(str(data.get("unit_rule", "")).split()),
        path=str(path),
        sha256=file_sha256(path),
    )
