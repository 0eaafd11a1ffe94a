"""Every code block of the README is run or compiled, each the way its language allows:

- ```python: run from the repository root, as written;
- ```rust: the block is the source of a scratch crate that depends on the generated crate by
  path and on nothing else, with a `main` that calls its function on real bytes; built and run;
- ```c: compiled with a `main` that calls its function on heap buffers (a 3-byte one among
  them) under ASan and UBSan, warnings as errors, and run;
- ```sh: `make` lines dry-run (`make -n`: the target exists and its commands expand), `wiregen`
  lines checked against the command line (subcommands and options exist; every subcommand is
  listed), `pip install` run by tests/test_packaging.py;
- ```text: the refusal is reproduced byte for byte; the project layout names folders that exist;
- ```yaml: the pre-commit configuration names hooks of .pre-commit-hooks.yaml with arguments
  the command accepts;
- ```diff and ```console: the walkthrough, replayed by tests/test_walkthrough.py; a
  ```console decode session is run here, command by command, and must print what it shows.
A block of any other kind fails the test, so a new example cannot go unchecked.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import c_toolchain
from conftest import ROOT, run_cli
from markdown_blocks import Block, blocks

from wiregen.cli import parser

README = ROOT / "README.md"
BLOCKS = blocks(README)
HANDLED = {"python", "rust", "c", "sh", "text", "yaml", "diff", "console"}


def of(lang: str) -> list[Block]:
    return [b for b in BLOCKS if b.lang == lang]


def env() -> dict[str, str]:
    """Not the outer make's flags (`make test` runs us)."""
    return {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}}


def test_every_block_is_of_a_kind_this_file_runs() -> None:
    assert {b.lang for b in BLOCKS} <= HANDLED, [str(b) for b in BLOCKS if b.lang not in HANDLED]
    text = README.read_text(encoding="utf-8")
    start, end = text.index("### Walkthrough"), text.index("\n### The command")
    first, last = text[:start].count("\n") + 1, text[:end].count("\n") + 1
    for b in of("diff") + [b for b in of("console") if b.info != ("decode",)]:
        assert first <= b.line <= last, f"{b} is outside the walkthrough, which tests/test_walkthrough.py replays"


# --- Python -------------------------------------------------------------------------------------


def test_python_example_runs_from_the_repository_root() -> None:
    (block,) = of("python")
    done = subprocess.run([sys.executable, "-c", block.text], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "retry: error 0x1234, HTTP 503\n"


# --- Rust ---------------------------------------------------------------------------------------

RUST_MAIN = """
fn main() {
    let v2 = [32u32, 2, 0x1234, 503, 0b1, 0, 0, 0].map(u32::to_le_bytes).concat();
    let v1 = [8u32, 1].map(u32::to_le_bytes).concat();
    let mut answers = vec![format!("{:?}", FN(&v2).ok()), format!("{:?}", FN(&v1).ok())];
    for short in [&v2[..3], &v2[..31]] {
        answers.push(format!("{}", FN(short).unwrap_err()));
    }
    println!("{}", answers.join("\\n"));
}
"""


@pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo")
def test_rust_example_builds_with_only_the_generated_crate_and_runs() -> None:
    (block,) = of("rust")
    fn = re.search(r"^fn (\w+)\(bytes: &\[u8\]\) -> Result<bool, Box<dyn std::error::Error>>", block.text, re.M)
    assert fn, "the example is a function returning Result<_, Box<dyn Error>>"
    crate = ROOT / "build" / "readme" / "rust"
    (crate / "src").mkdir(parents=True, exist_ok=True)
    manifest = (
        '[package]\nname = "readme_example"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n'
        f'[dependencies]\nigvm_attest = {{ path = "{ROOT / "generated" / "rust" / "igvm_attest"}" }}\n\n[workspace]\n'
    )
    _write_if_changed(crate / "Cargo.toml", manifest)
    _write_if_changed(crate / "src" / "main.rs", block.text + RUST_MAIN.replace("FN", fn.group(1)))
    if not (crate / "Cargo.lock").exists():  # the project's locked versions
        shutil.copy(ROOT / "generated" / "rust" / "Cargo.lock", crate / "Cargo.lock")
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "build" / "cargo-target"))
    done = subprocess.run(["cargo", "run", "--quiet"], cwd=crate, env=env() | {"CARGO_TARGET_DIR": target, "RUSTFLAGS": "-D warnings"},
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-6000:]
    true, false, too_short, *cut = done.stdout.splitlines()
    assert (true, false) == ("Some(true)", "Some(false)")
    assert too_short == "IgvmAttestKeyReleaseResponse: 3 bytes, 8 needed to read the version field header.version"
    assert cut == ["IgvmAttestKeyReleaseResponse: 31 bytes, less than the 32 bytes of fixed parts of version 2"]


def _write_if_changed(path: Path, text: str) -> None:
    """Keeps the file's time when its text is the same, so cargo need not rebuild."""
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


# --- C ------------------------------------------------------------------------------------------

C_MAIN = """
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int on_heap(const unsigned char *bytes, size_t len)
{
    unsigned char *copy = (unsigned char *)malloc(len); /* exactly len bytes: ASan sees any read past them */
    int answer;
    memcpy(copy, bytes, len);
    answer = FN(copy, len);
    free(copy);
    return answer;
}

int main(void)
{
    const unsigned char v2[32] = {32, 0, 0, 0, 2, 0, 0, 0, 0x34, 0x12, 0, 0, 0xF7, 0x01, 0, 0, 1};
    const unsigned char v1[8] = {8, 0, 0, 0, 1, 0, 0, 0};
    int answers[5];
    answers[0] = on_heap(v2, 32);
    answers[1] = on_heap(v1, 8);
    answers[2] = on_heap(v2, 3);
    answers[3] = on_heap(v2, 31);
    answers[4] = FN(NULL, 0);
    printf("%d %d %d %d %d\\n", answers[0], answers[1], answers[2], answers[3], answers[4]);
    return 0;
}
"""


def _c_example(tmp: Path, body: str) -> subprocess.CompletedProcess[str]:
    (block,) = of("c")
    fn = re.search(r"^int (\w+)\(const void \*data, size_t len\)$", block.text, re.M)
    assert fn, "the example is a function of (data, len)"
    src = tmp / "example.c"
    src.write_text(body + C_MAIN.replace("FN", fn.group(1)))
    exe = tmp / "example"
    c_toolchain.run(["gcc", *c_toolchain.C11, *c_toolchain.WARNINGS, *c_toolchain.SANITIZERS, "-iquote", str(ROOT / "generated" / "c"), "-o", str(exe), str(src)], quiet=True)
    return subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_c_example_is_asan_clean_on_short_input(tmp_path: Path) -> None:
    (block,) = of("c")
    done = _c_example(tmp_path, block.text)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "1 0 -1 -1 -1\n"  # retry, no retry (version 1), too short, too short, no buffer


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_the_c_harness_catches_a_read_past_the_buffer(tmp_path: Path) -> None:
    """The same harness on the example made to trust the buffer (its length given to the parser as
    the 32 bytes a version 2 header takes) reports the heap overflow: the test above could fail."""
    (block,) = of("c")
    unchecked = re.sub(r"(\w+_parse\(&response, \(const uint8_t \*\)data, )len(, NULL\))", r"\g<1>(len > 32 ? len : 32)\2", block.text)
    assert unchecked != block.text
    done = _c_example(tmp_path, unchecked)
    assert done.returncode != 0 and "heap-buffer-overflow" in done.stderr


# --- shell --------------------------------------------------------------------------------------


def _lines(block: Block) -> list[str]:
    return [ln.split("  #")[0].strip() for ln in block.text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def _options(sub: str) -> set[str]:
    ap = parser()
    subparsers = next(a for a in ap._actions if isinstance(a, __import__("argparse")._SubParsersAction))
    if sub.startswith("-"):
        return {o for a in ap._actions for o in a.option_strings}
    return {o for a in subparsers.choices[sub]._actions for o in a.option_strings}


def test_shell_blocks() -> None:
    ap = parser()
    subcommands = set(next(a for a in ap._actions if a.dest == "cmd").choices)
    listed: set[str] = set()
    for block in of("sh"):
        for line in _lines(block):
            words = shlex.split(line)
            if words[0] == "make":
                done = subprocess.run(["make", "-n", "-o", ".venv/.installed", *words[1:]], cwd=ROOT, env=env(), capture_output=True, text=True)
                assert done.returncode == 0, f"{block}: {line}: {done.stderr}"
            elif words[0] == "wiregen":
                sub = words[1]
                assert sub in subcommands or sub == "--version", f"{block}: {line}"
                listed.add(sub)
                opts = {w.strip("[]|").split("=")[0] for w in words[2:] if w.strip("[]|").startswith("--")}
                assert opts <= _options(sub), f"{block}: {line}: {sorted(opts - _options(sub))}"
            elif words[:4] == ["python", "-m", "pip", "install"]:
                pass  # tests/test_packaging.py installs the package so, and runs the lines after it
            else:
                pytest.fail(f"{block}: no check for `{line}`")
    assert subcommands | {"--version"} <= listed, "every subcommand is in the README's command line"


# --- text ---------------------------------------------------------------------------------------


def test_refusal_text_is_what_the_command_prints(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (block,) = [b for b in of("text") if "refused:" in b.text]
    (in_tmp / "bad.yaml").write_text(
        "schema: t\nendian: little\nversions: [1, 2]\n"  # the padding hole of tests/test_schema_errors.py
        "structs:\n  - name: S\n    fields:\n      - {name: a, type: u8}\n      - {name: b, type: u32}\n"
    )
    assert run_cli("generate", "bad.yaml") == 2
    assert capsys.readouterr().err == block.text


def test_project_layout_names_folders_that_exist() -> None:
    (block,) = [b for b in of("text") if "generator/" in b.text]
    folders = [ln.split()[0] for ln in block.text.splitlines() if ln.strip()]
    assert folders and all((ROOT / f).is_dir() for f in folders), folders
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.splitlines()
    assert {f.split("/")[0] + "/" for f in tracked if "/" in f and not f.startswith(".")} == set(folders)


# --- yaml ---------------------------------------------------------------------------------------


def test_pre_commit_configuration_names_our_hooks_with_valid_arguments() -> None:
    (block,) = of("yaml")
    config = yaml.safe_load(block.text)
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    used = [h for repo in config["repos"] for h in repo["hooks"]]
    assert {h["id"] for h in used} == set(hooks)
    for h in used:
        entry = shlex.split(hooks[h["id"]]["entry"])
        assert entry[0] == "wiregen"
        parser().parse_args([*entry[1:], *h.get("args", hooks[h["id"]].get("args", []))])  # exits on a bad argument


# --- decode sessions ----------------------------------------------------------------------------


def _sessions() -> list[tuple[str, str]]:
    """(command, what it prints) of every ```console decode block."""
    out = []
    for block in of("console"):
        if block.info == ("decode",):
            for chunk in re.split(r"^\$ ", block.text, flags=re.M)[1:]:
                command, _, printed = chunk.partition("\n")
                out.append((command, printed))
    return out


@pytest.mark.parametrize("command, expected", _sessions(), ids=[c for c, _ in _sessions()])
def test_decode_sessions_print_what_the_readme_shows(command: str, expected: str) -> None:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"  # the project's wiregen
    done = subprocess.run(["bash", "-c", "set -o pipefail; " + command], cwd=ROOT, env=env() | {"PATH": path}, capture_output=True, text=True, timeout=60)
    assert done.stdout == expected
    assert done.returncode == (1 if "refused:" in expected else 0), done.stderr


def test_the_capture_is_the_same_bytes_in_both_forms() -> None:
    from wiregen.decode import read_hex_dump

    examples = ROOT / "docs" / "examples"
    assert read_hex_dump((examples / "key_release_v2_retry.txt").read_text()) == (examples / "key_release_v2_retry.bin").read_bytes()
    assert [c.split()[0] for c, _ in _sessions()] == ["cat", "wiregen", "head"]
