"""Messages in the schema language: loader errors, the layout engine's placement of parts and
length fields, and the reference codec's parse and build, on tests/schemas/messages.yaml.

Expected bytes are packed by hand with `struct`, from the fixture's own declarations."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

from wiregen import codec, load_file
from wiregen.model import SIZE

FIXTURE = ROOT / "tests" / "schemas" / "messages.yaml"
HEAD = "schema: t\nendian: little\nversions: [1, 2]\n"  # lines 1-3
STRUCTS = """
structs:
  - name: H
    fields:
      - {name: size, type: u32}
      - {name: version, type: u32}
      - {name: code, type: i32}
      - {name: arr, type: 'u32[2]'}
      - {name: fixed, type: u32, value: 7}
  - name: X
    fields:
      - {name: a, type: u32}
  - name: V
    version_field: v
    fields:
      - {name: v, type: u32}
      - {name: w, type: u32, since: 2}
enums:
  - name: E
    type: u8
    values:
      - {name: A, value: 1}
"""  # lines 4-24; messages start on line 25


def s(messages: str) -> str:
    return HEAD + STRUCTS.lstrip("\n") + textwrap.dedent(messages).lstrip("\n")


# (id, messages text from line 25, [(line, token, path, fragment)]), as in test_schema_errors.py.
CASES = [
    ("no-parts", "messages:\n  - {name: M, parts: []}\n", [(26, "[]", "messages[0].parts", "at least one part")]),
    ("part-both", "messages:\n  - name: M\n    parts:\n      - {name: a, type: H, payload: bytes}\n", [(28, "{", "messages[0].parts[0]", "exactly one of")]),
    ("part-not-struct", "messages:\n  - name: M\n    parts:\n      - {name: a, type: E}\n", [(28, "E}", "messages[0].parts[0].type", "E is an enum")]),
    ("part-unknown", "messages:\n  - name: M\n    parts:\n      - {name: a, type: Nope}\n", [(28, "Nope", "messages[0].parts[0].type", "unknown struct 'Nope'")]),
    ("part-scalar", "messages:\n  - name: M\n    parts:\n      - {name: a, type: u32}\n", [(28, "u32", "messages[0].parts[0].type", "u32 is a scalar")]),
    (
        "payload-not-last",
        "messages:\n  - name: M\n    parts:\n      - {name: a, type: H}\n      - {name: p, payload: bytes}\n      - {name: b, type: X}\n",
        [(30, "{", "messages[0].parts[2]", "must be the last part")],
    ),
    (
        "two-payloads",
        "messages:\n  - name: M\n    parts:\n      - {name: a, type: H}\n      - {name: p, payload: bytes}\n      - {name: q, payload: bytes}\n",
        [(30, "bytes}", "messages[0].parts[2].payload", "at most one")],
    ),
    (
        "payload-since",
        "messages:\n  - name: M\n    parts:\n      - {name: a, type: H}\n      - {name: p, payload: bytes, since: 2}\n",
        [(29, "2}", "messages[0].parts[1].since", "only a struct part can be added")],
    ),
    ("payload-bad-name", "messages:\n  - name: M\n    parts:\n      - {name: a, type: H}\n      - {name: p, payload: blob}\n", [(29, "blob", "messages[0].parts[1].payload", "expected `bytes`")]),
    ("payload-names-type", "messages:\n  - name: M\n    parts:\n      - {name: a, type: H}\n      - {name: p, payload: X}\n", [(29, "X}", "messages[0].parts[1].payload", "'X' is a struct")]),
    ("payload-format", "messages:\n  - name: M\n    parts:\n      - {name: a, type: H}\n      - {name: p, payload: bytes, format: xml}\n", [(29, "xml", "messages[0].parts[1].format", "binary, text, json")]),
    ("format-on-struct", "messages:\n  - name: M\n    parts:\n      - {name: a, type: H, format: json}\n", [(28, "json", "messages[0].parts[0].format", "a struct part has none")]),
    ("duplicate-part", "messages:\n  - name: M\n    parts:\n      - {name: a, type: H}\n      - {name: a, type: X}\n", [(29, "a,", "messages[0].parts[1].name", "duplicate part name 'a'")]),
    ("name-clash", "messages:\n  - name: X\n    parts:\n      - {name: a, type: H}\n", [(26, "X", "messages[0].name", "already defined")]),
    (
        "versioned-struct-part",
        "messages:\n  - name: M\n    parts:\n      - {name: a, type: V}\n",
        [(28, "V}", "messages[0].parts[0].type", "has versions (4 bytes in version 1, 8 bytes in version 2)")],
    ),
    (
        "needs-version-field",
        "messages:\n  - name: M\n    parts:\n      - {name: a, type: H}\n      - {name: b, type: X, since: 2}\n",
        [(26, "name", "messages[0]", "needs `version_field:`")],
    ),
    (
        "since-order",
        "messages:\n  - name: M\n    version_field: a.version\n    parts:\n      - {name: a, type: H}\n      - {name: b, type: X, since: 2}\n      - {name: c, type: X}\n",
        [(31, "{", "messages[0].parts[2]", "non-decreasing `since` order")],
    ),
    (
        "first-part-since",
        "messages:\n  - name: M\n    version_field: a.version\n    parts:\n      - {name: a, type: H, since: 2}\n",
        [(29, "2}", "messages[0].parts[0].since", "must be in every version")],
    ),
    (
        "version-field-problems",
        """
        messages:
          - name: M
            version_field: b.a
            parts:
              - {name: a, type: H}
              - {name: b, type: X, since: 2}
          - name: Q
            version_field: a.code
            parts:
              - {name: a, type: H}
          - name: O
            version_field: a.nope
            parts:
              - {name: a, type: H}
          - name: P
            version_field: z.size
            parts:
              - {name: a, type: H}
        """,
        [
            (27, "b.a", "messages[0].version_field", "only there from version 2"),
            (32, "a.code", "messages[1].version_field", "must be an unsigned integer"),
            (36, "a.nope", "messages[2].version_field", "H has no field 'nope'"),
            (40, "z.size", "messages[3].version_field", "no struct part 'z'"),
        ],
    ),
    (
        "length-problems",
        """
        messages:
          - name: M
            version_field: a.version
            parts:
              - {name: a, type: H}
              - {name: b, type: X, since: 2}
              - {name: p, payload: bytes}
            lengths:
              - {field: a.code, counts: message}
              - {field: a.arr, counts: message}
              - {field: a.fixed, counts: message}
              - {field: a.version, counts: message}
              - {field: b.a, counts: message}
              - {field: a.size, counts: everything}
              - {field: a.size, counts: {from: a.nope}}
              - {field: a, counts: payload}
        """,
        [
            (33, "a.code", "messages[0].lengths[0].field", "must be an unsigned integer"),
            (34, "a.arr", "messages[0].lengths[1].field", "it is u32[2]"),
            (35, "a.fixed", "messages[0].lengths[2].field", "is fixed"),
            (36, "a.version", "messages[0].lengths[3].field", "is the version field"),
            (37, "b.a", "messages[0].lengths[4].field", "only there from version 2"),
            (38, "everything", "messages[0].lengths[5].counts", "expected `message`"),
            (39, "a.size, counts: {", "messages[0].lengths[6].field", "already a length field"),
            (40, "a,", "messages[0].lengths[7].field", "it is the whole part 'a'"),
        ],
    ),
    (
        "version-agreement-problems",
        """
        messages:
          - name: M
            version_field: a.version
            version_agreement: strict
            parts:
              - {name: a, type: H}
          - name: Q
            version_agreement: negotiated
            parts:
              - {name: a, type: H}
        """,
        [
            (28, "strict", "messages[0].version_agreement", "expected `refused`"),
            (32, "negotiated", "messages[1].version_agreement", "needs `version_field:`"),
        ],
    ),
    (
        "current-version-problems",
        """
        constants:
          - {name: CURRENT, type: u32, value: 2}
          - {name: FUTURE, type: u32, value: 3}
          - {name: NARROW, type: u16, value: 2}
          - {name: NAMED, type: E, value: A}
        messages:
          - name: M
            version_field: a.version
            current_version: NOPE
            parts:
              - {name: a, type: H}
          - name: Q
            version_field: a.version
            current_version: FUTURE
            parts:
              - {name: a, type: H}
          - name: O
            version_field: a.version
            current_version: NARROW
            parts:
              - {name: a, type: H}
          - name: P
            version_field: a.version
            current_version: NAMED
            parts:
              - {name: a, type: H}
          - name: R
            current_version: CURRENT
            parts:
              - {name: a, type: H}
        """,
        [
            (33, "NOPE", "messages[0].current_version", "'NOPE' is no constant of this schema"),
            (38, "FUTURE", "messages[1].current_version", "is 3, which is not a version of Q (1, 2)"),
            (43, "NARROW", "messages[2].current_version", "has type u16, but the version field 'a.version' has type u32"),
            (48, "NAMED", "messages[3].current_version", "has type E, but the version field 'a.version' has type u32"),
            (52, "CURRENT", "messages[4].current_version", "needs `version_field:`"),
        ],
    ),
    (
        "length-from-and-payload",
        """
        messages:
          - name: M
            parts:
              - {name: a, type: H}
            lengths:
              - {field: a.size, counts: payload}
          - name: Q
            parts:
              - {name: a, type: H}
              - {name: p, payload: bytes}
            lengths:
              - {field: a.size, counts: {from: a.nope}}
        """,
        [
            (30, "payload}", "messages[0].lengths[0].counts", "no payload part"),
            (36, "a.nope", "messages[1].lengths[0].counts.from", "H has no field 'nope'"),
        ],
    ),
]


@pytest.mark.parametrize("text, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_refused_with_marks(in_tmp: Path, capsys: pytest.CaptureFixture[str], text: str, expected: list) -> None:
    text = s(text)
    (in_tmp / "bad.yaml").write_text(text)
    assert run_cli("generate", "bad.yaml", "--out", "out") == 2
    err = capsys.readouterr().err
    lines = text.splitlines()
    for line, token, path, fragment in expected:
        col = lines[line - 1].index(token) + 1 if token else 1
        prefix = f"bad.yaml:{line}:{col}: {path + ': ' if path else ''}"
        hits = [ln for ln in err.splitlines() if ln.startswith(prefix) and fragment in ln]
        assert hits, f"expected a line starting {prefix!r} containing {fragment!r} in:\n{err}"
    assert len([ln for ln in err.splitlines() if ln.startswith("bad.yaml:")]) == len(expected), err
    assert not (in_tmp / "out").exists()


def test_narrow_length_field_refused(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = HEAD + textwrap.dedent("""
        structs:
          - name: Big
            fields:
              - {name: len, type: u8}
              - {name: body, type: 'u8[300]'}
        messages:
          - name: M
            parts:
              - {name: a, type: Big}
            lengths:
              - {field: a.len, counts: message}
        """).lstrip("\n")
    (in_tmp / "bad.yaml").write_text(text)
    assert run_cli("check", "bad.yaml") == 2
    assert "bad.yaml:14:17: messages[0].lengths[0].field: length field 'a.len' is a u8, too narrow for the 301 fixed bytes it counts" in capsys.readouterr().err


def test_version_field_too_narrow_for_a_version_refused(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "schema: t\nendian: little\n" + textwrap.dedent("""
        structs:
          - name: H
            fields:
              - {name: version, type: u8}
          - name: X
            fields:
              - {name: a, type: u32}
        messages:
          - name: M
            version_field: h.version
            parts:
              - {name: h, type: H}
              - {name: x, type: X, since: 256}
        """).lstrip("\n")
    (in_tmp / "bad.yaml").write_text(text)
    assert run_cli("check", "bad.yaml") == 2
    err = capsys.readouterr().err
    assert "bad.yaml:12:20: messages[0].version_field: version_field 'h.version' is u8, which cannot hold version 256 of M" in err, err


@pytest.mark.parametrize(
    "constant, fragment",
    [
        ("{name: C, type: E, value: B}", "'B' is not a value of E"),
        ("{name: C, type: E, value: 300}", "300 does not fit E's u8"),
        ("{name: C, type: X, value: 1}", "got struct X"),
        ("{name: C, type: Nope, value: 1}", "'Nope', which this schema does not define"),
        ("{name: C, type: u128, value: 1}", "expected an integer type"),
        ("{name: C, type: size, value: -1}", "-1 does not fit size (0..4294967295)"),
    ],
)
def test_constant_types(in_tmp: Path, capsys: pytest.CaptureFixture[str], constant: str, fragment: str) -> None:
    (in_tmp / "bad.yaml").write_text(HEAD + STRUCTS.lstrip("\n") + f"constants:\n  - {constant}\n")
    assert run_cli("check", "bad.yaml") == 2
    err = capsys.readouterr().err
    assert "bad.yaml:26:" in err and fragment in err, err


def test_constructor_problems(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = HEAD + textwrap.dedent("""
        structs:
          - name: S
            constructor: [b, fixed, nope, b]
            fields:
              - {name: a, type: u32}
              - {name: b, type: u32}
              - {name: fixed, type: u32, value: 1}
          - name: T
            constructor: [a]
            fields:
              - {name: a, type: u32}
              - {name: b, type: u32}
        """).lstrip("\n")
    (in_tmp / "bad.yaml").write_text(text)
    assert run_cli("check", "bad.yaml") == 2
    err = capsys.readouterr().err
    assert "bad.yaml:6:22: structs[0].constructor[1]: 'fixed' is fixed" in err
    assert "bad.yaml:6:29: structs[0].constructor[2]: S has no field 'nope'" in err
    assert "bad.yaml:6:35: structs[0].constructor[3]: 'b' is listed twice" in err
    assert "bad.yaml:12:18: structs[1].constructor: the constructor of T must take every field that is neither fixed nor reserved; missing: b" in err


# --- layout ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema():
    return load_file(FIXTURE)


def test_parts_placed_per_version(schema) -> None:
    req = schema.message("Request")
    assert req.versions == [1, 2, 3]
    assert [(lay.version, lay.fixed_size, [(p.part.name, p.offset, p.size) for p in lay.parts]) for lay in req.layouts] == [
        (1, 32, [("base", 0, 32)]),
        (2, 36, [("base", 0, 32), ("ext", 32, 4)]),
        (3, 44, [("base", 0, 32), ("ext", 32, 4), ("ext3", 36, 8)]),
    ]
    assert req.version_offset == 24  # base.body (20) + version (4)
    total, body_size, claims = req.lengths
    assert (total.offset, total.start, body_size.offset, body_size.start, claims.offset, claims.start) == (4, 0, 20, 20, 28, None)
    assert [lay.minimum(body_size) for lay in req.layouts] == [12, 16, 24]
    assert [lay.minimum(claims) for lay in req.layouts] == [0, 0, 0]
    resp = schema.message("Response")
    assert [(lay.version, lay.fixed_size) for lay in resp.layouts] == [(1, 8), (2, 16), (3, 16)]
    ping = schema.message("PingMessage")
    assert not ping.versioned and [lay.fixed_size for lay in ping.layouts] == [4]


def test_constants_of_size_and_enum_types(schema) -> None:
    consts = {c.name: c for c in schema.constants}
    assert consts["BLOCK_SIZE"].type is SIZE and consts["BLOCK_SIZE"].value == 512
    assert consts["CURRENT"].type is schema.type("Version") and consts["CURRENT"].value == 2
    assert consts["NEWEST"].value == 3
    assert [f.name for f in schema.type("Body").constructor] == ["version", "body_size", "claims_size"]


# --- the reference codec --------------------------------------------------------------------


def _request(version: int, claims: bytes, *, total: int | None = None, body: int | None = None, csize: int | None = None) -> bytes:
    """A Request packed by hand: Base (head, report, pad, body), Ext from v2, Ext3 from v3, claims."""
    fixed = {1: 32, 2: 36, 3: 44}[version]
    n = fixed + len(claims)
    head = struct.pack("<IIHH", 0x4D534731, n if total is None else total, 9, 0)
    base = head + bytes(range(1, 7)) + b"\0\0" + struct.pack("<IHHI", n - 20 if body is None else body, version, 0, len(claims) if csize is None else csize)
    ext = struct.pack("<I", 3) if version >= 2 else b""
    ext3 = struct.pack("<Q", 0x1122334455667788) if version >= 3 else b""
    return base + ext + ext3 + claims


def _request_parts(version: int) -> dict:
    body = {"body_size": 0, "version": version, "spare": 0, "claims_size": 0}
    base = {"head": {"magic": 0x4D534731, "total": 0, "kind": 9, "pad": 0}, "report": [1, 2, 3, 4, 5, 6], "pad": [0, 0], "body": body}
    return {
        "base": base,
        "ext": {"caps": {"errors": True, "retry": True, "_reserved": 0}} if version >= 2 else None,
        "ext3": {"extra": 0x1122334455667788} if version >= 3 else None,
    }


@pytest.mark.parametrize("version", [1, 2, 3])
def test_build_fills_every_length_and_parse_reads_it_back(schema, version: int) -> None:
    req = schema.message("Request")
    claims = b'{"keys":[]}'
    data = codec.build_message(req, _request_parts(version), claims)
    assert data == _request(version, claims)
    parsed = codec.parse_message(req, data + b"trailing bytes are not the message's")
    assert parsed["version"] == version and parsed["payload"] == claims and parsed["end"] == len(data)
    assert codec.build_message(req, parsed["parts"], parsed["payload"]) == data


FAULTS = [
    # (bytes, kind, field, value, limit)
    (_request(2, b"xy")[:25], "short", "base.body.version", None, 26),
    (_request(2, b"xy")[:35], "short", None, 2, 36),
    (_request(2, b"xy", total=30), "length-too-small", "base.head.total", 30, 36),
    (_request(2, b"xy", total=39), "length-too-large", "base.head.total", 39, 38),
    (_request(2, b"xy", body=17), "length-mismatch", "base.body.body_size", 17, 18),
    (_request(2, b"xy", csize=1), "length-mismatch", "base.body.claims_size", 1, 2),
    (_request(1, b"xy", csize=3), "length-too-large", "base.body.claims_size", 3, 2),
]


@pytest.mark.parametrize("data, kind, field, value, limit", FAULTS, ids=[f"{f[1]}-{f[2]}" for f in FAULTS])
def test_parse_refuses_with_the_numbers(schema, data: bytes, kind: str, field: str | None, value, limit) -> None:
    with pytest.raises(codec.MessageFault) as e:
        codec.parse_message(schema.message("Request"), data)
    assert (e.value.kind, e.value.field, e.value.value, e.value.limit, e.value.given) == (kind, field, value, limit, len(data))
    assert str(e.value).startswith("Request: ")


def test_unknown_version_refused(schema) -> None:
    data = bytearray(_request(2, b""))
    struct.pack_into("<H", data, 24, 7)
    with pytest.raises(codec.MessageFault, match=r"Request: base.body.version is 7, not a version of this message \(1, 2, 3\)"):
        codec.parse_message(schema.message("Request"), bytes(data))


def test_build_refuses_parts_the_version_excludes_or_needs(schema) -> None:
    req = schema.message("Request")
    parts = _request_parts(1)
    parts["ext"] = {"caps": {"errors": True, "retry": False, "_reserved": 0}}
    with pytest.raises(codec.MessageFault, match="part ext is not in version 1 .only from version 2 on.") as e:
        codec.build_message(req, parts)
    assert (e.value.kind, e.value.field, e.value.value, e.value.limit) == ("part-excluded", "ext", 1, 2)
    parts = _request_parts(3)
    parts["ext3"] = None
    with pytest.raises(codec.MessageFault) as e:
        codec.build_message(req, parts)
    assert (e.value.kind, e.value.field, e.value.value, e.value.limit) == ("part-missing", "ext3", 3, 3)


def test_message_without_payload_and_with_a_narrow_length(schema) -> None:
    ping = schema.message("PingMessage")
    assert codec.build_message(ping, {"ping": {"len": 0, "seq": 5, "id": 0x1234}}) == bytes([4, 5, 0x34, 0x12])
    with pytest.raises(codec.MessageFault) as e:
        codec.parse_message(ping, bytes([3, 5, 0x34, 0x12]))
    assert (e.value.kind, e.value.limit) == ("length-too-small", 4)
    with pytest.raises(codec.MessageFault) as e:
        codec.parse_message(ping, bytes([5, 5, 0x34, 0x12, 0]))
    assert (e.value.kind, e.value.value, e.value.limit) == ("length-mismatch", 5, 4)


def test_payload_without_length_runs_to_the_end(schema) -> None:
    trailer = schema.message("Trailer")
    parsed = codec.parse_message(trailer, bytes([1, 2, 3, 4]) + b"rest")
    assert parsed["payload"] == b"rest" and parsed["end"] == 8


def test_length_overflow_on_build(schema) -> None:
    ping = schema.message("PingMessage")
    assert ping.lengths[0].scalar.max == 255
    resp = schema.message("Response")
    parts = {"header": {"size": 0, "version": 1}, "status": None}
    assert codec.build_message(resp, parts, b"abc") == struct.pack("<II", 11, 1) + b"abc"


# --- the generated tests of every target check the message vectors ------------------------


@pytest.fixture(scope="module")
def zoo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from wiregen import output

    out = tmp_path_factory.mktemp("zoo-messages")
    output.write(output.render_all([load_file(ROOT / "tests" / "schemas" / "zoo.yaml")]), out)
    return out


def _lie_about_one_refusal(vectors: Path) -> str:
    """Changes the limit of one message refusal in the vector file; returns the original text."""
    text = vectors.read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("Envelope parse ") and '"error":"length-too-large"' in ln)
    answer = json.loads(line.split(" ", 4)[4])
    lie = line.replace(f'"limit":{answer["limit"]},', f'"limit":{answer["limit"] + 1},')
    assert lie != line
    vectors.write_text(text.replace(line, lie))
    return text


def test_message_vectors_are_lines_of_every_codec(zoo_out: Path) -> None:
    lines = [ln for ln in (zoo_out / "vectors" / "zoo.txt").read_text().splitlines() if ln.startswith(("Envelope ", "Tick "))]
    kinds = {json.loads(ln.split(" ", 4)[4]).get("error", "built" if " build:" in ln else "parsed") for ln in lines}
    assert kinds >= {"built", "parsed", "short", "version", "magic", "length-too-small", "length-too-large", "length-mismatch", "part-excluded", "part-missing", "length-overflow"}, kinds


def test_python_vector_test_checks_messages_and_can_fail(zoo_out: Path) -> None:
    test = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_zoo.py", "-k", "codec_answers"]
    done = subprocess.run(test, cwd=zoo_out / "python", capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and " passed" in done.stdout, done.stdout + done.stderr
    original = _lie_about_one_refusal(zoo_out / "vectors" / "zoo.txt")
    try:
        done = subprocess.run(test, cwd=zoo_out / "python", capture_output=True, text=True, timeout=600)
        assert done.returncode == 1 and "1 vector(s) failed" in done.stdout and "Envelope" in done.stdout, done.stdout
    finally:
        (zoo_out / "vectors" / "zoo.txt").write_text(original)


def test_c_vector_test_checks_messages_and_can_fail(zoo_out: Path, tmp_path: Path) -> None:
    from c_toolchain import C11, BuildError, build_and_run

    test_c = zoo_out / "c" / "test_zoo.c"
    (line,) = build_and_run(test_c, tmp_path, [("gcc", C11)], quiet=True)
    assert line.endswith(" passed, 0 failed")
    original = _lie_about_one_refusal(zoo_out / "vectors" / "zoo.txt")
    try:
        with pytest.raises(BuildError, match="1 failed"):
            build_and_run(test_c, tmp_path / "again", [("gcc", C11)], quiet=True)
    finally:
        (zoo_out / "vectors" / "zoo.txt").write_text(original)


def test_the_reference_page_says_how_versions_are_agreed_and_which_is_sent() -> None:
    from wiregen.loader import load_text
    from wiregen.targets import docs

    text = s(
        """
        constants:
          - {name: CURRENT, type: u32, value: 2}
        messages:
          - name: M
            version_field: a.version
            version_agreement: negotiated
            current_version: CURRENT
            parts:
              - {name: a, type: H}
              - {name: b, type: X, since: 2}
          - name: Q
            version_field: a.version
            parts:
              - {name: a, type: H}
        """
    )
    (page,) = docs.render(load_text(text, "t.yaml")).values()
    m, q = page.split("\n## M\n")[1].split("\n## Q\n")
    assert "The version is negotiated: a peer sends a version only to a peer that reads it (`version_agreement: negotiated`).\nPeers built from this schema send version 2 (`CURRENT`).\n" in m
    assert "version_agreement" not in q and "Peers built" not in q
