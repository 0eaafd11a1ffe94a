"""The JSON Schema for editors (generator/wiregen.schema.json) and the loader accept the same schemas.

The two are written separately (the loader reports every problem with its position and a hint;
the JSON Schema carries descriptions for completion and hovering), so one corpus holds them
together, checked by a standard JSON Schema validator (jsonschema, Draft 7, the draft
yaml-language-server and VS Code implement):

- every valid schema of the repository (schema/, tests/schemas/, the examples of
  docs/schema-language.md) is accepted;
- every bad schema of tests/test_schema_errors.py is rejected, except the problems a JSON
  Schema cannot see (listed below with the reason), which it must then accept: so the list
  stays exact, and a new bad-schema case is held to the JSON Schema by default;
- the keys each item accepts and requires are the loader's own table (loader.KEYS).

Checked by hand with yaml-language-server 2.0.0 (the server of VS Code's YAML extension) over
stdio: the repository's schemas get no diagnostic, and a bad schema gets one per problem, with
the `patternErrorMessage` texts. A YAML file is read here as an editor reads it (YAML 1.2: `ON` and `0b101` are text, `true` a
boolean), through the project's own YAML reader.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from conftest import ROOT
from markdown_blocks import blocks
from test_schema_errors import CASES

from wiregen.errors import Problems
from wiregen.loader import JSON_SCHEMA, KEYS, load_text
from wiregen.yamlsrc import Y, is_float_text
from wiregen.yamlsrc import load as load_yaml

SCHEMA = json.loads(JSON_SCHEMA.read_text(encoding="utf-8"))
VALIDATOR = Draft7Validator(SCHEMA)
DOCS = ROOT / "docs" / "schema-language.md"

# Bad-schema cases whose problem is in the YAML itself: the editor's YAML parser reports the
# syntax error, and what aliases, tags, duplicate keys and YAML 1.1 words become is not
# something a JSON instance can show.
YAML_LEVEL = {
    "yaml-syntax": "not YAML at all: the editor's parser reports it",
    "control-character": "not YAML either: the editor's parser refuses a raw control character",
    "alias": "aliases and anchors are resolved before a JSON Schema sees the data",
    "tag": "tags are resolved before a JSON Schema sees the data",
    "duplicate-key": "a JSON object has no duplicate keys",
    "leading-zero": "YAML 1.2 reads 010 as the number 10; the loader refuses it as ambiguous",
    "yaml-boolean-name": "YAML 1.2 reads ON as text; the loader refuses it, as YAML 1.1 reads a boolean",
}
# Bad-schema cases whose problem lies between items or in the layout: a JSON Schema checks each
# value's form, not references, uniqueness across a list, or where the bytes fall.
SEMANTIC = {
    "versions-order": "ascending order of a list",
    "since-not-a-version": "a reference to the versions list",
    "duplicate-type": "uniqueness of names across lists",
    "duplicate-field": "uniqueness of names in a list",
    "unknown-type": "a reference to the types",
    "array-unknown-constant": "a reference to the constants",
    "bitmap-type-too-narrow": "a field's width against its type and an enum's values",
    "padding-hole": "layout",
    "tail-padding": "layout",
    "version-tail-padding": "layout",
    "since-not-appended": "field order against since",
    "missing-version-field": "since against the first version",
    "version-field-after-since": "a reference to the fields",
    "version-field-unknown": "a reference to the fields",
    "versioned-not-last": "a reference to another struct's versions",
    "cycle": "references between structs",
    "assertions": "layout",
    "fixed-values": "a value against the field's type, a reference to an enum's values",
    "too-large": "layout",
    "package-rust-version-too-old": "what the Rust target needs",
    "version-field-too-narrow": "a field's type against the versions",
    "bitmap-enum-narrower-than-field": "a field's width against its enum's type",
    "names-clash-after-renaming": "names after each target's renaming rule, across a list",
    "names-clash-version-suffix": "names a target derives from others",
    "names-clash-accessor": "names a target derives from others",
    "schema-name-python-module": "the names a target's modules and crates already have",
    "schema-name-rust-keyword": "the names a target's modules and crates already have",
    "schema-name-rust-crate": "the names a target's modules and crates already have",
    "schema-name-python-keyword": "the names a target's modules and crates already have",
}

_BOOL_1_2 = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


def instance(text: str, file: str = "t.yaml") -> Any:
    """The YAML document as an editor's YAML 1.2 reader gives it to a JSON Schema."""
    problems = Problems()
    root = load_yaml(text, file, problems)
    assert root is not None and not problems, [str(p) for p in problems.items]
    return _json(root)


def _json(y: Y) -> Any:
    if y.is_map:
        return {k: _json(v) for k, v in y.value.items()}
    if y.is_seq:
        return [_json(v) for v in y.value]
    if not y.plain:
        return y.value
    if isinstance(y.value, int):
        return y.value
    text = (y.text or "").strip()
    if text in _BOOL_1_2:
        return _BOOL_1_2[text]
    if y.value is None:
        return None
    if is_float_text(text):
        return float(text)
    return y.value


def errors(inst: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in VALIDATOR.iter_errors(inst)]


def doc_schemas() -> list[tuple[str, str, bool]]:
    """(id, text, refused) of every ```yaml example of the schema-language reference."""
    return [(f"docs-line-{b.line}", b.text, "refused" in b.info) for b in blocks(DOCS) if b.lang == "yaml"]


def good_schemas() -> list[tuple[str, str]]:
    files = sorted((ROOT / "schema").glob("*.yaml")) + sorted((ROOT / "tests" / "schemas").rglob("*.yaml"))
    out = [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in files]
    return out + [(name, text) for name, text, refused in doc_schemas() if not refused]


def test_the_json_schema_is_a_valid_draft_7_schema() -> None:
    Draft7Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_the_corpus_is_not_empty() -> None:
    names = [n for n, _ in good_schemas()]
    assert {"schema/igvm_attest.yaml", "tests/schemas/zoo.yaml", "tests/schemas/review/igvm_attest.yaml"} <= set(names)
    assert sum(n.startswith("docs-") for n in names) >= 10, "docs/schema-language.md shows an example per construct"


@pytest.mark.parametrize("name, text", good_schemas(), ids=[n for n, _ in good_schemas()])
def test_every_valid_schema_is_accepted_by_both(name: str, text: str) -> None:
    load_text(text, name)  # the loader accepts it (raises otherwise)
    assert errors(instance(text)) == []


@pytest.mark.parametrize("case", [c for c in CASES if c[0] not in YAML_LEVEL], ids=[c[0] for c in CASES if c[0] not in YAML_LEVEL])
def test_every_structural_error_is_rejected_by_the_json_schema(case: tuple) -> None:
    name, text, _ = case
    found = errors(instance(text))
    if name in SEMANTIC:
        assert found == [], f"{name} is listed as beyond a JSON Schema ({SEMANTIC[name]}), yet it is rejected: {found}"
    else:
        assert found, f"the JSON Schema accepts the bad schema {name!r}:\n{text}"


def test_every_listed_case_exists() -> None:
    ids = {c[0] for c in CASES}
    assert set(YAML_LEVEL) <= ids and set(SEMANTIC) <= ids


def _definition(kind: str) -> dict[str, Any]:
    return SCHEMA if kind == "schema" else SCHEMA["definitions"][kind]


@pytest.mark.parametrize("kind", sorted(KEYS))
def test_keys_are_the_loaders(kind: str) -> None:
    accepted, required = KEYS[kind]
    d = _definition(kind)
    assert d.get("additionalProperties") is False, f"{kind}: unknown keys must be refused, as the loader does"
    assert set(d["properties"]) == set(accepted), kind
    assert set(d.get("required", [])) == set(required), kind


def test_every_key_is_described_for_the_editor() -> None:
    """Hovering a key shows its description: on the key itself or on the definition it names."""
    for kind in KEYS:
        for key, sub in _definition(kind)["properties"].items():
            target = SCHEMA["definitions"][sub["$ref"].rsplit("/", 1)[1]] if set(sub) == {"$ref"} else sub
            assert target.get("description"), f"{kind}.{key} has no description"


def test_the_packaged_file_is_the_one_the_command_prints(capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import run_cli

    assert JSON_SCHEMA == ROOT / "generator" / "wiregen.schema.json"
    assert run_cli("json-schema") == 0
    assert json.loads(capsys.readouterr().out) == SCHEMA
    assert run_cli("json-schema", "--path") == 0
    assert capsys.readouterr().out.strip() == str(JSON_SCHEMA)


MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$", re.M)


def test_the_repository_schemas_name_the_json_schema_for_their_editor() -> None:
    for p in sorted((ROOT / "schema").glob("*.yaml")) + sorted((ROOT / "tests" / "schemas").rglob("*.yaml")):
        m = MODELINE.search(p.read_text(encoding="utf-8"))
        assert m, f"{p.relative_to(ROOT)} has no yaml-language-server modeline"
        assert (p.parent / m.group(1)).resolve() == JSON_SCHEMA.resolve(), p
