"""Shared fixtures: paths into the repository's shipped data (never written to), and a toy
labelled set, codebook and model built in temporary directories."""

from __future__ import annotations

import copy
import csv
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from framing.labels import load_training_data
from framing.model import Model
from framing.train import TrainResult, train

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


# A toy labelled set small enough to train in a second: three frames, four articles, each
# frame worded the same way in every article, so every held-out article is learnable.
TOY_CITIES = ("Aqtobe", "Almaty", "Osh", "Minsk")
TOY_TEMPLATES = (
    ("Fuel prices in {city} rose again, and drivers blocked the main road.", "prices"),
    ("Bread prices and low wages in {city} angered the marchers.", "prices"),
    ("Officials in {city} called the attackers terrorists and bandits.", "terror"),
    ("A counterterrorist operation began in {city} against the militants.", "terror"),
    ("Leaders in {city} urged calm and offered talks with the protesters.", "talks"),
    ("Clergy in {city} called for dialogue and restraint on all sides.", "talks"),
    ("The weather in {city} was cold on Tuesday.", ""),
    ("In {city}, officials said terrorists exploited anger over fuel prices.", "terror;prices"),
)
TOY_CODEBOOK = '''
[frames.prices]
name = "Prices"
definition = "Unrest explained by prices or wages."
cues = ["fuel prices", "wages", "subsidy cuts"]
constructed_examples = ["Subsidy cuts doubled the cost of gas.", "Wages were the marchers' complaint."]

[frames.terror]
name = "Terror label"
definition = "Protesters or attackers labelled terrorists, bandits or militants."
cues = ["terrorists", "bandits", "Anti-terrorist", "insurgents"]
constructed_examples = ["The insurgents were called terrorists.", "An anti-terrorist raid followed."]

[frames.talks]
name = "Talks"
definition = "Calls for calm, dialogue or negotiation."
cues = ["talks", "dialogue", "negotiations"]
constructed_examples = ["Both sides agreed to negotiations.", "The envoy called for dialogue."]
'''


def _toy_rows() -> list[dict[str, str]]:
    """The toy set as rows with ``article``, ``text`` and ``frames`` (``;``-separated)."""
    return [{"article": f"a{n}", "text": template.format(city=city), "frames": frames}
            for n, city in enumerate(TOY_CITIES, start=1) for template, frames in TOY_TEMPLATES]


def _write_csv(path: Path, rows: list[dict[str, str]], delimiter: str = ",") -> Path:
    """Write ``rows`` (dicts sharing their keys) as CSV or TSV with a header."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=delimiter,
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def toy_rows() -> list[dict[str, str]]:
    """The toy set: 32 rows in four articles with ``article``, ``text`` and ``frames``."""
    return _toy_rows()


@pytest.fixture
def write_table() -> Callable[..., Path]:
    """``write_table(path, rows, delimiter=",")`` writes dict rows as CSV or TSV."""
    return _write_csv


@pytest.fixture
def toy_labels(tmp_path: Path) -> Path:
    """The toy set as ``toy.csv`` (columns article, text, frames) in a fresh directory."""
    return _write_csv(tmp_path / "toy.csv", _toy_rows())


@pytest.fixture
def toy_codebook(tmp_path: Path) -> Path:
    """A codebook for the toy set's frames, with cues and constructed examples."""
    path = tmp_path / "toy_codebook.toml"
    path.write_text(TOY_CODEBOOK, encoding="utf-8")
    return path


SMALL_GRID = {"C": [1.0, 4.0], "cue_weight": [0.0, 1.0]}


@pytest.fixture(scope="session")
def toy_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``toy.csv`` and ``toy_codebook.toml`` written once per session, for session- and
    module-scoped fixtures: read them, never change them (use ``toy_labels`` for that)."""
    directory = tmp_path_factory.mktemp("toy")
    book = directory / "toy_codebook.toml"
    book.write_text(TOY_CODEBOOK, encoding="utf-8")
    return _write_csv(directory / "toy.csv", _toy_rows()), book


@pytest.fixture(scope="session")
def toy_result(toy_files: tuple[Path, Path]) -> TrainResult:
    """A model trained once per session on the toy set and codebook with a small grid.

    Tests take it through ``toy_model`` (a copy) so that none sees another's changes.
    """
    data, codebook = load_training_data(*toy_files)
    return train(data, codebook, grid=SMALL_GRID)


@pytest.fixture
def toy_model(toy_result: TrainResult) -> Model:
    return copy.deepcopy(toy_result.model)


@pytest.fixture(scope="session")
def retrained() -> TrainResult:
    """The shipped model's final fit repeated on ``load_training_data()``'s defaults.

    The full training (nested CV and the settings search) takes minutes, so this repeats the
    part that makes the model: the search restricted to the shipped settings (which gives the
    same out-of-fold scores for them, hence the same calibration and thresholds) and the final
    fit, without nested CV. Shared by every test that needs it; the defaults are paths
    relative to the repository, hence the chdir. The full retraining is
    ``test_full_retraining_gives_the_shipped_cross_validated_scores`` (FRAMING_FULL_RETRAIN=1).
    """
    from framing.model import read_meta

    chosen = read_meta()["hyperparameters"]
    grid = {k: [tuple(v) if isinstance(v, list) else v] for k, v in chosen.items()}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO_ROOT)
        data, codebook = load_training_data()
        return train(data, codebook, grid=grid, nested=False)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (its own browser download cannot work here).

    The browser tests skip with the reason when either is missing; ``.ci/run`` installs chromium.
    """
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium on PATH: install Debian's chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install -e '.[dev]'")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield launched
        launched.close()
