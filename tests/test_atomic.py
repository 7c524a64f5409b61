"""Writes that never destroy (issue 9, finding 3): devices and FIFOs are written to, never
replaced; symlinks are written through; an output that is an input is refused; a lock stops
a second run on the same output."""

from __future__ import annotations

import os
import socket
import stat
import threading
from pathlib import Path

import pytest

from framing.atomic import (
    OutputLock,
    atomic_path,
    check_distinct,
    check_replaceable_dir,
    output_locks,
    write_text_atomic,
)
from framing.errors import OutputError


def read_fifo_in_background(fifo: Path) -> tuple[threading.Thread, list[bytes]]:
    got: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as f:
            got.append(f.read())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread, got


def test_a_fifo_is_written_to_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    thread, got = read_fifo_in_background(fifo)
    write_text_atomic(fifo, "hello\n")
    thread.join(10)
    assert got == [b"hello\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_character_device_is_written_to_not_replaced(tmp_path: Path) -> None:
    null = tmp_path / "null"  # a /dev/null of our own, so that a bug cannot break the machine's
    try:
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs root")
    write_text_atomic(null, "scores\n")
    assert stat.S_ISCHR(os.stat(null).st_mode)


def test_a_socket_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    try:
        with pytest.raises(OutputError, match=r"sock: is a socket; give a file name to write to"):
            write_text_atomic(path, "x")
        assert stat.S_ISSOCK(os.stat(path).st_mode)
    finally:
        server.close()


def test_a_whole_file_output_refuses_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.parquet"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match=r"pipe.parquet: not a regular file \(a device, FIFO or socket\); "
                                          "this output is written whole and renamed into place, so name "
                                          "a regular file"), atomic_path(fifo):
        pass
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_symlink_is_written_through(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_text_atomic(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text(encoding="utf-8") == "new"


def test_an_output_that_is_an_input_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text("text", encoding="utf-8")
    linked = tmp_path / "out.txt"
    os.link(source, linked)
    with pytest.raises(OutputError, match=r"out.txt: --output is the same file as the input .*in.txt "
                                          r"\(a link to it\); writing it would destroy what is read"):
        check_distinct([("--output", linked)], [source])
    other = tmp_path / "s.txt"
    os.link(source, other)
    with pytest.raises(OutputError, match=r"s.txt: --sentences is the same file as the --output file"):
        check_distinct([("--output", linked), ("--sentences", other)], [])
    check_distinct([("--output", tmp_path / "new.txt"), ("--sentences", None)], [source])


def test_a_second_lock_on_an_output_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "scores.jsonl"
    with OutputLock(out):
        with pytest.raises(OutputError, match=rf"scores.jsonl: another framing run \(process {os.getpid()}\) "
                                              r"is writing it \(lock .*\.scores\.jsonl\.lock\); wait for it "
                                              "to end, or write elsewhere"), OutputLock(out):
            pass
        link = tmp_path / "other-name.jsonl"
        link.symlink_to(out)
        with pytest.raises(OutputError, match="another framing run"), output_locks([link]):
            pass
    assert not (tmp_path / ".scores.jsonl.lock").exists()
    with OutputLock(out):  # released: can be taken again
        pass


def test_an_existing_model_directory_needs_force(tmp_path: Path) -> None:
    model = tmp_path / "model"
    check_replaceable_dir(model, force=False)  # new: fine
    model.mkdir()
    check_replaceable_dir(model, force=False)  # empty: fine
    (model / "meta.json").write_text("{}", encoding="utf-8")
    with pytest.raises(OutputError, match=r"model: already holds a model \(or other files\); pass --force "
                                          "to replace it, or name a new directory"):
        check_replaceable_dir(model, force=False)
    check_replaceable_dir(model, force=True)
    with pytest.raises(OutputError, match="exists and is not a directory"):
        check_replaceable_dir(model / "meta.json", force=True)
