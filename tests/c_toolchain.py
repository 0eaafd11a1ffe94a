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
import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
        flags = [cc, *lang, *WARNINGS, *SANITIZERS]
        if not _built(exe, flags, test_c):  # a build of the same sources and flags is not repeated
            run([*flags, "-o", str(exe), str(test_c)], quiet=quiet)
            _record(exe, flags, test_c)
        elif not quiet:
            print(f"$ {' '.join(flags)} -o {exe} {test_c}  (built before, unchanged)", flush=True)
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


# --- many schemas at once (the schema fuzzer): one compiler run per batch ------------------------


def _blame(output: str, stems: list[str]) -> dict[str, str]:
    """The diagnostics of a compiler run over many files, by the stem of the file they name."""
    found: dict[str, list[str]] = {}
    for line in output.splitlines():
        for stem in stems:
            if re.search(rf"(?:^|[/\\ ])(?:test_|codec_|tu_)?{re.escape(stem)}\.[hc]\b", line):
                found.setdefault(stem, []).append(line)
                break
    return {stem: "\n".join(lines[:40]) for stem, lines in found.items()}


def _batch(cmd: list[str], stems: list[str], cwd: Path | None = None) -> dict[str, str]:
    """Run one compiler invocation over many files; the failures, by stem (every stem when the
    output names none of them)."""
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    output = done.stdout + done.stderr
    if done.returncode == 0 and not done.stderr.strip():
        return {}
    return _blame(output, stems) or {stem: f"{' '.join(cmd)}:\n{output[-4000:]}" for stem in stems}


def _clean(work: Path, cmd: list[str], files: list[Path]) -> tuple[list[Path], Callable[[list[Path]], None]]:
    """The files a compiler run `cmd` still has to check (those it has not passed with these
    flags, this compiler and these contents), and the function that records the ones that passed."""
    def key(f: Path) -> Path:
        h = hashlib.sha256("\0".join([*cmd, _compiler(cmd[0])]).encode())
        for p in (f, f.with_name(f.name.removeprefix("codec_")).with_suffix(".h")):
            h.update(p.read_bytes() if p.exists() else b"")
        return work / "passed" / h.hexdigest()

    def record(passed: list[Path]) -> None:
        (work / "passed").mkdir(parents=True, exist_ok=True)
        for f in passed:
            key(f).touch()

    return [f for f in files if not key(f).exists()], record


def check_headers_batch(headers: list[Path], compilers: list[str], work: Path, cross: bool = False) -> dict[str, str]:
    """`check_header` for many headers: one translation unit each, one compiler run per
    compiler and target (of the headers it has not passed as they are). Returns the failures by
    header stem."""
    work.mkdir(parents=True, exist_ok=True)
    tus = []
    for h in headers:
        tu = work / f"tu_{h.stem}.c"
        text = f'#include "{h.name}"\n'
        if not tu.exists() or tu.read_text() != text:
            tu.write_text(text)
        tus.append(str(tu))
    inc = sorted({str(h.parent) for h in headers})
    runs = []
    for cc in compilers:
        lang = CXX17 if cc.endswith("++") else C11
        targets = [[]] + ([[f"--target={t}", "-ffreestanding"] for t in CROSS_TARGETS] if cross and cc.startswith("clang") else [])
        runs += [(cc, target, [cc, *target, *lang, *HEADER_WARNINGS, *[a for d in inc for a in ("-iquote", d)], "-fsyntax-only"]) for target in targets]

    def check(run: tuple[str, list[str], list[str]]) -> dict[str, str]:
        cc, target, cmd = run
        todo, record = _clean(work, cmd, headers)
        if not todo:
            return {}
        broken = _batch([*cmd, *(str(work / f"tu_{h.stem}.c") for h in todo)], [h.stem for h in todo])
        record([h for h in todo if h.stem not in broken])
        return {stem: f"{cc} {' '.join(target)}: {err}" for stem, err in broken.items()}

    failed: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # the compiler runs side by side
        for one in pool.map(check, runs):
            for stem, error in one.items():
                failed.setdefault(stem, error)
    return failed


def check_codecs_batch(codecs: list[Path], compilers: list[str], work: Path) -> dict[str, str]:
    """`check_codec` for many codec programs: one compiler run per compiler (of the codecs it has
    not passed as they are). Failures by schema."""
    inc = sorted({str(c.parent) for c in codecs})
    failed: dict[str, str] = {}
    for cc in compilers:
        lang = CXX17 if cc.endswith("++") else C11
        cmd = [cc, *lang, *HEADER_WARNINGS, *[a for d in inc for a in ("-iquote", d)], "-fsyntax-only"]
        todo, record = _clean(work, cmd, codecs)
        if not todo:
            continue
        broken = _batch([*cmd, *map(str, todo)], [c.stem.removeprefix("codec_") for c in todo])
        for stem, err in broken.items():
            failed.setdefault(stem, f"{cc}: {err}")
        record([c for c in todo if c.stem.removeprefix("codec_") not in broken])
    return failed


def build_and_run_batch(tests: list[Path], out_dir: Path, builds: list[tuple[str, list[str]]]) -> dict[str, str]:
    """`build_and_run` for many generated tests: per (compiler, language), one compiler run
    compiles every test whose source changed since its last build, then each is linked and run.
    The builds run side by side. Returns the failures by schema."""
    failed: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for one in pool.map(lambda build: _build_and_run_one(tests, out_dir, *build), builds):
            for stem, error in one.items():
                failed.setdefault(stem, error)
    return failed


def _build_and_run_one(tests: list[Path], out_dir: Path, cc: str, lang: list[str]) -> dict[str, str]:
    failed: dict[str, str] = {}
    where = out_dir / cc.replace("+", "x")
    where.mkdir(parents=True, exist_ok=True)
    flags = [cc, *lang, *WARNINGS, *SANITIZERS]
    stale = []
    for t in tests:
        if not _built(where / t.stem, flags, t):
            stale.append(t)
    broken = _batch([*flags, "-c", *map(str, stale)], [t.stem.removeprefix("test_") for t in stale], cwd=where) if stale else {}
    for t in stale:
        stem = t.stem.removeprefix("test_")
        if stem in broken:
            failed[stem] = f"{cc}: {broken[stem]}"
            continue
        link = subprocess.run([cc, *SANITIZERS, "-o", t.stem, f"{t.stem}.o"], cwd=where, capture_output=True, text=True)
        if link.returncode != 0:
            failed[stem] = f"{cc} (link): {link.stdout}{link.stderr}"
            continue
        _record(where / t.stem, flags, t)
    for t in tests:
        stem = t.stem.removeprefix("test_")
        if stem not in failed:
            _, error = _run_test(where / t.stem, t, cc)
            if error:
                failed[stem] = error
    return failed


def _run_test(exe: Path, test_c: Path, cc: str) -> tuple[str, str | None]:
    """Run a generated test on its vectors file: (schema, what went wrong or None)."""
    stem = test_c.stem.removeprefix("test_")
    vectors = test_c.parent.parent / "vectors" / f"{stem}.txt"
    with vectors.open("rb") as feed:
        ran = subprocess.run([str(exe)], stdin=feed, capture_output=True, timeout=600)
    stdout, stderr = ran.stdout.decode(errors="replace"), ran.stderr.decode(errors="replace")
    last = stdout.strip().splitlines()[-1] if stdout.strip() else ""
    m = CLOSING.match(last)
    count = sum(1 for ln in vectors.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#"))
    if ran.returncode != 0 or m is None or m.group(2) != "0" or int(m.group(1)) != count:
        return stem, f"{exe} (built with {cc}, {count} vectors) failed ({ran.returncode}):\n{stdout[-2000:]}{stderr[-4000:]}"
    return stem, None


def _compiler(cc: str) -> str:
    """The compiler a name runs: its path, and the size and time of the file (a new version)."""
    path = shutil.which(cc)
    if path is None:
        return cc
    real = os.path.realpath(path)
    st = os.stat(real)
    return f"{real}:{st.st_size}:{st.st_mtime_ns}"


def _built(exe: Path, flags: list[str], test_c: Path) -> bool:
    """Whether `exe` is the build of `test_c` with `flags` as its sources are now (_record)."""
    stamp = exe.with_name(f"{exe.name}.key")
    return exe.exists() and stamp.exists() and stamp.read_text() == _key(flags, test_c)


def _record(exe: Path, flags: list[str], test_c: Path) -> None:
    exe.with_name(f"{exe.name}.key").write_text(_key(flags, test_c))


def _key(flags: list[str], test_c: Path) -> str:
    """What a test build depends on: the flags, the compiler, the test and the codec and header
    it includes."""
    schema = test_c.stem.removeprefix("test_")
    h = hashlib.sha256("\0".join([*flags, _compiler(flags[0])]).encode())
    for p in (test_c, test_c.with_name(f"codec_{schema}.c"), test_c.with_name(f"{schema}.h")):
        h.update(p.read_bytes() if p.exists() else b"")
    return h.hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generated", default="generated/c", help="directory of the generated headers and tests")
    ap.add_argument("--build", default="build/c", help="where the test programs are built")
    ap.add_argument("--no-install", action="store_true", help="never install clang")
    ap.add_argument("--install-only", action="store_true", help="install clang when it is absent and we may, and build nothing")
    args = ap.parse_args(argv)
    if args.install_only:
        try:
            ensure_clang()
        except BuildError as e:
            print(e, file=sys.stderr)
            return 1
        return 0
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
