"""docs/schema-language.md: every example is a schema the loader reads (tests/test_json_schema.py
holds the same examples to the JSON Schema), every refused example is refused with exactly the
messages shown after it, and the editor set-up it describes finds the JSON Schema."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from markdown_blocks import Block, blocks

from wiregen.loader import JSON_SCHEMA, KEYS, load_text

DOCS = ROOT / "docs" / "schema-language.md"
BLOCKS = blocks(DOCS)


def _examples(refused: bool) -> list[Block]:
    return [b for b in BLOCKS if b.lang == "yaml" and ("refused" in b.info) == refused]


@pytest.mark.parametrize("block", _examples(False), ids=str)
def test_example_loads(block: Block) -> None:
    load_text(block.text, f"docs/schema-language.md:{block.line}")


@pytest.mark.parametrize("block", _examples(True), ids=str)
def test_refused_example_prints_what_the_page_shows(block: Block, in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shown = BLOCKS[BLOCKS.index(block) + 1]
    assert shown.lang == "text", f"{block} is followed by the messages it gets, in a ```text block"
    (in_tmp / "example.yaml").write_text(block.text)
    assert run_cli("generate", "example.yaml", "--out", "out") == 2
    assert capsys.readouterr().err == shown.text
    assert not (in_tmp / "out").exists()


def test_every_construct_has_an_example() -> None:
    """Each key of each kind of item appears in some example that loads."""
    from test_json_schema import instance

    seen: dict[str, set[str]] = {kind: set() for kind in KEYS}
    kinds = {"constants": "constant", "enums": "enum", "bitmaps": "bitmap", "structs": "struct", "messages": "message"}
    children = {"enum": [("values", "enum_value")], "bitmap": [("fields", "bit_field")], "struct": [("fields", "field")], "message": [("parts", "part"), ("lengths", "length")]}

    def names(item: dict) -> None:
        seen["names"].update(item.get("names", {}))

    for block in _examples(False):
        doc = instance(block.text)
        seen["schema"].update(doc)
        seen["package"].update(doc.get("package") or {})
        for key, kind in kinds.items():
            for item in doc.get(key) or []:
                seen[kind].update(item)
                names(item)
                for sub, subkind in children.get(kind, []):
                    for child in item.get(sub) or []:
                        seen[subkind].update(child)
                        names(child)
    # doc, since and names are said once for every kind of item; each shows up in some example
    common = {"doc", "since", "names"}
    missing = {kind: sorted(set(KEYS[kind][0]) - seen[kind] - common) for kind in KEYS}
    assert {k: v for k, v in missing.items() if v} == {}
    assert common <= set().union(*seen.values())


def test_the_editor_set_up_finds_the_json_schema(tmp_path: Path) -> None:
    """The page's commands, run as a user would: the copy, the modeline and the VS Code mapping."""
    (cmd,) = [b.text.strip() for b in BLOCKS if b.lang == "sh" and "json-schema" in b.text]
    assert cmd == "wiregen json-schema > schema/wiregen.schema.json"
    (tmp_path / "schema").mkdir()
    wiregen = [sys.executable, "-m", "wiregen"]
    with open(tmp_path / "schema" / "wiregen.schema.json", "w") as out:
        subprocess.run([*wiregen, "json-schema"], stdout=out, cwd=tmp_path, check=True)
    assert json.loads((tmp_path / "schema" / "wiregen.schema.json").read_text()) == json.loads(JSON_SCHEMA.read_text())

    (modeline,) = [b for b in _examples(False) if "yaml-language-server" in b.text]
    target = re.match(r"# yaml-language-server: \$schema=(\S+)\n", modeline.text)
    assert target and (tmp_path / "schema" / target.group(1)).is_file()

    (settings,) = [json.loads(b.text) for b in BLOCKS if b.lang == "json"]
    ((path, pattern),) = settings["yaml.schemas"].items()
    assert (tmp_path / path).is_file()
    (tmp_path / "schema" / "ping.yaml").write_text(modeline.text)
    assert [p.name for p in tmp_path.glob(pattern)] == ["ping.yaml"]
