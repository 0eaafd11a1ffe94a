"""The README's API examples and decode sessions, run: the Python block from the repository root,
the Rust block in a scratch crate that depends on the generated crate, the C block with a `main`
under ASan and UBSan, and each `console decode` session command by command, its output compared
line for line."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

import c_toolchain
from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```$", re.M | re.S)
BLOCKS = [(m.group(1), m.group(2).split(), m.group(3)) for m in FENCE.finditer(README)]
RESPONSES = [
    struct.pack("<8I", 40, 2, 0x1234, 503, 1, 0, 0, 0) + b"payload!",  # retry
    struct.pack("<8I", 32, 2, 0, 0, 0, 0, 0, 0),  # success, no signal
    struct.pack("<2I", 8, 1),  # version 1
    struct.pack("<8I", 40, 2, 0, 0, 1, 0, 0, 0),  # data_size past the buffer
    b"\x08\x00\x00",  # shorter than the version field
]


def _one(lang: str, info: list[str] | None = None) -> str:
    found = [text for kind, words, text in BLOCKS if kind == lang and (info is None or words == info)]
    assert len(found) == 1, f"expected one ```{lang} block"
    return found[0]


def test_python_example_runs_from_the_repository_root() -> None:
    done = subprocess.run([sys.executable, "-c", _one("python")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "retry: error 0x1234, HTTP 503\n"


@pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo")
def test_rust_example_builds_with_only_the_generated_crate_and_runs(tmp_path: Path) -> None:
    calls = "\n".join(f"    println!(\"{{:?}}\", wants_retry(&{list(r)}[..]).map_err(|e| e.to_string()));" for r in RESPONSES)
    crate = tmp_path / "readme"
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.toml").write_text(
        '[package]\nname = "readme_example"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n'
        f'[dependencies]\nigvm_attest = {{ path = "{ROOT / "generated" / "rust" / "igvm_attest"}" }}\n\n[workspace]\n'
    )
    (crate / "src" / "main.rs").write_text(_one("rust") + f"\nfn main() {{\n{calls}\n}}\n")
    shutil.copy(ROOT / "generated" / "rust" / "Cargo.lock", crate / "Cargo.lock")
    env = dict(os.environ, CARGO_TARGET_DIR=os.environ.get("CARGO_TARGET_DIR", str(ROOT / "build" / "cargo-target")), RUSTFLAGS="-D warnings")
    done = subprocess.run(["cargo", "run", "--quiet"], cwd=crate, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-6000:]
    assert done.stdout.splitlines() == [
        "Ok(true)",
        "Ok(false)",
        "Ok(false)",
        'Err("IgvmAttestKeyReleaseResponse: header.data_size is 40, but the buffer (32 bytes) holds only 32 bytes from where it counts")',
        'Err("IgvmAttestKeyReleaseResponse: 3 bytes, 8 needed to read the version field header.version")',
    ]


def test_c_example_builds_without_a_warning_and_runs(tmp_path: Path) -> None:
    main = ["#include <stdio.h>", "#include <stdlib.h>", "#include <string.h>", "", "int main(void)", "{"]
    for i, r in enumerate(RESPONSES):
        main += [
            f"    static const uint8_t r{i}[] = {{{', '.join(map(str, r))}}};",
            f"    uint8_t *h{i} = (uint8_t *)malloc(sizeof r{i});",  # on the heap, so ASan sees any overread
            f"    memcpy(h{i}, r{i}, sizeof r{i});",
            f'    printf("%d\\n", wants_retry(h{i}, sizeof r{i}));',
            f"    free(h{i});",
        ]
    main += ["    return 0;", "}"]
    src = tmp_path / "readme.c"
    src.write_text(_one("c") + "\n" + "\n".join(main) + "\n")
    exe = tmp_path / "readme"
    inc = ["-iquote", str(ROOT / "generated" / "c")]
    c_toolchain.run(["gcc", *c_toolchain.C11, *c_toolchain.WARNINGS, *c_toolchain.SANITIZERS, *inc, "-o", str(exe), str(src)], quiet=True)
    done = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "0", "0", "-1", "-1"]


def _sessions() -> list[tuple[str, str]]:
    """(command, expected output) of every `console decode` block."""
    out = []
    for kind, words, text in BLOCKS:
        if kind == "console" and words == ["decode"]:
            for chunk in re.split(r"^\$ ", text, flags=re.M)[1:]:
                command, _, output = chunk.partition("\n")
                out.append((command, output))
    return out


@pytest.mark.parametrize("command, expected", _sessions(), ids=[c for c, _ in _sessions()])
def test_decode_sessions_print_what_the_readme_shows(command: str, expected: str) -> None:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(["bash", "-c", "set -o pipefail; " + command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout == expected
    assert done.returncode == (1 if "refused:" in expected else 0), done.stderr


def test_the_capture_is_the_same_bytes_in_both_forms() -> None:
    from wiregen.decode import read_hex_dump

    examples = ROOT / "docs" / "examples"
    assert read_hex_dump((examples / "key_release_v2_retry.txt").read_text()) == (examples / "key_release_v2_retry.bin").read_bytes()
    assert len(_sessions()) == 3
