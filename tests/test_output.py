"""Deterministic, atomic output; check mode; the layout report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import IGVM_SCHEMA, mtimes, run_cli, tree

from wiregen import output


@pytest.fixture
def project(in_tmp: Path) -> Path:
    (in_tmp / "schema").mkdir()
    shutil.copy(IGVM_SCHEMA, in_tmp / "schema" / "igvm_attest.yaml")
    return in_tmp


def test_two_runs_give_identical_bytes_and_keep_mtimes(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("generate") == 0
    first, stamps = tree(project / "generated"), mtimes(project / "generated")
    assert set(first) >= {"python/igvm_attest.py", "python/test_igvm_attest.py", "docs/igvm_attest.md", "vectors/igvm_attest.txt"}
    capsys.readouterr()
    assert run_cli("generate") == 0
    assert "0 changed" in capsys.readouterr().out
    assert tree(project / "generated") == first
    assert mtimes(project / "generated") == stamps


def test_output_names_no_absolute_path(project: Path) -> None:
    assert run_cli("generate") == 0
    for rel, data in tree(project / "generated").items():
        assert str(project).encode() not in data, rel


def test_check_lists_a_hand_edited_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("generate") == 0
    assert run_cli("check") == 0
    doc = project / "generated" / "docs" / "igvm_attest.md"
    doc.write_text(doc.read_text() + "hand edit\n")
    before = tree(project / "generated")
    assert run_cli("check") == 1
    err = capsys.readouterr().err
    assert "generated/docs/igvm_attest.md" in err and "igvm_attest.py" not in err
    assert tree(project / "generated") == before  # check writes nothing


def test_check_of_an_unchanged_tree_renders_nothing(project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("generate") == 0

    def refuse(schemas):
        raise AssertionError("rendered again")

    monkeypatch.setattr(output, "render_all", refuse)
    assert run_cli("check") == 0  # the render that generate remembered
    doc = project / "generated" / "docs" / "igvm_attest.md"
    doc.write_text(doc.read_text() + "hand edit\n")
    assert run_cli("check") == 1
    assert "generated/docs/igvm_attest.md" in capsys.readouterr().err
    # another schema is another render: check renders it
    schema = project / "schema" / "igvm_attest.yaml"
    schema.write_text(schema.read_text().replace("Error details.", "Error info."))
    assert run_cli("check") == 3
    assert "rendered again" in capsys.readouterr().err


def test_check_reports_a_missing_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("generate") == 0
    (project / "generated" / "vectors" / "igvm_attest.txt").unlink()
    assert run_cli("check") == 1
    assert "vectors/igvm_attest.txt" in capsys.readouterr().err


def test_failure_while_rendering_writes_nothing(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_cli("generate") == 0
    before, stamps = tree(project / "generated"), mtimes(project / "generated")
    (project / "schema" / "igvm_attest.yaml").write_text((project / "schema" / "igvm_attest.yaml").read_text().replace("Error details.", "Error info."))

    def broken(schema):
        raise RuntimeError("formatter crashed")

    monkeypatch.setattr(output.TARGETS[-1], "render", broken)
    assert run_cli("generate") == 3  # an internal error
    assert tree(project / "generated") == before
    assert mtimes(project / "generated") == stamps


def test_failure_while_writing_leaves_old_files(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_cli("generate") == 0
    before = tree(project / "generated")
    (project / "schema" / "igvm_attest.yaml").write_text((project / "schema" / "igvm_attest.yaml").read_text().replace("Error details.", "Error info."))
    real = Path.write_bytes
    calls = []

    def flaky(self: Path, data: bytes) -> int:
        calls.append(self)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", flaky)
    assert run_cli("generate") == 3
    monkeypatch.undo()
    assert len(calls) >= 2
    assert tree(project / "generated") == before  # no half-written file, no temporary left


def test_layout_json_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("layout", str(IGVM_SCHEMA), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    types = report["types"]
    assert types["IgvmAttestRequestHeader"]["size"] == 32
    assert types["IgvmAttestRequestData"]["sizes"] == {"1": 20, "2": 24}
    assert types["IgvmErrorInfo"]["size"] == 24
    for name in ("IgvmAttestKeyReleaseResponseHeader", "IgvmAttestWrappedKeyResponseHeader", "IgvmAttestAkCertResponseHeader"):
        assert types[name]["sizes"] == {"1": 8, "2": 32}
        assert types[name]["fields"][2] == {"name": "error_info", "type": "IgvmErrorInfo", "offset": 8, "size": 24, "since": 2}
    assert types["IgvmAttestRequestBase"]["sizes"] == {"1": 1236, "2": 1240}
    assert types["IgvmSignal"]["kind"] == "bitmap" and types["IgvmSignal"]["fields"][0]["bits"] == [0, 0]
    assert types["IgvmAttestReportType"]["values"]["CCA_VM_REPORT"] == 5


@pytest.mark.parametrize("command", ["generate", "check"])
def test_no_schema_is_an_error_and_writes_nothing(in_tmp: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    assert run_cli(command) == 2
    err = capsys.readouterr().err
    assert "no schema given and none found under schema/*.yaml" in err and "nothing was written" in err
    assert list(in_tmp.iterdir()) == []


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as done:
        run_cli("--version")
    assert done.value.code == 0
    assert capsys.readouterr().out == f"wiregen {version('wiregen')}\n"


def test_a_formatter_runs_once_per_source_and_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """cache.formatted: what the formatter made of a source is reused, by this process and by the
    next one (on disk); another source or another version of the formatter runs it again; past
    FORMATTED_KEPT files, the least recently used go."""
    from wiregen import cache

    monkeypatch.setenv("WIREGEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cache, "_formatted", {})
    calls: list[str] = []

    def fmt(text: str) -> str:
        calls.append(text)
        return text.upper()

    assert cache.formatted("black 1", "x = 1", fmt) == "X = 1"
    assert cache.formatted("black 1", "x = 1", fmt) == "X = 1"
    cache._formatted.clear()  # as in another process
    assert cache.formatted("black 1", "x = 1", fmt) == "X = 1"
    assert calls == ["x = 1"]
    assert cache.formatted("black 2", "x = 1", fmt) == "X = 1"
    assert cache.formatted("black 1", "y = 2", fmt) == "Y = 2"
    assert calls == ["x = 1", "x = 1", "y = 2"]

    monkeypatch.setattr(cache, "FORMATTED_KEPT", 4)
    for i in range(5):
        cache.formatted("black 1", f"z = {i}", fmt)
    assert len(list((tmp_path / "formatted").glob("*.txt"))) == 2
