"""Shared fixtures: paths into the repository's shipped data (never written to)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def seeds_dir(repo_root: Path) -> Path:
    return repo_root / "seeds"


@pytest.fixture
def labels_dir(repo_root: Path) -> Path:
    return repo_root / "labels"


@pytest.fixture
def codebook_path(labels_dir: Path) -> Path:
    return labels_dir / "codebook.toml"
