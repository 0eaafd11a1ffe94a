"""Schema review: what a schema change moves on the wire, and whether an old
peer and a new peer still understand each other.

Two loaded schemas are compared using only what the layout engine computed
(offsets, sizes, per-version layouts, bit masks, enum values); nothing here
recomputes a layout. Every change gets a verdict and a stable rule id (RULES):

  BREAKING    an old peer and a new peer would misread each other's bytes
  COMPATIBLE  both still understand each other
  SOURCE      identical bytes, but generated code changes
  DOC         documentation only

Structs are judged by their flattened byte layout in every protocol version:
the absolute offset, size and scalar type of every leaf, so a field that moves
to another struct while its bytes stay put (a version-2 field split out into a
struct of its own) is seen as what it is on the wire. A struct that is only
ever sent inside other structs is judged through them: a change to it that
leaves the bytes of every message carrying it unchanged is SOURCE. Old and new
are paired by what is on the wire before by name (a plain integer and an enum
over it are the same bytes), and one change is one row, however many structs
carry it.

Messages are judged by where each part and the payload start in every version.
A part added in a version old peers do not speak moves what follows it for an
old reader that reads such a message by its own newest layout; whether one
ever does is what the message's `version_agreement` says (refused, negotiated,
none), and the verdict rests on it and says so. A change of the constant a
message names as its `current_version` is reported as what it is: the version
peers now send.

Modules: wire (the flattened model), pairing (which old type or message is
which new one), structs, enums, messages and toplevel (the rows of each kind of
item), additions (types only one side has), grouping (one change, one row),
compare (a whole schema), report and markdown (the output), git and cli
(revisions, the command line).
"""

from .cli import add_arguments, run
from .compare import added, compare, removed
from .report import Change, Reach, Report, SchemaDiff, Scope
from .rules import BREAKING, COMPATIBLE, DOC, RULES, SOURCE, VERDICTS, verdict_of, worst

__all__ = [
    "BREAKING",
    "COMPATIBLE",
    "DOC",
    "RULES",
    "SOURCE",
    "VERDICTS",
    "Change",
    "Reach",
    "Report",
    "SchemaDiff",
    "Scope",
    "add_arguments",
    "added",
    "compare",
    "removed",
    "run",
    "verdict_of",
    "worst",
]
