"""Start-up stays light: `import framing` and scoring load no heavy library they do not need.

Each check runs in a fresh interpreter, so what an earlier test imported does not count.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Heavy for a start-up (issue 12): scikit-learn pulls scipy.stats and pandas; pyarrow, dask and
# trafilatura are only for Parquet, clusters and HTML; pydantic came with typer 0.29; pickle
# loaders have no business on a path that reads data-only models.
HEAVY = ("sklearn", "scipy", "pandas", "pyarrow", "dask", "distributed", "trafilatura", "lxml",
         "pydantic", "joblib", "jsonschema", "rich")

PROBE = """
import json, sys
{code}
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def loaded_after(code: str, tmp_path: Path) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(code=code, heavy=HEAVY)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.slow
def test_import_framing_is_light(tmp_path: Path) -> None:
    assert loaded_after("import framing", tmp_path) == []


@pytest.mark.slow
def test_predicting_and_explaining_are_light(tmp_path: Path) -> None:
    code = ("import framing\n"
            "r = framing.predict('Troops fired on protesters. The president blamed foreign terrorists.')\n"
            "assert r.frames and r.evidence\n"
            "framing.predict_sentences(['Bandits were killed.'])\n"
            "framing.explain('Bandits were killed.')")
    assert loaded_after(code, tmp_path) == []


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["json", "table", "csv"])
def test_the_score_command_is_light(tmp_path: Path, fmt: str) -> None:
    article = tmp_path / "one.txt"
    article.write_text("The president blamed foreign-trained terrorists for the unrest.", encoding="utf-8")
    code = ("import sys\nfrom framing.cli import main\n"
            f"sys.argv = ['framing', 'score', {str(article)!r}, '--format', {fmt!r}]\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n")
    assert loaded_after(code, tmp_path) == []


@pytest.mark.slow
def test_info_is_light(tmp_path: Path) -> None:
    code = ("import sys\nfrom framing.cli import main\nsys.argv = ['framing', 'info']\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n")
    assert loaded_after(code, tmp_path) == []
