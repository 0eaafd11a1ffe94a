"""Every naming rule of every target, in one place.

The one rule for names that collide with a target's keywords, builtins or the
generated API itself: append a single underscore (`type` -> `type_`). It is the
same in every target, so a field reads the same in Python, Rust and C, and one
rule is easier to predict than one per language (Rust could use `r#type`, but a
C or Python reader of the same schema would then see another name).
A per-target `names:` override in the schema wins over every rule here.

RUST_RESERVED holds, besides Rust's keywords: the methods a bitmap gets (a
bit field becomes a method of its bitfield-struct type, so it must not shadow
`new`/`from_bits`/`into_bits`, the derived traits' methods or zerocopy's
`FromBytes`/`IntoBytes` methods); and the type and value names the generated
module itself uses (`FromBytes`, `FromZeros`, `IntoBytes`, `Immutable`, `KnownLayout`,
`BufferTooShort`, `MessageError`, `MessageProblem`, and the prelude's `Option`/`Some`/`Result`/`Ok`/`Err`/
`Vec`/`String`), which a schema type or tuple-struct enum would otherwise shadow.
A name Rust's case lints would warn about (rust_snake and the like: a bit field renamed by the
rule, `type_`, makes bitfield-struct's `with_type__checked`; a field `a__b`; an override
`{rust: DEFAULT}` on a field) makes the crate allow that lint, and only that one.
"""

from __future__ import annotations

import keyword
import re
import sys

from .errors import Problem
from .model import Item, Schema

PYTHON_RESERVED = frozenset(
    keyword.kwlist
    + keyword.softkwlist
    + [
        # builtins and module-level names the generated Python uses
        "int", "bool", "bytes", "str", "list", "tuple", "dict", "len", "type", "object", "isinstance",
        "super", "cls", "self", "struct", "dataclass", "dataclasses", "field", "fields", "ClassVar",
        "Optional", "Any", "annotations", "DecodeError", "EncodeError", "typing", "enum",
        "Iterable", "Sequence", "Generic", "TypeVar", "Sized", "Callable", "Final", "Self", "mypyc_attr", "ClassT",
        # the module's base classes (`_Struct`...), which a type of that name would make again
        "Values", "Value", "OpenEnum", "Bitmap", "Struct", "Versioned", "E",
        # the generated API
        "to_bytes", "from_bytes", "from_prefix", "from_int", "size", "SIZE", "SIZES", "VERSIONS",
        "layout_version", "is_newer_version", "reserved_bits", "replace", "verify", "RESERVED_MASK",
        # the generated message API
        "parse", "build", "FIXED_SIZES", "MessageError", "MessageDecodeError", "MessageEncodeError",
    ]
    # every builtin (Python 3.11 to 3.13): a type named `ValueError` would hide the one the module uses
    + """ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup BlockingIOError
    BrokenPipeError BufferError BytesWarning ChildProcessError ConnectionAbortedError ConnectionError
    ConnectionRefusedError ConnectionResetError DeprecationWarning EOFError Ellipsis EncodingWarning
    EnvironmentError Exception ExceptionGroup FileExistsError FileNotFoundError FloatingPointError
    FutureWarning GeneratorExit IOError ImportError ImportWarning IndentationError IndexError
    InterruptedError IsADirectoryError KeyError KeyboardInterrupt LookupError MemoryError
    ModuleNotFoundError NameError NotADirectoryError NotImplemented NotImplementedError OSError
    OverflowError PendingDeprecationWarning PermissionError ProcessLookupError PythonFinalizationError
    RecursionError ReferenceError ResourceWarning RuntimeError RuntimeWarning StopAsyncIteration
    StopIteration SyntaxError SyntaxWarning SystemError SystemExit TabError TimeoutError TypeError
    UnboundLocalError UnicodeDecodeError UnicodeEncodeError UnicodeError UnicodeTranslateError
    UnicodeWarning UserWarning ValueError Warning ZeroDivisionError abs aiter all anext any ascii bin
    breakpoint bytearray callable chr classmethod compile complex copyright credits delattr dir divmod
    enumerate eval exec exit filter float format frozenset getattr globals hasattr hash help hex id input
    issubclass iter license locals map max memoryview min next oct open ord pow print property quit range
    repr reversed round set setattr slice sorted staticmethod sum vars zip""".split()
)

RUST_RESERVED = frozenset(
    """as break const continue crate else enum extern false fn for if impl in let loop match mod move mut
    pub ref return self Self static struct super trait true type unsafe use where while async await dyn
    abstract become box do final macro override priv typeof unsized virtual yield try gen union raw safe
    new from_bits into_bits from into default fmt clone eq ne hash read_from_bytes read_from_prefix
    as_bytes size_of
    as_mut_bytes write_to write_to_prefix write_to_suffix read_from_suffix ref_from_bytes ref_from_prefix
    ref_from_suffix mut_from_bytes mut_from_prefix mut_from_suffix new_zeroed zero
    FromBytes FromZeros IntoBytes Immutable KnownLayout BufferTooShort BadMagic MessageError MessageProblem
    Option Some Result Ok Err Vec String"""
    # the rest of the prelude, the primitive types and the crates every crate sees: a struct named
    # `u8` or `PartialEq` would hide the one the generated code means
    """ Copy Send Sized Sync Unpin Drop Fn FnMut FnOnce drop Box ToOwned Clone PartialEq PartialOrd Eq Ord
    AsRef AsMut Into From Default Iterator Extend IntoIterator DoubleEndedIterator ExactSizeIterator
    ToString TryFrom TryInto FromIterator Debug Hash u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128
    isize f32 f64 bool char str core std alloc zerocopy bitfield_struct bitfield"""
    # types named like a bitmap's constructors (clippy: a constructor named like its type)
    """ New FromBits""".split()
)

C_RESERVED = frozenset(
    """auto break case char const continue default do double else enum extern float for goto if inline int
    long register restrict return short signed sizeof static struct switch typedef union unsigned void
    volatile while _Bool _Complex _Imaginary _Alignas _Alignof _Atomic _Generic _Noreturn _Static_assert
    _Thread_local alignas alignof and and_eq asm bool catch class compl concept const_cast consteval
    constexpr constinit co_await co_return co_yield decltype delete dynamic_cast explicit export false
    friend mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public
    reinterpret_cast requires static_assert static_cast template this thread_local throw true try typeid
    typename using virtual wchar_t xor xor_eq char8_t char16_t char32_t NULL offsetof errno assert
    int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t size_t"""
    # C23 keywords and the macros of <stdalign.h>, <stdnoreturn.h>, <complex.h>
    """ typeof typeof_unqual _BitInt _Decimal32 _Decimal64 _Decimal128 noreturn complex imaginary I"""
    # every other name <stdint.h> and <stddef.h> define (the header includes them): a constant
    # named UINT32_MAX would redefine a standard macro
    """ int_least8_t int_least16_t int_least32_t int_least64_t uint_least8_t uint_least16_t
    uint_least32_t uint_least64_t int_fast8_t int_fast16_t int_fast32_t int_fast64_t uint_fast8_t
    uint_fast16_t uint_fast32_t uint_fast64_t intptr_t uintptr_t intmax_t uintmax_t ptrdiff_t
    max_align_t INT8_MIN INT16_MIN INT32_MIN INT64_MIN INT8_MAX INT16_MAX INT32_MAX INT64_MAX UINT8_MAX
    UINT16_MAX UINT32_MAX UINT64_MAX INTPTR_MIN INTPTR_MAX UINTPTR_MAX INTMAX_MIN INTMAX_MAX
    UINTMAX_MAX PTRDIFF_MIN PTRDIFF_MAX SIG_ATOMIC_MIN SIG_ATOMIC_MAX SIZE_MAX WCHAR_MIN WCHAR_MAX
    WINT_MIN WINT_MAX INT8_C INT16_C INT32_C INT64_C UINT8_C UINT16_C UINT32_C UINT64_C INTMAX_C
    UINTMAX_C"""
    # object-like macros of headers every user includes next to ours (<stdio.h>, which the generated
    # test includes too, and <windows.h>, where `near`/`far` expand to nothing), and the GNU-mode
    # predefined `linux`/`unix`: a member of that name would be replaced by the preprocessor
    """ stdin stdout stderr EOF BUFSIZ FILENAME_MAX FOPEN_MAX TMP_MAX SEEK_SET SEEK_CUR SEEK_END
    near far interface linux unix TRUE FALSE"""
    # the upper-case object-like macros of <stdlib.h> and <inttypes.h>, which the generated codec
    # includes next to the header
    """ EXIT_SUCCESS EXIT_FAILURE RAND_MAX MB_CUR_MAX PRIX8 PRIX16 PRIX32 PRIX64 PRIXLEAST8 PRIXLEAST16
    PRIXLEAST32 PRIXLEAST64 PRIXFAST8 PRIXFAST16 PRIXFAST32 PRIXFAST64 PRIXMAX PRIXPTR""".split()
)

RESERVED = {"python": PYTHON_RESERVED, "rust": RUST_RESERVED, "c": C_RESERVED}

# A schema's name names files and modules in every target: generated/python/<name>.py (imported
# by its tests as `<name>`), the crate <name> (used as `<name>::`) and c/<name>.h. It may not be
# a name those already mean.
_C_HEADERS = """assert complex ctype errno fenv float inttypes iso646 limits locale math setjmp signal stdalign
stdarg stdatomic stdbit stdbool stdckdint stddef stdint stdio stdlib stdnoreturn string tgmath threads
time uchar wchar wctype""".split()
_RUST_CRATES = "core std alloc proc_macro test self super crate zerocopy zerocopy_derive bitfield_struct".split()
# besides Python's standard library (sys.stdlib_module_names): what the generated tests import or load
_PYTHON_MODULES = "conftest pytest _pytest hypothesis mypy black".split()
_RUST_KEYWORDS = frozenset(
    """as break const continue crate else enum extern false fn for if impl in let loop match mod move mut
    pub ref return self Self static struct super trait true type unsafe use where while async await dyn
    abstract become box do final macro override priv typeof unsized virtual yield try gen""".split()
)
_DEVICES = ["con", "prn", "aux", "nul"] + [f"{p}{i}" for p in ("com", "lpt") for i in range(10)]


def modules(schema_name: str) -> list[str]:
    """The modules and files a schema's name makes in every target, which no two schemas generated
    together may share: the Python modules and C files `x`, `test_x` and `codec_x` (and the crate
    `x`, its example `codec_x`, the page `x.md`, the vectors `x.txt`)."""
    return [schema_name, f"test_{schema_name}", f"codec_{schema_name}"]


def schema_name_problem(name: str) -> str | None:
    """Why a schema name cannot name the generated files and modules, or None."""
    if keyword.iskeyword(name):
        return f"'{name}' is a Python keyword, so `import {name}` could not import the generated module"
    if name in _RUST_KEYWORDS or name in _RUST_CRATES:
        return f"'{name}' is a Rust keyword or a crate every Rust crate or the generated one uses, so it cannot name the crate"
    if name in _PYTHON_MODULES or name in sys.stdlib_module_names:
        return f"'{name}' is a module of Python's standard library or of the generated tests, which the generated module would hide"
    if name in _C_HEADERS:
        return f"'{name}' is a C standard header's name: `{name}.h` would hide <{name}.h> wherever generated/c is on the include path"
    if name in _DEVICES:
        return f"'{name}' is a reserved device name on Windows, where no file can be called `{name}.py` or `{name}.h`"
    return None


def safe(name: str, target: str) -> str:
    """Apply the one collision rule for `target`."""
    return name + "_" if name in RESERVED[target] else name


def ident(item: Item, target: str) -> str:
    """The name of a schema item in `target`: its override, else the schema name made safe."""
    if target in item.names:
        return item.names[target]
    return safe(item.name, target)


def _has_case(c: str) -> bool:
    return c.lower() != c.upper()


def rust_snake(name: str) -> bool:
    """rustc's non_snake_case check: no capital letter, no `__` but at the ends."""
    inner = name.strip("_")
    return not any(c.isupper() for c in inner) and "__" not in inner


def rust_camel(name: str) -> bool:
    """rustc's non_camel_case_types check: no small first letter, no `__`, no `_` next to a letter."""
    inner = name.strip("_")
    if not inner:
        return True
    pairs = zip(inner, inner[1:])
    return not inner[0].islower() and "__" not in inner and not any(a == "_" and _has_case(b) or b == "_" and _has_case(a) for a, b in pairs)


def rust_upper(name: str) -> bool:
    """rustc's non_upper_case_globals check: no small letter."""
    return not any(c.islower() for c in name)


def rust_getter_lints(name: str) -> list[str]:
    """The clippy lints a bit field's getter (`fn name(&self) -> T`, made by bitfield-struct)
    trips by its name alone: methods named `into_*`, `to_*` (of a Copy type), `from_*` or `*_mut`
    are expected to take `self` otherwise, and a public `len` to come with `is_empty`."""
    lints = []
    if name.startswith(("into_", "to_", "from_")) or name.endswith("_mut"):
        lints.append("clippy::wrong_self_convention")
    if name == "len":
        lints.append("clippy::len_without_is_empty")
    return lints


def upper_snake(name: str) -> str:
    """IgvmAttestReportType -> IGVM_ATTEST_REPORT_TYPE (also for names with digits: V2Header -> V2_HEADER)."""
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return s.upper()


def lower_snake(name: str) -> str:
    return upper_snake(name).lower()


def c_versioned(name: str, version: int) -> str:
    """The C name of an older layout: the version suffix appends to the name (or override) with an
    underscore, IgvmAttestRequestData -> IgvmAttestRequestData_V1, IGVM_KEY_MESSAGE_HEADER -> ..._V1."""
    return f"{name}_V{version}"


def c_part(item: Item) -> str:
    """An item's name as one part of a longer C identifier (IGVM_SIGNAL_RETRY_MASK, igvm_signal_get_retry):
    its `c` override, else its schema name. A part is never a whole identifier, so no keyword rule applies."""
    return item.names.get("c", item.name)


def c_macro_prefix(item: Item) -> str:
    """The prefix of a type's C macros: IgvmAttestReportType -> IGVM_ATTEST_REPORT_TYPE (constants
    IGVM_ATTEST_REPORT_TYPE_VBS_VM_REPORT, masks IGVM_SIGNAL_RETRY_MASK, sizes ..._SIZE_V1)."""
    return upper_snake(c_part(item))


def c_function_prefix(item: Item) -> str:
    """The prefix of a type's C helper functions: IgvmSignal -> igvm_signal (igvm_signal_get_retry)."""
    return lower_snake(c_part(item))


def versioned(name: str, version: int) -> str:
    """The name of an older layout of a versioned struct: IgvmAttestRequestData -> IgvmAttestRequestDataV1."""
    return f"{name}V{version}"


# --- one check of every name every target declares ------------------------------------------

TARGET_NAMES = {"python": "Python", "rust": "Rust", "c": "C"}


class Scope:
    """The names of one scope of one target (a Python module, a Rust impl, C's file scope...),
    each with what declared it: a schema item, or the generated code itself (item None).

    Every target declares every name it will emit into its scopes (`claim`), after every renaming
    rule and override; a second owner of a name is a clash, refused with the positions of both.
    """

    def __init__(self, target: str, where: str, schema: Schema):
        self.target = target
        self.where = where  # "the crate root", "bitmap Flags's methods", ...
        self.schema = schema
        self.owner: dict[str, tuple[Item | None, str]] = {}
        self.problems: list[Problem] = []

    def claim(self, name: str, item: Item | None, what: str) -> str:
        if item is not None and override_problem(item, self.target, "") is not None:
            return name  # its override is refused already: a clash would only follow from that
        prev = self.owner.get(name)
        if prev is None:
            self.owner[name] = (item, what)
            return name
        first, first_what = prev
        at = item if item is not None else first
        mark, path = (_name_mark(at, self.target), at.path) if at is not None else (self.schema.mark, "schema")
        lang = TARGET_NAMES[self.target]
        if first is not None and item is not None and first is not item:
            where = _name_mark(first, self.target)
            clash = f"{what} and {first_what} (line {where.line}, column {where.col}) are both '{name}'"
            fix = f"give one of them a `names: {{{self.target}: ...}}` override"
        else:
            clash = f"{what} and {first_what} are both '{name}'"
            fix = f"rename it, or give it a `names: {{{self.target}: ...}}` override"
        self.problems.append(Problem(mark, path, f"{lang} name clash in {self.where}: {clash}; {fix}"))
        return name

    def reserve(self, names, what: str) -> None:
        """Names the generated code itself declares or uses in this scope."""
        for n in names:
            self.owner.setdefault(n, (None, f"{what} `{n}`"))

    def override_ok(self, item: Item, what: str) -> None:
        """Refuse an override this target cannot use as it is (a keyword, a reserved name)."""
        problem = override_problem(item, self.target, what)
        if problem is not None:
            self.problems.append(problem)

    def raise_if_any(self) -> None:
        if self.problems:
            from .errors import SchemaError

            raise SchemaError(self.problems)


_KINDS = {"Constant": "constant", "Enum": "enum", "EnumValue": "value", "Bitmap": "bitmap", "BitField": "field", "Struct": "struct", "Field": "field", "Message": "message", "Part": "part"}


def kind(item: Item) -> str:
    """What an item is, in a message: constant, enum, value, bitmap, struct, field."""
    return _KINDS.get(type(item).__name__, type(item).__name__.lower())


def items(schema: Schema):
    """Every named item of a schema."""
    for c in schema.constants:
        yield c
    for t in schema.types:
        yield t
        yield from getattr(t, "values", [])
        yield from getattr(t, "fields", [])
    for msg in schema.messages:
        yield msg
        yield from msg.parts


def _name_mark(item: Item, target: str):
    """Where the name an item has in `target` is written: its override, else its name."""
    if target in item.names and "names" in item.marks:
        return item.marks["names"]
    return item.at("name")


def override_problem(item: Item, target: str, what: str) -> Problem | None:
    """A `names:` override is used as written, so it must be a name the target can use: not a
    keyword or reserved name, and without a leading underscore (private, or reserved to the
    implementation, in every target)."""
    name = item.names.get(target)
    if name is None:
        return None
    lang = TARGET_NAMES[target]
    where = item.marks.get("names", item.mark)
    if name in RESERVED[target]:
        return Problem(where, f"{item.path}.names.{target}", f"the {lang} override '{name}' of {what} is a {lang} keyword or a name the generated code uses; choose another")
    if name.startswith("_"):
        return Problem(where, f"{item.path}.names.{target}", f"the {lang} override '{name}' of {what} starts with an underscore, which marks private or reserved names; choose another")
    return None
