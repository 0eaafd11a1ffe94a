"""Which old type (or message) is which new one: by name and kind, then renames by identical wire shape."""

from __future__ import annotations

from ..model import Bitmap, Enum, Message, MessageLayout, Schema, Struct
from .wire import View, bytes_key, embedded, parts_of, view


class Context:
    """The two schemas being compared, their protocol versions, and which old type became which new type."""

    def __init__(self, old: Schema, new: Schema):
        self.old, self.new = old, new
        self.versions = sorted(set(old.versions) | set(new.versions))
        self.old_versions = set(old.versions)
        self.new_versions = set(new.versions)
        self._views: dict[tuple[int, int], View] = {}
        self.old_name: dict[str, str] = {}  # new type name -> old type name, for matched types
        self.pairs: list[tuple[Enum | Bitmap | Struct, Enum | Bitmap | Struct]] = []
        self.added: list[Enum | Bitmap | Struct] = []
        self.removed: list[Enum | Bitmap | Struct] = []
        self.old_embedded = embedded(old)
        self.new_embedded = embedded(new)
        self.old_parts = parts_of(old)  # struct name -> (message, part) of every message part it is
        self.new_parts = parts_of(new)
        self.message_pairs: list[tuple[Message, Message]] = []
        self.added_messages: list[Message] = []
        self.removed_messages: list[Message] = []

    def view(self, st: Struct, v: int) -> View:
        key = (id(st), v)
        if key not in self._views:
            self._views[key] = view(st, v)
        return self._views[key]

    def same_type(self, old_tname: str, new_tname: str) -> bool:
        """Do an old and a new leaf name the same type ("" = a plain integer), renames followed?"""
        if not old_tname or not new_tname:
            return old_tname == new_tname
        return self.old_name.get(new_tname) == old_tname

    def same_bytes(self, old_tname: str, new_tname: str) -> bool:
        """The same type, or a plain integer and an enum or bitmap over it (either way): the
        bytes mean the same numbers, so only generated code can tell them apart."""
        return self.same_type(old_tname, new_tname) or not old_tname or not new_tname

    def shape(self, t: Enum | Bitmap | Struct) -> tuple:
        """What a type puts on the wire, names and integer refinements left out: the key that
        pairs a renamed type with its old self (wire first, then name)."""
        if isinstance(t, Enum):
            return ("enum", t.type.name, tuple(sorted(v.value for v in t.values)))
        if isinstance(t, Bitmap):
            return ("bitmap", t.type.name, tuple(sorted((f.lo, f.hi, f.is_bool) for f in t.fields)))
        return (
            "struct",
            tuple(
                (vw.size, tuple(bytes_key(s) for s in vw.leaves))
                for vw in (self.view(t, v) for v in self.versions)
            ),
        )

    def match_types(self) -> None:
        old_types = {t.name: t for t in self.old.types}
        new_types = {t.name: t for t in self.new.types}
        pairs = []
        left_old = [t for t in self.old.types if not (t.name in new_types and new_types[t.name].kind == t.kind)]
        left_new = [t for t in self.new.types if not (t.name in old_types and old_types[t.name].kind == t.kind)]
        for t in self.new.types:
            o = old_types.get(t.name)
            if o is not None and o.kind == t.kind:
                pairs.append((o, t))
        # renames: an unmatched old type and an unmatched new type of the same shape, each unique
        old_shapes: dict[tuple, list] = {}
        new_shapes: dict[tuple, list] = {}
        for t in left_old:
            old_shapes.setdefault(self.shape(t), []).append(t)
        for t in left_new:
            new_shapes.setdefault(self.shape(t), []).append(t)
        renamed = []
        for sh, news in new_shapes.items():
            olds = old_shapes.get(sh, [])
            if len(news) == 1 and len(olds) == 1:
                renamed.append((olds[0], news[0]))
        for o, n in renamed:
            pairs.append((o, n))
            left_old.remove(o)
            left_new.remove(n)
        order = {t.name: i for i, t in enumerate(self.new.types)}
        self.pairs = sorted(pairs, key=lambda p: order[p[1].name])
        self.old_name = {n.name: o.name for o, n in self.pairs}
        self.added = left_new
        self.removed = left_old

    def message_shape(self, m: Message) -> tuple:
        """Where each part and the payload start in every version, and the bytes of each part:
        the key that pairs a renamed message with its old self."""
        out: list[tuple | None] = []
        for v in self.versions:
            lay = layout(m, v)
            if lay is None:
                out.append(None)
                continue
            out.append((tuple((pl.offset, self.shape(pl.part.struct)) for pl in lay.parts), m.payload is not None))  # type: ignore[arg-type]
        return tuple(out)

    def match_messages(self) -> None:
        olds = {m.name: m for m in self.old.messages}
        news = {m.name: m for m in self.new.messages}
        pairs = [(olds[m.name], m) for m in self.new.messages if m.name in olds]
        left_old = [m for m in self.old.messages if m.name not in news]
        left_new = [m for m in self.new.messages if m.name not in olds]
        for n in list(left_new):
            cands = [o for o in left_old if self.message_shape(o) == self.message_shape(n)]
            rivals = [x for x in left_new if self.message_shape(x) == self.message_shape(n)]
            if len(cands) == 1 and len(rivals) == 1:
                pairs.append((cands[0], n))
                left_old.remove(cands[0])
                left_new.remove(n)
        order = {m.name: i for i, m in enumerate(self.new.messages)}
        self.message_pairs = sorted(pairs, key=lambda p: order[p[1].name])
        self.added_messages = left_new
        self.removed_messages = left_old


def layout(m: Message, v: int) -> MessageLayout | None:
    """The parts of `m` in a message of version `v`, as its own schema places them; None when
    the message does not exist in `v` or (a versioned one) does not know `v`."""
    if not m.layouts or v < m.layouts[0].version:
        return None
    return m.layout_in(v)


def reader_layout(m: Message, v: int) -> MessageLayout | None:
    """The layout a reader built with `m` applies to a message of version `v` if it does not
    refuse it: the version's own, or for a newer version it does not know, its newest."""
    if not m.layouts or v < m.layouts[0].version:
        return None
    return m.layout_in(v) or m.layouts[-1]
