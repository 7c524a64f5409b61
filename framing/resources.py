"""The data shipped with framing: the default model, its codebook, its labels, the seed articles.

In the repository they live at the top level (``models/``, ``labels/``, ``seeds/``); the
build maps them into the package as ``framing._models``, ``framing._labels`` and
``framing._seeds`` (see ``[tool.setuptools.package-dir]`` in pyproject.toml), so an
installed wheel carries them and they are found through :mod:`importlib.resources`, never
through the working directory or a path relative to the repository.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution
from importlib.resources import files
from pathlib import Path
from urllib.parse import unquote, urlparse

_PACKAGES = {"models": "framing._models", "labels": "framing._labels", "seeds": "framing._seeds"}


def shipped(kind: str, *parts: str) -> Path:
    """The path of shipped data: ``shipped("models", "default")``, ``shipped("labels", "codebook.toml")``.

    ``kind`` is ``models``, ``labels`` or ``seeds``. Never raises for missing data (it is
    called at import time): when the package was installed without it, the path where it
    would be is returned, and whoever opens it reports it missing.
    """
    if kind not in _PACKAGES:
        raise ValueError(f"kind must be one of {', '.join(_PACKAGES)}, not {kind!r}")
    return _root(kind).joinpath(*parts)


@cache
def _root(kind: str) -> Path:
    try:
        root = files(_PACKAGES[kind])
    except ModuleNotFoundError:
        # setuptools' editable install (pip install -e) cannot import a mapped package
        # nested in a regular one; its data is then in the source tree the install names.
        # Likewise when framing is imported straight from a source checkout (python run in
        # the repository root puts it first on sys.path): the data is beside the package.
        for source in (_editable_source(), _checkout()):
            if source is not None and (source / kind).is_dir():
                return source / kind
        return Path(__file__).resolve().parent / _PACKAGES[kind].rsplit(".", 1)[1]
    # A package without __init__.py gives a MultiplexedPath (one directory per location).
    roots = [Path(str(p)) for p in getattr(root, "_paths", [root])]
    return next((r for r in roots if r.is_dir()), roots[0])


def _checkout() -> Path | None:
    """The repository root when this package is imported from a source checkout, else None."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() else None


def _editable_source() -> Path | None:
    """The source directory of an editable install, from its ``direct_url.json`` (PEP 610)."""
    try:
        text = distribution("framing").read_text("direct_url.json")
        info = json.loads(text) if text else {}
    except (PackageNotFoundError, ValueError):
        return None
    url = info.get("url", "") if isinstance(info, dict) else ""
    if not (info.get("dir_info") or {}).get("editable") or not url.startswith("file://"):
        return None
    return Path(unquote(urlparse(url).path))


def display_path(path: str | Path) -> str:
    """A path as a model records it: shipped data by its name in the repository
    (``labels/seed_sentences.csv``), wherever the package is installed; any other path as given.

    Models trained on the shipped labels then record the same paths on every machine, which is
    what the staleness test of the shipped model compares.
    """
    resolved = Path(path).resolve()
    for kind in _PACKAGES:
        root = _root(kind).resolve()
        if resolved == root or root in resolved.parents:
            return str(Path(kind, resolved.relative_to(root))) if resolved != root else kind
    return str(path)
