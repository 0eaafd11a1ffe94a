"""tests/c_toolchain.py installs clang quietly: one line saying what, apt's output only on failure."""

from __future__ import annotations

import subprocess

import pytest

import c_toolchain


@pytest.fixture
def apt(monkeypatch: pytest.MonkeyPatch) -> list:
    """apt-get present, clang absent until apt-get has run; every command recorded, none run."""
    calls: list = []
    monkeypatch.setattr(c_toolchain, "have", lambda tool: tool == "apt-get" or bool(calls))
    monkeypatch.setattr(c_toolchain.os, "geteuid", lambda: 0)
    monkeypatch.setattr(c_toolchain, "_clang_links_sanitizers", lambda: bool(calls))
    return calls


def test_installing_clang_prints_one_line(apt: list, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def fake(cmd, **kw):
        apt.append((cmd, kw))
        return subprocess.CompletedProcess(cmd, 0, stdout="Selecting previously unselected package ...\n" * 40, stderr="")

    monkeypatch.setattr(c_toolchain.subprocess, "run", fake)
    assert c_toolchain.ensure_clang()
    out = capsys.readouterr()
    assert out.out == "installing clang and libclang-rt-dev from Debian's packages (for the clang builds)\n" and out.err == ""
    assert [cmd[:2] for cmd, _ in apt] == [["apt-get", "update"], ["apt-get", "install"]]
    assert all(kw["capture_output"] and kw["stdin"] is subprocess.DEVNULL for _, kw in apt)


def test_a_failed_install_shows_apts_words(apt: list, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(cmd, **kw):
        apt.append((cmd, kw))
        return subprocess.CompletedProcess(cmd, 100, stdout="", stderr="E: Unable to locate package clang\n")

    monkeypatch.setattr(c_toolchain.subprocess, "run", fake)
    with pytest.raises(c_toolchain.BuildError, match="Unable to locate package clang"):
        c_toolchain.ensure_clang()


def test_a_test_build_is_repeated_only_when_its_sources_change(tmp_path) -> None:
    """build_and_run keeps a build under a key of its flags, compiler and sources, and always
    runs it: the same sources are not compiled again; a changed header is."""
    (tmp_path / "c").mkdir()
    (tmp_path / "vectors").mkdir()
    (tmp_path / "vectors" / "t.txt").write_text("x\n")
    (tmp_path / "c" / "t.h").write_text("#define PASSED 1\n")
    (tmp_path / "c" / "test_t.c").write_text('#include <stdio.h>\n#include "t.h"\nint main(void) { printf("%d passed, 0 failed\\n", PASSED); return 0; }\n')
    out = tmp_path / "build"
    c = c_toolchain.C11
    assert c_toolchain.build_and_run(tmp_path / "c" / "test_t.c", out, [("gcc", c)], quiet=True) == ["1 passed, 0 failed"]
    exe = out / "test_t-gcc"
    built = exe.stat().st_mtime_ns
    assert c_toolchain.build_and_run(tmp_path / "c" / "test_t.c", out, [("gcc", c)], quiet=True) == ["1 passed, 0 failed"]
    assert exe.stat().st_mtime_ns == built
    (tmp_path / "c" / "t.h").write_text("#define PASSED 2\n")  # the header a test includes is a source
    assert c_toolchain.build_and_run(tmp_path / "c" / "test_t.c", out, [("gcc", c)], quiet=True) == ["2 passed, 0 failed"]
