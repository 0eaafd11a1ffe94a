"""`wiregen diff`: the command line."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import SchemaError
from .compare import compare
from .git import NotARepository, base_report, load_pair
from .report import Report


def run(args: argparse.Namespace) -> int:
    """`wiregen diff`: 0 = nothing breaking, 1 = BREAKING, 2 = a schema does not load."""
    if bool(args.base) == bool(args.old or args.new) or (not args.base and not (args.old and args.new)):
        print("wiregen diff: give OLD and NEW (each a file or REV:path), or --base REV", file=sys.stderr)
        return 2
    try:
        if args.base:
            report = base_report(args.base)
        else:
            old, new = load_pair([args.old, args.new])
            report = Report([compare(old, new, args.old, args.new)])
    except SchemaError as e:
        for p in e.problems:
            print(p, file=sys.stderr)
        n = len(e.problems)
        print(f"diff: {n} problem{'s' if n != 1 else ''}; nothing compared", file=sys.stderr)
        return 2
    except NotARepository as e:
        print(f"wiregen diff: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        sys.stdout.write(report.to_markdown())
    return 1 if report.breaking and not args.allow_breaking else 0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("old", nargs="?", help="old schema: a file, or REV:path read with `git show`")
    p.add_argument("new", nargs="?", help="new schema: a file, or REV:path")
    p.add_argument("--base", metavar="REV", help="compare every schema under schema/ (.yaml or .yml) at REV with the working tree, from any directory of the repository")
    p.add_argument("--json", action="store_true", help="machine-readable report instead of Markdown")
    p.add_argument("--allow-breaking", action="store_true", help="exit 0 even when a change is BREAKING")
