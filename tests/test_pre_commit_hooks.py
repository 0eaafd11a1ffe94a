""".pre-commit-hooks.yaml: the hooks other repositories use, as pre-commit runs them.

pre-commit installs this repository into an environment of its own and runs each hook's
`entry` with its `args` (no file names: pass_filenames is false) in the other repository. Here
the same command lines run, with the `wiregen` of the test environment, in a scratch git
repository that has its own schema, generated files and an `origin/main`. (Checked by hand with
pre-commit 4.7 itself: `pre-commit try-repo <this repository> wiregen-check` and `wiregen-diff
--hook-stage manual` pass and fail as below.)
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

from wiregen.cli import parser

HOOKS = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
WIREGEN = str(Path(sys.executable).with_name("wiregen"))


def test_the_manifest_names_real_commands() -> None:
    assert set(HOOKS) == {"wiregen-check", "wiregen-diff"}
    for hook in HOOKS.values():
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        entry = shlex.split(hook["entry"])
        assert entry[0] == "wiregen"  # the console script pre-commit's environment gets from pyproject.toml
        parser().parse_args([*entry[1:], *hook.get("args", [])])  # exits on an unknown subcommand or option
    assert HOOKS["wiregen-diff"]["stages"] == ["pre-push", "manual"]


def hook(repo: Path, name: str) -> subprocess.CompletedProcess[str]:
    h = HOOKS[name]
    argv = [WIREGEN, *shlex.split(h["entry"])[1:], *h.get("args", [])]
    return subprocess.run(argv, cwd=repo, capture_output=True, text=True, timeout=120)


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Another repository: schema/ping.yaml, its generated files, committed and pushed (origin/main)."""
    (tmp_path / "schema").mkdir()
    shutil.copy(ROOT / "tests" / "schemas" / "ping.yaml", tmp_path / "schema" / "ping.yaml")
    subprocess.run([WIREGEN, "generate"], cwd=tmp_path, check=True, capture_output=True)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "ping")
    git(tmp_path, "update-ref", "refs/remotes/origin/main", "HEAD")
    return tmp_path


def edit(repo: Path, old: str, new: str) -> None:
    p = repo / "schema" / "ping.yaml"
    text = p.read_text(encoding="utf-8")
    assert old in text
    p.write_text(text.replace(old, new), encoding="utf-8")


def test_the_hooks_pass_and_fail_in_another_repository(repo: Path) -> None:
    edit(repo, "      - {name: REPLY, value: 2}\n", "      - {name: REPLY, value: 2}\n      - {name: ERROR, value: 3}\n")
    stale = hook(repo, "wiregen-check")
    assert stale.returncode == 1 and "generated/python/ping.py" in stale.stderr
    compatible = hook(repo, "wiregen-diff")
    assert compatible.returncode == 0 and "`enum-value-added`" in compatible.stdout
    edit(repo, "{name: REPLY, value: 2}", "{name: REPLY, value: 4}")
    breaking = hook(repo, "wiregen-diff")
    assert breaking.returncode == 1 and "**BREAKING**" in breaking.stdout
