"""framing.codebook: the shipped codebook and the errors a broken one gives."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from framing.codebook import Codebook, load_codebook
from framing.errors import CodebookError

FRAME_IDS = [
    "foreign_instigation", "terrorism_label", "rights_concern", "lethal_force",
    "casualty_toll", "order_restored", "foreign_troops", "economic_grievance",
    "religious_extremism", "peaceful_resolution", "regime_threat", "authoritarian_context",
]

MINIMAL = """\
[frames.alpha]
name = "Alpha"
definition = "The first frame."
cues = ["first"]
"""


@pytest.fixture
def codebook(codebook_path: Path) -> Codebook:
    return load_codebook(codebook_path)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "codebook.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_frames_in_order(codebook: Codebook) -> None:
    assert codebook.ids == FRAME_IDS
    assert [f.id for f in codebook.frames] == FRAME_IDS
    assert "lethal_force" in codebook
    assert "lethal" not in codebook


@pytest.mark.parametrize("frame_id", FRAME_IDS)
def test_shipped_frame_is_complete(codebook: Codebook, frame_id: str) -> None:
    frame = codebook.frame(frame_id)
    assert frame.id == frame_id
    assert frame.name.strip()
    assert frame.definition.strip()
    assert frame.includes
    assert frame.excludes
    assert frame.cues
    assert len(frame.constructed_examples) >= 2
    for value in (*frame.includes, *frame.excludes, *frame.cues, *frame.constructed_examples):
        assert value == value.strip() and value


def test_shipped_rules(codebook: Codebook, codebook_path: Path) -> None:
    assert "quotation" in codebook.unit_rule
    assert "sentence" in codebook.unit_rule
    assert codebook.general_rule
    assert "\n" not in codebook.unit_rule  # whitespace is normalised
    assert codebook.path == str(codebook_path)
    assert codebook.sha256 == hashlib.sha256(codebook_path.read_bytes()).hexdigest()


def test_unknown_frame_message_suggests_closest(codebook: Codebook) -> None:
    assert (codebook.unknown_frame_message("terorism_label")
            == "unknown frame 'terorism_label'; did you mean 'terrorism_label'?")


def test_unknown_frame_message_lists_frames_when_nothing_is_close(codebook: Codebook) -> None:
    message = codebook.unknown_frame_message("zzz")
    assert message == "unknown frame 'zzz'; known frames: " + ", ".join(FRAME_IDS)


def test_frame_lookup_of_unknown_id_raises_key_error(codebook: Codebook) -> None:
    with pytest.raises(KeyError):
        codebook.frame("nope")


def test_minimal_codebook(tmp_path: Path) -> None:
    codebook = load_codebook(write(tmp_path, MINIMAL))
    (frame,) = codebook.frames
    assert (frame.id, frame.name, frame.definition) == ("alpha", "Alpha", "The first frame.")
    assert frame.cues == ("first",)
    assert frame.includes == frame.constructed_examples == ()
    assert codebook.unit_rule == ""


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "codebook.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode("utf-8"))
    assert load_codebook(path).ids == ["alpha"]


def test_from_ids() -> None:
    codebook = Codebook.from_ids(["b", "a"])
    assert codebook.ids == ["b", "a"]
    assert codebook.frame("a").name == "a"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    assert str(info.value) == f"{path}: no such codebook file; pass --codebook PATH"


def test_invalid_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "[frames.alpha\nname = 'Alpha'\n")
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    message = str(info.value)
    assert message.startswith(f"{path}: not valid TOML (")
    assert "line 1" in message
    assert message.endswith("fix the syntax there")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "codebook.toml"
    path.write_bytes(MINIMAL.replace("first", "caf\xe9").encode("latin-1"))
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    assert str(info.value) == f"{path}: not UTF-8 text; re-save the codebook as UTF-8"


def test_no_frames(tmp_path: Path) -> None:
    path = write(tmp_path, 'unit_rule = "Sentences."\n')
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    assert str(info.value) == f"{path}: no [frames.<id>] tables; define at least one frame"


def test_frame_missing_name(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace('name = "Alpha"\n', ""))
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    assert str(info.value) == f"{path}: frame 'alpha': missing 'name' (a non-empty string)"


def test_frame_with_blank_definition(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace('"The first frame."', '"   "'))
    with pytest.raises(CodebookError, match=r"frame 'alpha': missing 'definition'"):
        load_codebook(path)


def test_unknown_key(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + 'colour = "red"\n')
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    message = str(info.value)
    assert message.startswith(f"{path}: frame 'alpha': unknown key(s) colour; allowed: ")
    assert "constructed_examples" in message


@pytest.mark.parametrize("frame_id", ["Loaded_Language", "Name_Calling-Labeling", "Bad-Id",
                                      "Appeal to fear/prejudice", "économie", "7"])
def test_frame_ids_keep_the_users_label_names(tmp_path: Path, frame_id: str) -> None:
    # issue 13, problem 1: SemEval's labels were refused because ids had to be lowercase
    path = write(tmp_path, MINIMAL.replace("[frames.alpha]", f'[frames."{frame_id}"]'))
    assert load_codebook(path).ids == [frame_id]


@pytest.mark.parametrize(("frame_id", "problem"), [
    ("a;b", "frame id 'a;b' contains the separator ';' that joins frame ids in a cell; rename the "
            "frame or choose another --separator"),
    (" padded", "frame id ' padded' has spaces at its start or end; remove them"),
    ("tab\\tbed", "frame id 'tab\\tbed' has a control character (tab, line break); remove it"),
    ("", "a frame id must not be empty"),
])
def test_bad_frame_id(tmp_path: Path, frame_id: str, problem: str) -> None:
    path = write(tmp_path, MINIMAL.replace("[frames.alpha]", f'[frames."{frame_id}"]'))
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    assert str(info.value) == f"{path}: frame '{frame_id.replace(chr(92) + 't', chr(9))}': {problem}"


def test_frame_that_is_not_a_table(tmp_path: Path) -> None:
    path = write(tmp_path, '[frames]\nalpha = "Alpha"\n')
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    assert str(info.value) == f"{path}: frame 'alpha': must be a table"


@pytest.mark.parametrize("value", ['"first"', '["first", ""]', "[1, 2]"])
def test_list_of_strings_required(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, MINIMAL.replace('["first"]', value))
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    assert str(info.value) == (
        f"{path}: frame 'alpha': 'cues' must be a list of non-empty strings")
