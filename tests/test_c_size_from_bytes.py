"""The C header's bounds-checked NAME_size_from_bytes(data, len), on the zoo's versioned structs
(Inner: a u16 version at byte 0; Outer: Inner embedded at byte 8, so its version at byte 8).

For every length from 0 to one past the newest layout and version values around every layout
(below, at, between, above, the type's maximum), a program built with ASan and UBSan, as C11 and
as C++17, reads an exactly-sized heap buffer; the answers must be the layout engine's: 0 when the
buffer ends before the version field or before the layout the version selects, else that size.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from c_toolchain import C11, CXX17, SANITIZERS, WARNINGS, run
from conftest import ZOO_SCHEMA

from wiregen.loader import load_file
from wiregen.model import Struct
from wiregen.targets import c as c_target

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None or shutil.which("g++") is None, reason="needs gcc and g++")

VERSIONS = [0, 1, 2, 3, 4, 0xFFFF]


def expected(st: Struct, length: int, version: int) -> int:
    end = st.version_offset + st.version_path[-1].size
    if length < end:
        return 0
    size = st.size_in(version)
    return size if length >= size else 0


def program(structs: list[Struct]) -> str:
    lines = ['#include <stdio.h>', '#include <stdlib.h>', '#include <string.h>', '#include "zoo.h"', "", "int main(void)", "{"]
    for st in structs:
        fn = f"{c_target.c_function_prefix(st)}_size_from_bytes"
        off = st.version_offset
        lines.append(f'    printf("%zu\\n", {fn}(NULL, 64));')
        for v in VERSIONS:
            for n in range(st.size + 2):
                lines += [
                    "    {",
                    f"        unsigned char *buf = (unsigned char *)malloc({n} ? {n} : 1);",
                    f"        if ({n} > {off}) buf[{off}] = {v & 0xFF};",
                    f"        if ({n} > {off + 1}) buf[{off + 1}] = {v >> 8};",
                    f'        printf("%zu\\n", {fn}(buf, {n}));',
                    "        free(buf);",
                    "    }",
                ]
    return "\n".join(lines + ["    return 0;", "}", ""])


@pytest.mark.parametrize("cc, lang", [("gcc", C11), ("g++", CXX17)], ids=["c11", "cxx17"])
def test_size_from_bytes_is_the_layout_engines_and_reads_nothing_past_len(tmp_path: Path, cc: str, lang: list[str]) -> None:
    schema = load_file(ZOO_SCHEMA)
    structs = [st for st in schema.structs if st.versioned]
    assert [st.name for st in structs] == ["Inner", "Outer", "Framed"] and [st.version_offset for st in structs] == [0, 8, 24]
    assert all(st.version_path[-1].size == 2 for st in structs)
    (tmp_path / "zoo.h").write_text(c_target.render(schema)["c/zoo.h"])
    (tmp_path / "main.c").write_text(program(structs))
    exe = tmp_path / "main"
    run([cc, *lang, *WARNINGS, *SANITIZERS, "-iquote", str(tmp_path), "-o", str(exe), str(tmp_path / "main.c")], quiet=True)
    done = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    want = []
    for st in structs:
        want.append(0)  # NULL
        want += [expected(st, n, v) for v in VERSIONS for n in range(st.size + 2)]
    assert [int(x) for x in done.stdout.split()] == want
    assert {lay.size for st in structs for lay in st.layouts} <= set(want)  # every layout is answered somewhere
