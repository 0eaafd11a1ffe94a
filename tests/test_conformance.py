"""Differential round trips across every target, on the IGVM schema and the feature zoo.

`make test` runs a fast pass (several thousand cases per type); `make conformance`
(CONFORMANCE_DEEP=1) runs a deep one and prints cases per second.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import conformance as cf
from conftest import IGVM_SCHEMA, ROOT, ZOO_SCHEMA

from wiregen import load_file, output

DEEP = os.environ.get("CONFORMANCE_DEEP") == "1"
EXAMPLES = 12 if DEEP else 1
PER_LAYOUT = 2000 if DEEP else 1400
BUILD = ROOT / "build" / "conformance"
TOTALS: dict[str, list[float]] = {}


def _prepare(name: str, out: Path) -> tuple:
    source = IGVM_SCHEMA if name == "igvm_attest" else ZOO_SCHEMA
    schema = load_file(source)
    output.write(output.render_all([schema]), out)
    targets = [
        cf.python_target(out, schema.name),
        cf.mypyc_target(source, out, schema.name, BUILD / "mypyc" / name),
        cf.rust_target(out, schema.name),
        cf.c_target(out, schema.name, BUILD / "c"),
    ]
    return schema, out, targets, cf.load_python_module(out, schema.name)


@pytest.fixture(scope="module", params=["igvm_attest", "zoo"])
def world(request: pytest.FixtureRequest) -> tuple:
    out = request.getfixturevalue("igvm_out") if request.param == "igvm_attest" else BUILD / "zoo"
    return _prepare(request.param, out)


def _tally(kind: str, cases: int, seconds: float) -> None:
    TOTALS.setdefault(kind, [0, 0.0])
    TOTALS[kind][0] += cases
    TOTALS[kind][1] += seconds


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**64 - 1))
def test_random_values_round_trip_through_every_target(world: tuple, seed: int) -> None:
    schema, _, targets, py = world
    values = cf.value_cases(schema, random.Random(seed), PER_LAYOUT)
    start = time.perf_counter()
    report = cf.round_trip(schema, py, targets, values)
    _tally("values", report.cases, time.perf_counter() - start)
    assert report, "\n\n".join(report.mismatches)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**64 - 1))
def test_random_bytes_decode_alike_or_are_refused_alike(world: tuple, seed: int) -> None:
    schema, _, targets, _ = world
    cases = cf.raw_cases(schema, random.Random(seed), PER_LAYOUT)
    start = time.perf_counter()
    report = cf.raw_agreement(schema, targets, cases)
    _tally("bytes", report.cases, time.perf_counter() - start)
    assert report, "\n\n".join(report.mismatches)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**64 - 1))
def test_random_bytes_read_as_each_explicit_layout_alike(world: tuple, seed: int) -> None:
    schema, _, targets, _ = world
    cases = cf.explicit_cases(schema, random.Random(seed), PER_LAYOUT // 4)
    start = time.perf_counter()
    report = cf.explicit_agreement(schema, targets, cases)
    _tally("explicit layouts", report.cases, time.perf_counter() - start)
    assert report, "\n\n".join(report.mismatches)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**64 - 1))
def test_messages_parse_and_build_alike(world: tuple, seed: int) -> None:
    """Messages from random parts and payloads, cut short, with lying length and version fields,
    and parts that do not match their version: every target answers as the reference codec."""
    schema, _, targets, py = world
    if not schema.messages:
        pytest.skip("the frozen IGVM fixture predates messages: the zoo's and tests/test_igvm_messages.py cover them")
    rng = random.Random(seed)
    bad = cf.python_message_builds(schema, py, rng, PER_LAYOUT // 10)
    cases, expected = cf.message_cases(schema, rng, PER_LAYOUT)
    start = time.perf_counter()
    report = cf.message_agreement(schema, targets, cases, expected)
    _tally("messages", report.cases, time.perf_counter() - start)
    kinds = {json.loads(e).get("error", "ok") for e in expected}
    assert {"ok", "short", "length-too-small", "length-too-large", "length-mismatch"} <= kinds, kinds
    assert not bad and report, "\n\n".join(bad[:10] + report.mismatches)


def test_malformed_lines_are_refused_alike(world: tuple) -> None:
    schema, _, targets, _ = world
    versioned = next((t.name for t in schema.structs if t.versioned), None)
    cases = [cf.Case("NoSuchType", "auto", b"\0" * 8), cf.Case(schema.structs[0].name, "auto", b"")]
    if versioned is not None:
        cases += [cf.Case(versioned, "9999", b"\0" * 64), cf.Case(versioned, "x", b"\0" * 64)]
    for message in schema.messages[:1]:
        flags = "1" * len(message.struct_parts)
        cases += [
            cf.Case(message.name, "bogus", b"\0" * 8),
            cf.Case(message.name, "build:" + flags + "1", b"\0" * 8),  # a flag too many
            cf.Case(message.name, "build:" + "2" * len(flags), b"\0" * 8),
            cf.Case(message.name, "build:" + "0" * len(flags), b""),  # the first part is in every version
            cf.Case(message.name, "build:" + flags, b"\0"),  # shorter than the parts
        ]
    answers = {t.name: t.run(cases) for t in targets}
    report = cf.compare(schema, cases, answers)
    assert report, "\n\n".join(report.mismatches)
    assert [json.loads(a).get("error") for a in answers["python"]] == ["bad-input", "short"] + ["bad-input"] * (len(cases) - 2)


def test_zz_report_rate(capsys: pytest.CaptureFixture[str]) -> None:
    """Prints how many cases ran and how fast (shown with -s, as `make conformance` runs it)."""
    assert TOTALS, "the conformance tests above ran no case"
    with capsys.disabled():
        total = sum(n for n, _ in TOTALS.values())
        seconds = sum(t for _, t in TOTALS.values())
        parts = ", ".join(f"{kind}: {int(n)} cases" for kind, (n, _) in TOTALS.items())
        print(f"\nconformance: {int(total)} cases ({parts}) in {seconds:.1f} s = {total / seconds:,.0f} cases/s")
