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
A bit field renamed by the rule (`type_`) makes bitfield-struct's derived
`with_type__checked`, so the crate then allows `non_snake_case`.
"""

from __future__ import annotations

import keyword
import re

from .model import Item

PYTHON_RESERVED = frozenset(
    keyword.kwlist
    + keyword.softkwlist
    + [
        # builtins and module-level names the generated Python uses
        "int", "bool", "bytes", "str", "list", "tuple", "dict", "len", "type", "object", "isinstance",
        "super", "cls", "self", "struct", "dataclass", "dataclasses", "field", "fields", "ClassVar",
        "Optional", "Any", "annotations", "DecodeError", "EncodeError", "typing", "enum",
        # the generated API
        "to_bytes", "from_bytes", "from_prefix", "from_int", "size", "SIZE", "SIZES", "VERSIONS",
        "layout_version", "is_newer_version", "reserved_bits", "replace", "verify",
        # the generated message API
        "parse", "build", "FIXED_SIZES", "MessageError", "MessageDecodeError", "MessageEncodeError",
    ]
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
    Option Some Result Ok Err Vec String""".split()
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


def safe(name: str, target: str) -> str:
    """Apply the one collision rule for `target`."""
    return name + "_" if name in RESERVED[target] else name


def ident(item: Item, target: str) -> str:
    """The name of a schema item in `target`: its override, else the schema name made safe."""
    if target in item.names:
        return item.names[target]
    return safe(item.name, target)


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
