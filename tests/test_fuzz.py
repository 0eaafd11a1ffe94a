"""No schema breaks a target: a fixed batch of the schema fuzzer, and every regression case.

One batch, built as `make test` builds the project's own targets (tests/fuzz_build.py: one Cargo
workspace, one compiler run per compiler):
- FIXED random schemas of tests/fuzz_schemas.py (seed SEED): each is refused with positioned
  problems, or built and tested in every target;
- tests/schemas/hostile/*.yaml: one schema per class of input that once broke a target (doc text,
  degenerate schemas, size and depth), written by hand;
- tests/fuzz_cases/*.yaml: the schemas `make fuzz` found failing, shrunk.
A case's leading comments say what it must give: `# expect: built` (every target builds and
passes its tests), or `# expect: refused` and `# expect: LINE:COL FRAGMENT` per problem; and
`# expect-in PATH: TEXT` / `# expect-not-in PATH: TEXT` about a generated file.
The batch is kept under build/fuzz-test, so a second run rebuilds only what changed.
"""

from __future__ import annotations

import functools
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import fuzz
import fuzz_build
import pytest
from fuzz_schemas import to_yaml

from wiregen.layout import MAX_NESTING, MAX_TYPE_SIZE

ROOT = Path(__file__).resolve().parent.parent
SEED = 12
FIXED = 20
CASES = sorted((ROOT / "tests" / "schemas" / "hostile").glob("*.yaml")) + sorted((ROOT / "tests" / "fuzz_cases").glob("*.yaml"))
WORK = ROOT / "build" / "fuzz-test"


@functools.lru_cache(maxsize=None)
def _fixed() -> dict[str, str]:
    # drawn in a fresh interpreter: in a test process, Hypothesis's state left by the property tests
    # that ran before changes what one seed draws, and the batch must be the same on every run
    script = f"import json, fuzz; print(json.dumps(fuzz.draw({FIXED}, {SEED})))"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "tests"), PYTHONHASHSEED="0")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=600, check=True)
    drawn = json.loads(done.stdout)
    return {name: to_yaml(schema) for name, schema in fuzz.batch(drawn, "fixed", random.Random(SEED)).items()}


# The size and depth classes: the limits of the language, each built in every target (a Rust test
# once overflowed its stack on a type of 128 KiB and on an enum of 10,000 values; structs nested 64
# levels deep went past rustc's recursion limit in zerocopy's derives). A C codec that passed large
# embedded structs by value overflowed its stack under ASan on a fuzz schema of 700 KB structs (36 MB
# of vectors): test_c_target.py's test_codec_frames_do_not_grow_with_the_structs_it_embeds keeps it
# fixed, with gcc's measure of every frame.
SIZES = {
    "size_nesting": "schema: size_nesting\nendian: little\nstructs:\n"
    + "".join(f"  - name: Level{i}\n    fields:\n      - {{name: inner, type: Level{i + 1}}}\n" for i in range(1, MAX_NESTING))
    + f"  - name: Level{MAX_NESTING}\n    fields:\n      - {{name: x, type: u32}}\n",
    "size_large": "schema: size_large\nendian: little\nstructs:\n  - name: Big\n    fields:\n"
    "      - {name: head, type: u32}\n      - {name: body, type: 'u8[131072]'}\n      - {name: words, type: 'u32[16]'}\n",
    "size_largest": "schema: size_largest\nendian: little\nstructs:\n  - name: Pair\n    fields:\n      - {name: a, type: u32}\n"
    f"      - {{name: b, type: u32}}\n  - name: Largest\n    fields:\n      - {{name: pairs, type: 'Pair[{MAX_TYPE_SIZE // 8}]'}}\n",
    "size_enum": "schema: size_enum\nendian: little\nenums:\n  - name: Many\n    type: u16\n    values:\n"
    + "".join(f"      - {{name: V{i}, value: {i}}}\n" for i in range(10_000)),
}


@pytest.fixture(scope="module")
def outcomes() -> dict[str, fuzz_build.Outcome]:
    texts = {**_fixed(), **SIZES}
    for path in CASES:
        texts[path.stem] = path.read_text(encoding="utf-8")
    start = time.monotonic()
    log = (lambda stage: print(f"{time.monotonic() - start:6.1f} s {stage}", flush=True)) if os.environ.get("FUZZ_LOG") else (lambda _: None)
    return fuzz_build.run(texts, WORK, log=log)


@pytest.mark.parametrize("name", SIZES)
def test_the_limits_of_the_language_build_in_every_target(name: str, outcomes: dict[str, fuzz_build.Outcome]) -> None:
    outcome = outcomes[name]
    assert outcome.status == "passed", f"{outcome.status} at {outcome.stage}:\n{outcome.detail}"


def test_the_fixed_batch_is_refused_or_built_everywhere(outcomes: dict[str, fuzz_build.Outcome]) -> None:
    fixed = {n: outcomes[n] for n in _fixed()}
    failed = {n: o for n, o in fixed.items() if o.status == "failed"}
    assert not failed, "\n\n".join(f"{n} failed at {o.stage}:\n{o.detail}\n{(WORK / 'schemas' / f'{n}.yaml').read_text()}" for n, o in failed.items())
    built = sum(o.status == "passed" for o in fixed.values())
    refused = "\n".join(f"{n}: {o.detail.strip().splitlines()[0] if o.detail.strip() else o.stage}" for n, o in fixed.items() if o.status == "refused")
    assert built >= FIXED * 3 // 4, f"only {built} of {len(fixed)} random schemas were built: the fuzzer draws too few valid schemas; refused:\n{refused}"


def _expectations(text: str) -> list[tuple[str, str]]:
    return re.findall(r"^# (expect(?:-in|-not-in)?)(?:: | )(.*)$", text, re.M)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_regression_case(path: Path, outcomes: dict[str, fuzz_build.Outcome]) -> None:
    text = path.read_text(encoding="utf-8")
    assert re.search(rf"^schema: {path.stem}$", text, re.M), "a case's schema is named like its file"
    outcome = outcomes[path.stem]
    expect = _expectations(text)
    assert expect and expect[0][0] == "expect" and expect[0][1] in ("built", "refused"), "the first expectation says built or refused"
    want = expect[0][1]
    assert outcome.status == ("passed" if want == "built" else "refused"), f"{outcome.status} at {outcome.stage}:\n{outcome.detail}"
    for kind, rest in expect[1:]:
        if kind == "expect":
            where, fragment = rest.split(" ", 1)
            assert any(f":{where}: " in ln and fragment in ln for ln in outcome.detail.splitlines()), f"no problem at {where} with {fragment!r}:\n{outcome.detail}"
        else:
            rel, snippet = rest.split(": ", 1)
            generated = (WORK / "out" / rel).read_text(encoding="utf-8")
            assert (snippet in generated) == (kind == "expect-in"), f"{rel}: {kind} {snippet!r}"


def test_the_schema_path_is_shown_escaped_in_every_banner(in_tmp: Path) -> None:
    """A path with comment terminators, quotes, a line break and a bidirectional control goes
    into every banner as text: each generated file still parses, and the line break shows as an
    escape."""
    import json
    import shutil
    import subprocess
    import tomllib

    from conftest import run_cli

    odd = in_tmp / "dir*" / 'na me -->\n"q" `t` <b> \u202e.yaml'
    odd.parent.mkdir()
    odd.write_text("schema: odd_path\nendian: little\nstructs:\n  - name: S\n    fields:\n      - {name: a, type: u8}\n", encoding="utf-8")
    assert run_cli("generate", str(odd.relative_to(in_tmp)), "--out", "out") == 0
    shown = 'dir*/na me -->\\u{000a}"q" `t` <b> \\u{202e}.yaml'
    for path in sorted((in_tmp / "out").rglob("*")):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":  # data, not a banner: the path as it is
            assert json.loads(text)["generated_from"] == str(odd.relative_to(in_tmp))
            continue
        head = "\n".join(text.splitlines()[:4])
        assert shown in head.replace("*\\/", "*/").replace("&gt;", ">"), path
        if path.suffix == ".py":
            compile(text, str(path), "exec")
        elif path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix == ".md":
            assert text.index("-->") > text.index("Do not edit"), "the banner's HTML comment ends after the banner"
        elif path.suffix == ".h" and shutil.which("gcc"):
            subprocess.run(["gcc", "-x", "c", "-std=c11", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", str(path)], check=True)
    # Rust files went through rustfmt, which parses them, when they were generated.
    assert (in_tmp / "out" / "rust" / "odd_path" / "src" / "lib.rs").exists()
