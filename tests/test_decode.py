"""`wiregen decode`: raw bytes or a hex dump in, every part and field out with what it means, on
tests/schemas/messages.yaml; the bytes are packed by hand from the fixture's declarations."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

from wiregen.decode import read_hex_dump

SCHEMA = str(ROOT / "tests" / "schemas" / "messages.yaml")
CLAIMS = b'{"keys":[]}'


def request(version: int = 2, caps: int = 0b11, magic: int = 0x4D534731, pad: int = 0) -> bytes:
    fixed = {1: 32, 2: 36, 3: 44}[version]
    n = fixed + len(CLAIMS)
    base = struct.pack("<IIHH", magic, n, 9, pad) + bytes(range(1, 7)) + b"\0\0" + struct.pack("<IHHI", n - 20, version, 0, len(CLAIMS))
    return base + (struct.pack("<I", caps) if version >= 2 else b"") + (bytes(8) if version >= 3 else b"") + CLAIMS


def decode(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, data: bytes | str, *options: str) -> tuple[int, str]:
    path = tmp_path / "input"
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    status = run_cli("decode", SCHEMA, name, str(path), *options)
    return status, capsys.readouterr().out


def xxd(data: bytes) -> str:
    lines = []
    for at in range(0, len(data), 16):
        chunk = data[at : at + 16]
        groups = " ".join(chunk[i : i + 2].hex() for i in range(0, len(chunk), 2))
        lines.append(f"{at:08x}: {groups:<40}  {''.join(chr(b) if 32 <= b < 127 else '.' for b in chunk)}")
    return "\n".join(lines) + "\n"


def hexdump_c(data: bytes) -> str:
    lines = []
    for at in range(0, len(data), 16):
        chunk = data[at : at + 16]
        left, right = " ".join(f"{b:02x}" for b in chunk[:8]), " ".join(f"{b:02x}" for b in chunk[8:])
        lines.append(f"{at:08x}  {left:<23}  {right:<23}  |{''.join(chr(b) if 32 <= b < 127 else '.' for b in chunk)}|")
    return "\n".join(lines) + f"\n{len(data):08x}\n"


def test_hex_dumps_of_every_kind_read_as_the_raw_bytes() -> None:
    data = request()
    assert read_hex_dump(data.hex()) == data
    assert read_hex_dump(" ".join(f"{b:02X}" for b in data)) == data
    assert read_hex_dump(xxd(data)) == data
    assert read_hex_dump(hexdump_c(data)) == data
    assert read_hex_dump("not a dump\n") is None


def test_every_input_form_gives_the_same_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = request()
    reports = [decode(tmp_path, capsys, "Request", form) for form in (data, data.hex(), xxd(data), hexdump_c(data))]
    assert all(r == reports[0] for r in reports) and reports[0][0] == 0


def test_text_report_names_parts_fields_values_and_lengths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = decode(tmp_path, capsys, "Request", request() + b"extra")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"Request (message), version 2 (base.body.version): {47 + 5} bytes, the message takes 47; 5 bytes after it are not part of it"
    assert "       0    32  base: Base" in lines
    assert "       4     4      total                        47 (0x2f): counts the whole message" in lines
    assert "      24     2      version                      2 (V2)" in lines
    assert "      32     4  ext: Ext" in lines
    assert "      32     4    caps                           0x00000003: errors, retry" in lines
    assert '      36    11  claims (Claims, json)  "{\\"keys\\":[]}"' in lines
    assert "  base.body.body_size = 27: counts from base.body (byte 20) to the end, at least 16; the message ends at byte 47: ok" in lines
    assert "  base.body.claims_size = 11: counts the payload (from byte 36), at least 0; the message ends at byte 47: ok" in lines


def test_what_is_wrong_is_pointed_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = decode(tmp_path, capsys, "Request", request(caps=0x80000001, magic=0x12345678, pad=7))
    assert status == 0
    assert "0x80000001: errors  !! reserved bits set: 0x80000000 (mask 0xfffffffc)" in out
    assert "!! must be MAGIC 0x4d534731" in out
    assert "pad                          7  !! reserved, but not zero" in out


def test_refusal_names_the_field_and_the_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = decode(tmp_path, capsys, "Request", request()[:-3])
    assert status == 1
    assert out.splitlines()[-1] == "refused: Request: base.head.total is 47, but the buffer (44 bytes) holds only 44 bytes from where it counts"
    assert "base.head.total = 47: counts the whole message, at least 36; the message ends at byte 47: REFUSED" in out
    assert "      32     4  ext: Ext" in out  # what the buffer does hold is still shown
    status, out = decode(tmp_path, capsys, "Request", request()[:30])
    assert status == 1 and out.splitlines()[-1] == "refused: Request: 30 bytes, less than the 36 bytes of fixed parts of version 2"
    assert ": not checked" in out


def test_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = decode(tmp_path, capsys, "Response", struct.pack("<IIIHBB", 19, 2, 7, 0, 0b1, 0) + b"abc", "--json")
    report = json.loads(out)
    assert status == 0
    assert (report["name"], report["kind"], report["version"], report["size"], report["trailing"]) == ("Response", "message", 2, 19, 0)
    assert {"path": "status.flags", "offset": 14, "size": 1, "type": "u8", "value": 1} in report["fields"]
    assert report["lengths"] == [{"field": "header.size", "value": 19, "counts": "the whole message", "start": 0, "minimum": 16, "end": 19, "ok": True}]
    assert report["payload"] == {"name": "data", "blob": "bytes", "format": "binary", "offset": 16, "size": 3, "hex": "616263"}
    status, out = decode(tmp_path, capsys, "Response", struct.pack("<II", 19, 9), "--json")
    assert status == 1
    assert json.loads(out)["error"] == {
        "error": "version",
        "field": "header.version",
        "value": 9,
        "limit": None,
        "given": 8,
        "text": "Response: header.version is 9, not a version of this message (1, 2, 3)",
    }


def test_a_struct_decodes_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = decode(tmp_path, capsys, "Status", struct.pack("<IHBB", 5, 6, 7, 0))
    assert status == 0 and out.splitlines()[0] == "Status (struct): 8 bytes, all of them the struct"
    status, out = decode(tmp_path, capsys, "Status", b"\0" * 5)
    assert status == 1 and "refused: Status: 5 bytes, less than the 8 bytes of the struct" in out


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "input").write_bytes(b"\x01\x02")
    assert run_cli("decode", SCHEMA, "Nope", str(tmp_path / "input")) == 2
    assert "has no message or struct 'Nope'; it has Request, Response, PingMessage, Trailer" in capsys.readouterr().err
    assert run_cli("decode", SCHEMA, "Ping", str(tmp_path / "input"), "--hex") == 2
    assert "not a hex dump" in capsys.readouterr().err
