"""A built package works away from the repository: the shipped model, codebook, labels and
seed articles travel in the wheel and the sdist and are found through importlib.resources.

The slow test builds an sdist and, from it, a wheel (``python -m build``), installs the
wheel into a fresh venv, and runs the commands from an empty temporary directory. The
fresh venv installs framing with ``--no-deps`` and sees this venv's packages (scikit-learn
and the rest) through a ``.pth`` file, so it needs no network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

from framing.model import DEFAULT_MODEL
from framing.resources import shipped

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("labels/codebook.toml", "labels/seed_sentences.csv", "seeds/000_64832e59e148211a.txt")


def test_shipped_data_is_found_through_the_package(repo_root: Path) -> None:
    assert shipped("models", "default").samefile(repo_root / "models" / "default")
    assert DEFAULT_MODEL.samefile(repo_root / "models" / "default")
    assert shipped("labels", "codebook.toml").samefile(repo_root / "labels" / "codebook.toml")
    assert shipped("seeds").samefile(repo_root / "seeds")
    with pytest.raises(ValueError, match="kind must be one of models, labels, seeds"):
        shipped("weights")


def test_shipped_data_does_not_depend_on_the_working_directory(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code = ("from framing.resources import shipped; from framing.labels import DEFAULT_CODEBOOK; "
            "print(shipped('models', 'default'), DEFAULT_CODEBOOK, sep='\\n')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=tmp_path).stdout.split()
    assert Path(out[0]).samefile(ROOT / "models" / "default")
    assert Path(out[1]).samefile(ROOT / "labels" / "codebook.toml")


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, f"{command}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def fresh_venv(where: Path) -> Path:
    """A venv with no framing that sees this venv's other packages; returns its bin/."""
    venv.create(where, with_pip=False)
    purelib = subprocess.run([where / "bin" / "python", "-c",
                              "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "host_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return where / "bin"


@pytest.mark.slow
def test_wheel_and_sdist_work_from_any_directory(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)], cwd=tmp_path)
    (sdist,), (wheel,) = dist.glob("*.tar.gz"), dist.glob("*.whl")  # the wheel is built from the sdist
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    for data in (*SHIPPED, "models/default/meta.json"):
        assert any(n.endswith("/" + data) for n in names), f"{data} missing from the sdist"
    with zipfile.ZipFile(wheel) as whl:
        names = whl.namelist()
    model_files = sorted(p.name for p in (ROOT / "models" / "default").iterdir())
    assert sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("framing/_models/default/")) \
        == model_files
    assert "framing/_labels/codebook.toml" in names and "framing/_seeds/000_64832e59e148211a.txt" in names

    bin_dir = fresh_venv(tmp_path / "venv")
    run([sys.executable, "-m", "pip", "--python", str(bin_dir / "python"), "install", "--quiet",
         "--no-deps", "--no-index", str(wheel)], cwd=tmp_path)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    framing = str(bin_dir / "framing")
    article = work / "article.txt"
    article.write_text("Security forces killed dozens of bandits sent from abroad, the president said.\n",
                       encoding="utf-8")

    where = run([str(bin_dir / "python"), "-c", "import framing.resources as r; print(r.__file__)"],
                cwd=work, env=env)
    assert str(tmp_path / "venv") in where, "the fresh venv imported framing from elsewhere"
    scored = json.loads(run([framing, "score", str(article), "--format", "json"], cwd=work, env=env))
    assert scored["articles"][0]["n_sentences"] == 1
    assert "foreign_instigation" in scored["model"]["thresholds"]
    assert "trained on 96 labelled texts" in run([framing, "info"], cwd=work, env=env)
    assert "PRESENT" in run([framing, "explain", "The bandits were sent from abroad."], cwd=work, env=env)
    assert "96 labelled sentences" in run([framing, "labels", "check"], cwd=work, env=env)
    frames = run([str(bin_dir / "python"), "-c", "import framing; print(framing.predict("
                  "'Foreign-trained terrorists attacked the city.').frames)"], cwd=work, env=env)
    assert "terrorism_label" in frames
    # The quick search without nested CV: this checks that an installed package finds and
    # trains on its shipped labels; the full search is the staleness test's job (minutes).
    out = run([framing, "train", "--shipped-labels", "--out", "my-model", "--search", "quick",
               "--no-nested"], cwd=work, env=env)
    assert "model written to my-model" in out
    assert "trained on 96 labelled texts" in run([framing, "info", "my-model"], cwd=work, env=env)
    assert sorted(os.listdir(work)) == ["article.txt", "my-model"]  # nothing else written here
