"""The typed IR: what a schema says, with a source mark on every item.

The loader fills the declared attributes; the layout engine (layout.py) fills the
ones marked "layout" and nothing else computes them. Targets only read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from .errors import Mark


@dataclass(frozen=True)
class Scalar:
    name: str  # u8 .. i64
    size: int
    signed: bool

    @property
    def align(self) -> int:
        return self.size

    @property
    def bits(self) -> int:
        return self.size * 8

    @property
    def min(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def max(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    def fits(self, value: int) -> bool:
        return self.min <= value <= self.max


SCALARS: dict[str, Scalar] = {
    n: Scalar(n, int(n[1:]) // 8, n[0] == "i")
    for n in ("u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64")
}


@dataclass
class Item:
    """Anything named in a schema."""

    name: str
    mark: Mark
    path: str  # e.g. structs[3].fields[2]
    doc: str = ""
    since: int | None = None  # as written; None = the first version
    names: dict[str, str] = field(default_factory=dict)  # per-target overrides
    marks: dict[str, Mark] = field(default_factory=dict, kw_only=True)  # where each key's value stands

    def at(self, key: str) -> Mark:
        """Where the value of `key` stands in the source (the item's own mark if it was not given)."""
        return self.marks.get(key, self.mark)


# The type of a constant that counts bytes in memory (a size or a length, never a wire field):
# `usize` in Rust, `size_t` in C, `int` in Python. Its values are those of u32, which every
# target's size type holds.
SIZE = Scalar("size", 4, False)


@dataclass
class Constant(Item):
    type: Scalar | Enum = SCALARS["u32"]  # an integer, SIZE, or an enum (then `value` is one of its values)
    value: int = 0

    @property
    def scalar(self) -> Scalar:
        """The integer type the value is checked against and written as."""
        return self.type.type if isinstance(self.type, Enum) else self.type


@dataclass
class EnumValue(Item):
    value: int = 0


@dataclass
class Enum(Item):
    type: Scalar = SCALARS["u32"]
    values: list[EnumValue] = field(default_factory=list)
    _by_value: tuple[int, dict[int, EnumValue]] | None = field(default=None, init=False, repr=False, compare=False)

    kind = "enum"

    def member(self, value: int) -> EnumValue | None:
        """The value named `value`: the first, if two name it (a lookup, not a scan: an enum may
        have thousands of values, and every target asks for each)."""
        if self._by_value is None or self._by_value[0] != len(self.values):
            index: dict[int, EnumValue] = {}
            for v in self.values:
                index.setdefault(v.value, v)
            self._by_value = (len(self.values), index)
        return self._by_value[1].get(value)

    def name_of(self, value: int) -> str | None:
        v = self.member(value)
        return v.name if v is not None else None


@dataclass
class BitField(Item):
    lo: int = 0
    hi: int = 0  # inclusive
    type: Scalar | Enum | None = None  # None: a single-bit boolean
    # layout
    width: int = 0
    mask: int = 0  # in place (already shifted)

    @property
    def is_bool(self) -> bool:
        return self.type is None

    @property
    def shift(self) -> int:
        return self.lo

    @property
    def value_max(self) -> int:
        return (1 << self.width) - 1


@dataclass
class ReservedBits:
    """A run of bits no field names (layout)."""

    lo: int
    hi: int
    mask: int

    @property
    def width(self) -> int:
        return self.hi - self.lo + 1


@dataclass
class Bitmap(Item):
    type: Scalar = SCALARS["u32"]
    fields: list[BitField] = field(default_factory=list)
    # layout
    reserved: list[ReservedBits] = field(default_factory=list)
    reserved_mask: int = 0

    kind = "bitmap"

    @property
    def size(self) -> int:
        return self.type.size

    @property
    def align(self) -> int:
        return self.type.size


TypeTarget = Union[Scalar, Enum, Bitmap, "Struct"]


@dataclass
class TypeRef:
    """A field's type: a scalar, enum, bitmap or struct, possibly a fixed array of it."""

    target: TypeTarget
    count: int | None = None  # array length; None: not an array
    count_const: str | None = None  # the constant that gave the length, if any

    @property
    def kind(self) -> str:
        return "scalar" if isinstance(self.target, Scalar) else self.target.kind

    @property
    def is_array(self) -> bool:
        return self.count is not None

    @property
    def name(self) -> str:
        return self.target.name

    def __str__(self) -> str:
        if self.count is None:
            return self.target.name
        return f"{self.target.name}[{self.count_const or self.count}]"


@dataclass
class Field(Item):
    type: TypeRef = None  # type: ignore[assignment]
    reserved: bool = False
    value: int | None = None  # fixed value, if any
    value_ref: str | None = None  # how the schema spelled it (constant or Enum.VALUE)
    magic: bool = False  # a reader refuses a message whose field does not hold `value`
    offset_assert: int | None = None
    # layout
    offset: int = 0
    size: int = 0
    align: int = 1
    first_version: int = 0  # the version that introduced it (since, or the schema's first)


@dataclass
class VersionLayout:
    """One layout of a versioned struct (layout)."""

    version: int
    size: int
    fields: list[Field]  # the fields present in this version, in order


@dataclass
class Struct(Item):
    fields: list[Field] = field(default_factory=list)
    version_field: str | None = None  # as written (may be dotted)
    size_assert: int | None = None
    packed: bool = False
    constructor: list[Field] | None = None  # the arguments of the Rust `new`, in order
    # layout
    size: int = 0  # size of the newest version
    align: int = 1
    layouts: list[VersionLayout] = field(default_factory=list)  # oldest first; one if not versioned
    version_path: list[Field] = field(default_factory=list)  # resolved version field (outer to inner)
    version_offset: int = 0  # absolute offset of the version field
    refused_at: int | None = None  # index in `fields` where the loader refused a field (layout stops there)

    kind = "struct"

    @property
    def versioned(self) -> bool:
        return len(self.layouts) > 1

    @property
    def newest(self) -> VersionLayout:
        return self.layouts[-1]

    @property
    def older(self) -> list[VersionLayout]:
        return self.layouts[:-1]

    @property
    def version_type(self) -> Scalar | Enum | None:
        return self.version_path[-1].type.target if self.version_path else None  # type: ignore[return-value]

    def layout_for(self, version: int) -> VersionLayout:
        """The layout a peer uses for a message whose version field holds `version`."""
        chosen = self.layouts[0]
        for lay in self.layouts:
            if lay.version <= version:
                chosen = lay
        return chosen

    def size_in(self, version: int) -> int:
        return self.layout_for(version).size


PAYLOAD_FORMATS = ("binary", "text", "json")

# How the peers of a versioned message agree on its version (`version_agreement:`), which
# decides what a reader of an older version does with a newer message:
#   refused     every reader refuses a version it does not know (it never misreads one)
#   negotiated  a writer sends a version only to a peer that reads it (an old reader never gets one)
#   none        neither: an old reader may read a newer message by its own newest layout
AGREEMENTS = ("refused", "negotiated", "none")


@dataclass
class Part(Item):
    """One part of a message: a struct (present from `since` on), or the trailing payload."""

    struct: Struct | None = None  # a struct part's struct (None until resolved)
    blob: str | None = None  # the payload's name for what it holds ("bytes": raw bytes); None: a struct part
    format: str = "binary"  # the payload's encoding: binary, text or json
    # layout
    first_version: int = 0

    @property
    def is_payload(self) -> bool:
        return self.blob is not None


@dataclass
class LengthField(Item):
    """A field of a part that holds a length of the message. `name` is its path as written
    (`header.data_size`); `counts` says what it counts: the whole message, the payload, or the
    bytes from `from_path` (a part, or a field inside one) to the end of the message."""

    counts: str = "message"  # message | payload | from
    from_path: str | None = None
    # layout
    chain: list[Field] = field(default_factory=list)  # the field, outermost first (chain[0] is in the part)
    part: Part | None = None
    offset: int = 0  # absolute: the part holding it precedes every part added in a later version
    scalar: Scalar = SCALARS["u32"]
    start: int | None = None  # absolute offset where the counted bytes start; None: at the payload


@dataclass
class PlacedPart:
    """A struct part as one version of its message carries it (layout)."""

    part: Part
    offset: int
    size: int


@dataclass
class Magic:
    """A magic number of a message part, where one version of the message carries it (layout)."""

    path: str  # from the part: `base.header.signature`; an element of an array of structs is `tags[]`
    field: Field
    offset: int  # absolute
    part: Part

    @property
    def scalar(self) -> Scalar:
        t = self.field.type.target
        return t.type if isinstance(t, Enum) else t  # type: ignore[return-value]

    @property
    def value(self) -> int:
        """The magic number as its bytes read unsigned (every target compares the raw bits)."""
        assert self.field.value is not None
        return self.field.value & ((1 << self.scalar.bits) - 1)

    @property
    def first_version(self) -> int:
        return self.part.first_version


@dataclass
class MessageLayout:
    """The parts of a message in one protocol version (layout)."""

    version: int
    parts: list[PlacedPart]  # the struct parts present, in order
    fixed_size: int  # bytes of those parts; the payload, if any, starts here
    magics: list[Magic] = field(default_factory=list)  # the magic numbers of those parts, in byte order

    def start(self, length: LengthField) -> int:
        """Where the bytes that `length` counts start in this version."""
        return self.fixed_size if length.start is None else length.start

    def minimum(self, length: LengthField) -> int:
        """The smallest value `length` can hold in this version: the fixed bytes it counts."""
        return self.fixed_size - self.start(length)

    def placed(self, part: Part) -> PlacedPart | None:
        return next((p for p in self.parts if p.part is part), None)


@dataclass
class Message(Item):
    """Parts on the wire in order: fixed-size structs (some only from a version on), then an
    optional payload whose length the length fields give. A layer above structs."""

    parts: list[Part] = field(default_factory=list)
    version_field: str | None = None  # as written: a part name, then field names
    lengths: list[LengthField] = field(default_factory=list)
    agreement: str | None = None  # one of AGREEMENTS; None: the schema does not say
    current_version: Constant | None = None  # the constant holding the version peers send (negotiated: agree to)
    # layout
    layouts: list[MessageLayout] = field(default_factory=list)  # one per protocol version it exists in; one if not versioned
    version_part: Part | None = None
    version_path: list[Field] = field(default_factory=list)  # inside version_part, outermost first
    version_offset: int = 0  # absolute

    kind = "message"

    @property
    def versioned(self) -> bool:
        """Whether a version field selects the parts (and only known versions are accepted)."""
        return self.version_part is not None

    @property
    def payload(self) -> Part | None:
        return next((p for p in self.parts if p.is_payload), None)

    @property
    def struct_parts(self) -> list[Part]:
        return [p for p in self.parts if not p.is_payload]

    @property
    def versions(self) -> list[int]:
        return [lay.version for lay in self.layouts]

    @property
    def version_scalar(self) -> Scalar | None:
        if not self.version_path:
            return None
        t = self.version_path[-1].type.target
        return t.type if isinstance(t, Enum) else t  # type: ignore[return-value]

    def layout_in(self, version: int) -> MessageLayout | None:
        """The parts of a message whose version field holds `version`; None for a version the
        schema does not know (an unversioned message has one layout for every version)."""
        if not self.versioned:
            return self.layouts[0]
        return next((lay for lay in self.layouts if lay.version == version), None)


@dataclass
class Package:
    """Metadata of the generated packages (the schema's `package:` key; today the Rust crate's
    Cargo.toml): None where the schema says nothing."""

    version: str = "0.1.0"
    license: str | None = None
    repository: str | None = None
    rust_version: str | None = None
    publish: bool = False
    marks: dict[str, Mark] = field(default_factory=dict)  # where each given key's value stands


@dataclass
class Schema:
    name: str
    file: str  # path as given (relative to the project where possible)
    mark: Mark
    title: str = ""
    doc: str = ""
    endian: str = "little"
    versions: list[int] = field(default_factory=lambda: [1])
    versions_given: bool = False
    constants: list[Constant] = field(default_factory=list)
    enums: list[Enum] = field(default_factory=list)
    bitmaps: list[Bitmap] = field(default_factory=list)
    structs: list[Struct] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    package: Package = field(default_factory=Package)
    _types: tuple[tuple[int, int, int], dict[str, Enum | Bitmap | Struct]] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def first_version(self) -> int:
        return self.versions[0]

    @property
    def newest_version(self) -> int:
        return self.versions[-1]

    @property
    def types(self) -> list[Enum | Bitmap | Struct]:
        return [*self.enums, *self.bitmaps, *self.structs]

    def type(self, name: str) -> Enum | Bitmap | Struct | None:
        """The type named `name`, through an index of the types (every vector asks for its type:
        a scan made that quadratic in the number of types), rebuilt when types were added."""
        key = (len(self.enums), len(self.bitmaps), len(self.structs))
        if self._types is None or self._types[0] != key:
            index: dict[str, Enum | Bitmap | Struct] = {}
            for t in self.types:
                index.setdefault(t.name, t)
            self._types = (key, index)
        t = self._types[1].get(name)
        if t is not None and t.name == name:
            return t
        return next((t for t in self.types if t.name == name), None)  # a type renamed since

    def message(self, name: str) -> Message | None:
        return next((m for m in self.messages if m.name == name), None)

    def constant(self, name: str) -> Constant | None:
        for c in self.constants:
            if c.name == name:
                return c
        return None

    @property
    def versioned_structs(self) -> list[Struct]:
        return [s for s in self.structs if s.versioned]
