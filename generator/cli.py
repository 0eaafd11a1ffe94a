"""Command line: generate, check, compile, layout, decode, diff."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import SchemaError, ToolError, gather
from .loader import load_file
from .model import Bitmap, Enum, Schema, Struct

EXIT_OK, EXIT_STALE, EXIT_SCHEMA, EXIT_TOOL = 0, 1, 2, 3


class UsageError(Exception):
    """The command line names nothing to work on; nothing is written (exit status 2)."""


def version() -> str:
    """The installed distribution's version (pyproject.toml)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("wiregen")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def _schema_paths(given: list[str]) -> list[Path]:
    if given:
        return [Path(p) for p in given]
    found = sorted(Path("schema").glob("*.yaml"))
    if not found:
        raise UsageError(f"no schema given and none found under {Path('schema') / '*.yaml'} (in {Path.cwd()}); name the schema files")
    return found


def load_all(paths: list[Path]) -> list[Schema]:
    """Load every schema; all problems of all files are reported together."""
    schemas = gather([lambda p=p: load_file(p) for p in paths])
    from .errors import Problem
    from .naming import modules

    made: dict[str, Schema] = {}  # the modules (and files) of the schemas generated together
    problems = []
    for s in schemas:
        for module in modules(s.name):
            other = made.setdefault(module, s)
            if other is s:
                continue
            if other.name == s.name:  # both files are reported
                problems += [Problem(x.mark, "schema", f"schema name '{x.name}' is used by more than one file") for x in (other, s)]
            else:
                problems.append(Problem(s.mark, "schema", f"schema '{s.name}' makes the module `{module}`, as schema '{other.name}' ({other.file}) does; rename one of them"))
    if problems:
        raise SchemaError(problems)
    return schemas


def _cmd_generate(args: argparse.Namespace) -> int:
    from . import cache
    from .output import render_all, write

    paths = _schema_paths(args.schemas)
    schemas = load_all(paths)
    files = render_all(schemas)
    changed = write(files, Path(args.out))
    cache.remember(cache.key(paths, Path(args.out)), files)
    for rel in changed:
        print(f"wrote {Path(args.out) / rel}")
    print(f"{len(files)} files generated from {len(schemas)} schema(s), {len(changed)} changed")
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from . import cache
    from .output import render_all, stale, stale_digests

    paths = _schema_paths(args.schemas)
    key = cache.key(paths, Path(args.out))
    digests = cache.recall(key)
    if digests is not None:  # these inputs were rendered before: compare with what they gave
        files: dict[str, object] = dict(digests)
        bad = stale_digests(digests, Path(args.out))
    else:
        rendered = render_all(load_all(paths))
        cache.remember(key, rendered)
        files = dict(rendered)
        bad = stale(rendered, Path(args.out))
    if bad:
        print("stale generated files (run `make generate` and commit the result):", file=sys.stderr)
        for rel in bad:
            print(f"  {Path(args.out) / rel}", file=sys.stderr)
        return EXIT_STALE
    print(f"{len(files)} generated files are up to date")
    return EXIT_OK


def layout_report(schema: Schema) -> dict:
    """The pahole-like layout report of every type, as plain data."""
    types: dict[str, dict] = {}
    for t in schema.types:
        if isinstance(t, Struct):
            sizes = {str(v): t.size_in(v) for v in schema.versions}
            types[t.name] = {
                "kind": "struct",
                "size": t.size,
                "align": t.align,
                "packed": t.packed,
                "sizes": sizes,
                "version_field": ".".join(f.name for f in t.version_path) or None,
                "fields": [
                    {"name": f.name, "type": str(f.type), "offset": f.offset, "size": f.size, "since": f.first_version}
                    for f in t.fields
                ],
            }
        elif isinstance(t, Bitmap):
            types[t.name] = {
                "kind": "bitmap",
                "size": t.size,
                "align": t.align,
                "sizes": {str(v): t.size for v in schema.versions},
                "fields": [
                    {"name": f.name, "bits": [f.lo, f.hi], "mask": f.mask, "since": f.since or schema.first_version}
                    for f in t.fields
                ],
                "reserved": [[r.lo, r.hi] for r in t.reserved],
            }
        else:
            assert isinstance(t, Enum)
            types[t.name] = {
                "kind": "enum",
                "size": t.type.size,
                "align": t.type.size,
                "sizes": {str(v): t.type.size for v in schema.versions},
                "type": t.type.name,
                "values": {v.name: v.value for v in t.values},
            }
    messages: dict[str, dict] = {}
    for m in schema.messages:
        messages[m.name] = {
            "kind": "message",
            "version_field": {"path": ".".join([m.version_part.name, *(f.name for f in m.version_path)]), "offset": m.version_offset} if m.version_part else None,
            "layouts": {
                str(lay.version): {"fixed_size": lay.fixed_size, "parts": [{"name": p.part.name, "type": p.part.struct.name, "offset": p.offset, "size": p.size} for p in lay.parts]}  # type: ignore[union-attr]
                for lay in m.layouts
            },
            "payload": {"name": m.payload.name, "blob": m.payload.blob, "format": m.payload.format} if m.payload else None,
            "lengths": [
                {"field": ln.name, "offset": ln.offset, "type": ln.scalar.name, "counts": ln.counts if ln.counts != "from" else f"from {ln.from_path}", "start": ln.start, "minimum": {str(lay.version): lay.minimum(ln) for lay in m.layouts}}
                for ln in m.lengths
            ],
        }
    return {"schema": schema.name, "versions": schema.versions, "types": types, "messages": messages}


def _layout_text(report: dict) -> str:
    out = []
    for name, t in report["types"].items():
        sizes = ", ".join(f"v{v}: {n}" for v, n in t["sizes"].items())
        out.append(f"{t['kind']} {name}  /* size {t['size']}, align {t['align']}; {sizes} */")
        if t["kind"] == "struct":
            for f in t["fields"]:
                out.append(f"    {f['type']:<32} {f['name']:<28} /* {f['offset']:5} {f['size']:5}  since {f['since']} */")
        elif t["kind"] == "bitmap":
            for f in t["fields"]:
                lo, hi = f["bits"]
                out.append(f"    bits {lo:>2}..{hi:<2} {f['name']:<36} mask 0x{f['mask']:X}")
            for lo, hi in t["reserved"]:
                out.append(f"    bits {lo:>2}..{hi:<2} (reserved)")
        else:
            for vname, v in t["values"].items():
                out.append(f"    {vname:<40} = {v}")
        out.append("")
    for name, m in report["messages"].items():
        vf = m["version_field"]
        out.append(f"message {name}  /* " + (f"version field {vf['path']} at byte {vf['offset']}" if vf else "one layout") + " */")
        for version, lay in m["layouts"].items():
            parts = ", ".join(f"{p['name']} {p['type']} @{p['offset']}+{p['size']}" for p in lay["parts"])
            tail = f", then {m['payload']['name']}" if m["payload"] else ""
            out.append(f"    {'v' + version + ':' if vf else 'fixed:':<6} {parts} = {lay['fixed_size']} bytes{tail}")
        for ln in m["lengths"]:
            out.append(f"    length {ln['field']:<32} @{ln['offset']} {ln['type']}, counts {ln['counts']}")
        out.append("")
    return "\n".join(out)


def _cmd_compile(args: argparse.Namespace) -> int:
    from .mypyc_build import build

    for ext, compiled in build(load_all(_schema_paths(args.schemas)), Path(args.build)):
        print(f"{'compiled' if compiled else 'up to date'}: {ext}")
    print(f"put {args.build} first on sys.path to import the compiled modules")
    return EXIT_OK


def _cmd_layout(args: argparse.Namespace) -> int:
    schema = load_all([Path(args.schema)])[0]
    report = layout_report(schema)
    print(json.dumps(report, indent=2) if args.json else _layout_text(report))
    return EXIT_OK


def _cmd_decode(args: argparse.Namespace) -> int:
    from .decode import run

    return run(args, load_all([Path(args.schema)])[0])


def _cmd_diff(args: argparse.Namespace) -> int:
    from .diff import run

    return run(args)


def _cmd_json_schema(args: argparse.Namespace) -> int:
    from .loader import JSON_SCHEMA

    if args.path:
        print(JSON_SCHEMA)
    else:
        sys.stdout.write(JSON_SCHEMA.read_text(encoding="utf-8"))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        print("nothing was written", file=sys.stderr)
        return EXIT_SCHEMA
    except SchemaError as e:
        for p in e.problems:
            print(p, file=sys.stderr)
        n = len(e.problems)
        print(f"refused: {n} problem{'s' if n != 1 else ''}; nothing was written", file=sys.stderr)
        return EXIT_SCHEMA
    except ToolError as e:
        print(f"error: {e}", file=sys.stderr)
        print("nothing was written", file=sys.stderr)
        return EXIT_TOOL
    except OSError as e:  # the machine, not the schema: a file that cannot be read or written
        print(f"error: {e}", file=sys.stderr)
        print("nothing was written", file=sys.stderr)
        return EXIT_TOOL
    except Exception as e:  # a bug of the generator: one line, not a traceback (unless --debug)
        if getattr(args, "debug", False):
            raise
        schemas = " ".join(getattr(args, "schemas", None) or [getattr(args, "schema", "")]) or "schema/*.yaml"
        print(
            f"wiregen: internal error ({type(e).__name__}: {e}); nothing was written. This is a bug in wiregen {version()}: "
            f"please report it with the schema ({schemas}) and this line; rerun with --debug for the traceback",
            file=sys.stderr,
        )
        return EXIT_TOOL


def parser() -> argparse.ArgumentParser:
    """The command line: one subcommand each, with its arguments."""
    ap = argparse.ArgumentParser(prog="wiregen", description="Schema-driven code generator for binary wire protocols.")
    ap.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = ap.add_subparsers(dest="cmd", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show a traceback when the generator itself fails")
    g = sub.add_parser("generate", parents=[common], help="render every target and write what changed")
    g.add_argument("schemas", nargs="*", help="schema files (default: schema/*.yaml)")
    g.add_argument("--out", default="generated", help="output directory (default: generated)")
    g.set_defaults(func=_cmd_generate)
    c = sub.add_parser("check", parents=[common], help="render in memory; exit 1 and list files that are stale")
    c.add_argument("schemas", nargs="*", help="schema files (default: schema/*.yaml)")
    c.add_argument("--out", default="generated", help="output directory (default: generated)")
    c.set_defaults(func=_cmd_check)
    mc = sub.add_parser("compile", parents=[common], help="each schema's Python module rendered for mypyc and compiled (C extensions)")
    mc.add_argument("schemas", nargs="*", help="schema files (default: schema/*.yaml)")
    mc.add_argument("--build", default="build/mypyc", help="where the modules and their extensions go (default: build/mypyc)")
    mc.set_defaults(func=_cmd_compile)
    lay = sub.add_parser("layout", parents=[common], help="print sizes, offsets and bits of every type")
    lay.add_argument("schema")
    lay.add_argument("--json", action="store_true", help="machine-readable report")
    lay.set_defaults(func=_cmd_layout)
    from .decode import add_arguments as decode_arguments

    dec = sub.add_parser("decode", help="what a captured buffer holds: every part and field, length checks, payload")
    decode_arguments(dec)
    dec.set_defaults(func=_cmd_decode)
    from .diff import add_arguments

    d = sub.add_parser("diff", parents=[common], help="compare two schemas: what moves on the wire, and whether it breaks peers")
    add_arguments(d)
    d.set_defaults(func=_cmd_diff)
    js = sub.add_parser("json-schema", help="print the JSON Schema of the schema language (for editors), or where it is installed")
    js.add_argument("--path", action="store_true", help="print the path of the installed file instead of its content")
    js.set_defaults(func=_cmd_json_schema)
    return ap
