"""Build and run the C target's output with real compilers (standard library only).

`make test-c` runs it over generated/c; tests/test_c_target.py uses the same functions on
schemas generated into a temporary directory, so both use one set of flags.

For every generated header and test:
- the test, as C11 (gcc, clang) and as C++17 (g++, clang++), with -Wall -Wextra -Wpedantic
  -Werror under AddressSanitizer and UndefinedBehaviorSanitizer, is run on the schema's vectors
  (../vectors/<schema>.txt on its standard input) and must print "N passed, 0 failed";
- the header alone, as C11 and C++17, with extra warnings a careful user may turn on
  (-Wconversion, -Wsign-conversion, ...), and with clang also for the Windows (MSVC ABI,
  x64/x86/ARM64) and AArch64 Linux targets, where its static_asserts check the layout of
  each ABI;
- the codec program (codec_<schema>.c, which the conformance harness runs), as C11 and C++17
  with the same extra warnings.
clang is installed from Debian's packages when it is absent and we may (root, apt-get).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

WARNINGS = ["-Wall", "-Wextra", "-Wpedantic", "-Werror"]
HEADER_WARNINGS = WARNINGS + ["-Wconversion", "-Wsign-conversion", "-Wshadow", "-Wundef", "-Wcast-qual", "-Wcast-align"]
SANITIZERS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"]
C11 = ["-x", "c", "-std=c11"]
CXX17 = ["-x", "c++", "-std=c++17"]
# (compiler, language flags) for the test program
TEST_BUILDS = [("gcc", C11), ("g++", CXX17), ("clang", C11), ("clang++", CXX17)]
# other ABIs the header's static_asserts are checked on (clang only; its own stdint.h/stddef.h)
CROSS_TARGETS = ["x86_64-pc-windows-msvc", "i686-pc-windows-msvc", "aarch64-pc-windows-msvc", "aarch64-linux-gnu"]
CLOSING = re.compile(r"^(\d+) passed, (\d+) failed$")


class BuildError(Exception):
    pass


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


def ensure_clang() -> bool:
    """True if clang and clang++ can build sanitized programs, installing them when we may."""
    if not (have("clang") and have("clang++") and _clang_links_sanitizers()):
        if os.geteuid() != 0 or not have("apt-get"):
            print("clang (with its sanitizer runtime) is not installed and cannot be installed here: skipping the clang builds")
            return False
        # libclang-rt-dev holds the sanitizer runtimes (a Recommends of clang, so named explicitly)
        packages = ["clang", "libclang-rt-dev"]
        print(f"installing {' and '.join(packages)} from Debian's packages (for the clang builds)", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]):
            done = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
            if done.returncode != 0:  # apt's own words only when it fails
                raise BuildError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-4000:]}{done.stderr[-4000:]}")
    return have("clang") and have("clang++")


def _clang_links_sanitizers() -> bool:
    probe = subprocess.run(
        ["clang", "-x", "c", "-fsanitize=address,undefined", "-o", os.devnull, "-"],
        input="int main(void) { return 0; }\n",
        capture_output=True,
        text=True,
    )
    return probe.returncode == 0


def run(cmd: list[str], *, stdin: str | None = None, quiet: bool = False) -> subprocess.CompletedProcess:
    if not quiet:
        print("$ " + " ".join(cmd), flush=True)
    done = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        raise BuildError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    if done.stderr.strip():
        raise BuildError(f"{' '.join(cmd)} printed diagnostics:\n{done.stderr}")
    return done


def check_header(header: Path, compilers: list[str], cross: bool = False, quiet: bool = False) -> int:
    """Compile a translation unit that only includes `header`, in C11 and C++17 with each compiler."""
    tu = f'#include "{header.name}"\n'
    inc = ["-iquote", str(header.parent)]  # not -I: a header named like a system one must not shadow it
    n = 0
    for cc in compilers:
        lang = CXX17 if cc.endswith("++") else C11
        run([cc, *lang, *HEADER_WARNINGS, *inc, "-fsyntax-only", "-"], stdin=tu, quiet=quiet)
        n += 1
        if cross and cc.startswith("clang"):
            for target in CROSS_TARGETS:
                # -ffreestanding: clang's own stdint.h/stddef.h, no target C library needed
                run([cc, f"--target={target}", "-ffreestanding", *lang, *HEADER_WARNINGS, *inc, "-fsyntax-only", "-"], stdin=tu, quiet=quiet)
                n += 1
    return n


def check_codec(codec_c: Path, compilers: list[str], quiet: bool = False) -> int:
    """Compile the generated codec program in C11 and C++17 with each compiler, with the header's
    extra warnings (the conformance harness builds and runs it; tests/conformance.py)."""
    inc = ["-iquote", str(codec_c.parent)]
    for cc in compilers:
        lang = CXX17 if cc.endswith("++") else C11
        run([cc, *lang, *HEADER_WARNINGS, *inc, "-fsyntax-only", str(codec_c)], quiet=quiet)
    return len(compilers)


def build_and_run(test_c: Path, out_dir: Path, builds: list[tuple[str, list[str]]], quiet: bool = False) -> list[str]:
    """Build the generated test with each (compiler, language) and run it; returns the closing lines."""
    out_dir.mkdir(parents=True, exist_ok=True)
    closing = []
    for cc, lang in builds:
        exe = out_dir / f"{test_c.stem}-{cc.replace('+', 'x')}"
        run([cc, *lang, *WARNINGS, *SANITIZERS, "-o", str(exe), str(test_c)], quiet=quiet)
        vectors = test_c.parent.parent / "vectors" / f"{test_c.stem.removeprefix('test_')}.txt"
        done = subprocess.run([str(exe)], stdin=vectors.open("rb"), capture_output=True)
        done = subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())
        last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        if not quiet:
            print(f"$ {exe}\n{last}", flush=True)
        m = CLOSING.match(last)
        if done.returncode != 0 or m is None or m.group(2) != "0" or int(m.group(1)) == 0:
            raise BuildError(f"{exe} (built with {cc}) failed ({done.returncode}):\n{done.stdout}{done.stderr}")
        closing.append(last)
    return closing


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generated", default="generated/c", help="directory of the generated headers and tests")
    ap.add_argument("--build", default="build/c", help="where the test programs are built")
    ap.add_argument("--no-install", action="store_true", help="never install clang")
    args = ap.parse_args(argv)
    gen = Path(args.generated)
    headers = sorted(p for p in gen.glob("*.h"))
    tests = sorted(gen.glob("test_*.c"))
    if not headers or not tests:
        print(f"no generated headers or tests under {gen}", file=sys.stderr)
        return 1
    try:
        clang = have("clang") and have("clang++") if args.no_install else ensure_clang()
    except BuildError as e:
        print(e, file=sys.stderr)
        return 1
    builds = [(cc, lang) for cc, lang in TEST_BUILDS if clang or not cc.startswith("clang")]
    compilers = [cc for cc, _ in builds]
    codecs = sorted(gen.glob("codec_*.c"))
    try:
        checks = sum(check_header(h, compilers, cross=clang) for h in headers)
        runs = sum(len(build_and_run(t, Path(args.build), builds)) for t in tests)
        codec_checks = sum(check_codec(c, compilers) for c in codecs)
    except BuildError as e:
        print(e, file=sys.stderr)
        return 1
    print(
        f"C target: {len(headers)} header(s) compiled {checks} ways without a warning; {runs} test build(s) passed; "
        f"{len(codecs)} codec(s) compiled {codec_checks} ways without a warning ({', '.join(compilers)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
