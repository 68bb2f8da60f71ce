"""What a ``torch.save`` file holds (names and tensor shapes), read without unpickling it.

A ``.pt``/``.pth`` file written by ``torch.save`` is a zip: ``ARCHIVE/data.pkl`` is a pickle that
rebuilds the saved object, and ``ARCHIVE/data/N`` are the raw tensor storages. Unpickling runs
whatever the pickle names, so the app never does it. Instead ``pickletools.genops`` lists the
pickle's opcodes (it parses, it executes nothing) and a small stack machine follows them, keeping
strings, numbers, tuples and dicts and writing every call down as a ``Call`` it never makes. A
tensor is then the call of ``torch._utils._rebuild_tensor_v2`` whose third argument is its shape.
"""

from __future__ import annotations

import dataclasses
import io
import pickletools
import zipfile
from pathlib import Path

MAX_PICKLE_BYTES = 16 * 2**20  # the pickle of a state dict is small; its tensors are elsewhere
MAX_OPCODES = 2_000_000
ZIP_START = b"PK\x03\x04"
TENSOR_BUILDERS = ("torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor")


class UnreadablePickleError(ValueError):
    """The file is not a ``torch.save`` zip whose pickle this reader can follow."""


@dataclasses.dataclass(frozen=True)
class TensorShape:
    """A tensor in the file, known by its shape only."""

    shape: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class Call:
    """A call the pickle asks for, written down and never made."""

    function: str
    args: tuple


_MARK = object()


def saved_object(source: Path | bytes) -> object:
    """The object a ``torch.save`` zip (a file or its bytes) holds, with each tensor as a
    ``TensorShape`` and any other object as an unmade ``Call``; ``UnreadablePickleError`` when it
    is not such a file. Only the zip's directory and its pickle are read, never the tensors."""
    if isinstance(source, bytes):
        start = source[:4]
    else:
        with Path(source).open("rb") as file:
            start = file.read(4)
    if start != ZIP_START:
        raise UnreadablePickleError("not a torch.save zip: an older pickle, or another format")
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as archive:
            names = [n for n in archive.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
            if len(names) != 1:
                raise UnreadablePickleError("a zip without one ARCHIVE/data.pkl: not a torch.save file")
            if archive.getinfo(names[0]).file_size > MAX_PICKLE_BYTES:
                raise UnreadablePickleError("its pickle is too large to list")
            pickled = archive.read(names[0])
    except UnreadablePickleError:
        raise
    except Exception as err:  # zipfile raises BadZipFile, zlib.error, NotImplementedError, …
        raise UnreadablePickleError(f"an unreadable zip ({str(err)[:80]})") from None
    return follow_pickle(pickled)


def follow_pickle(pickled: bytes) -> object:
    """The object ``pickled`` describes, built from data only (see the module docstring)."""
    machine = _Machine()
    try:
        for count, (opcode, arg, _pos) in enumerate(pickletools.genops(pickled)):
            if count > MAX_OPCODES:
                raise UnreadablePickleError("its pickle is too long to list")
            if opcode.name == "STOP":
                return machine.stack[-1]
            machine.step(opcode.name, arg)
    except (ValueError, IndexError, KeyError, TypeError) as err:
        if isinstance(err, UnreadablePickleError):
            raise
        raise UnreadablePickleError(f"its pickle cannot be followed ({str(err)[:80]})") from None
    raise UnreadablePickleError("its pickle has no end")


class _Machine:
    """The pickle virtual machine, minus everything that imports or calls."""

    def __init__(self) -> None:
        self.stack: list = []
        self.memo: dict[int, object] = {}

    def pop_mark(self) -> list:
        index = len(self.stack) - 1 - self.stack[::-1].index(_MARK)
        items = self.stack[index + 1:]
        del self.stack[index:]
        return items

    def step(self, name: str, arg) -> None:
        stack = self.stack
        if name in CONSTANTS:
            stack.append(CONSTANTS[name])
        elif name in LITERALS:
            stack.append(arg)
        elif name == "MARK":
            stack.append(_MARK)
        elif name in ("EMPTY_DICT", "EMPTY_LIST"):
            stack.append({} if name == "EMPTY_DICT" else [])
        elif name == "EMPTY_TUPLE":
            stack.append(())
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            size = int(name[-1])
            items = tuple(stack[-size:])
            del stack[-size:]
            stack.append(items)
        elif name == "TUPLE":
            stack.append(tuple(self.pop_mark()))
        else:
            self.step_structure(name, arg)

    def step_structure(self, name: str, arg) -> None:
        stack = self.stack
        if name in ("SETITEM", "SETITEMS"):
            items = self.pop_mark() if name == "SETITEMS" else stack[-2:]
            if name == "SETITEM":
                del stack[-2:]
            target = stack[-1]
            if isinstance(target, dict):
                target.update(zip(items[::2], items[1::2], strict=True))
        elif name in ("APPEND", "APPENDS"):
            items = self.pop_mark() if name == "APPENDS" else [stack.pop()]
            if isinstance(stack[-1], list):
                stack[-1].extend(items)
        elif name in ("GLOBAL", "STACK_GLOBAL"):
            if name == "STACK_GLOBAL":
                module, qualname = stack.pop(-2), stack.pop()
                arg = f"{module} {qualname}"
            stack.append(Call("global", (arg.replace(" ", "."),)))
        elif name in ("REDUCE", "NEWOBJ"):
            args = stack.pop()
            stack.append(_called(stack.pop(), args))
        elif name == "BUILD":
            stack.pop()  # an object's state (a state dict's ``_metadata``): not needed
        elif name == "BINPERSID":
            stack.append(Call("storage", (stack.pop(),)))
        elif name in ("BINPUT", "LONG_BINPUT", "PUT", "MEMOIZE"):
            self.memo[len(self.memo) if name == "MEMOIZE" else arg] = stack[-1]
        elif name in ("BINGET", "LONG_BINGET", "GET"):
            stack.append(self.memo[arg])
        elif name not in ("PROTO", "FRAME", "POP_MARK", "POP"):
            raise UnreadablePickleError(f"its pickle uses {name}, which this reader does not follow")
        elif name == "POP":
            stack.pop()
        elif name == "POP_MARK":
            self.pop_mark()


def _called(function, args) -> object:
    """What a call made of data stands for: a tensor's shape, an empty ordered dict, or the call."""
    name = function.args[0] if isinstance(function, Call) and function.function == "global" else "?"
    if name in TENSOR_BUILDERS and isinstance(args, tuple) and len(args) >= 3:
        return TensorShape(tuple(int(n) for n in args[2]))
    if name == "torch._utils._rebuild_parameter" and args and isinstance(args[0], TensorShape):
        return args[0]
    if name == "collections.OrderedDict":
        return {}
    return Call(name, args if isinstance(args, tuple) else ())


CONSTANTS = {"NONE": None, "NEWTRUE": True, "NEWFALSE": False}
LITERALS = ("BININT", "BININT1", "BININT2", "LONG1", "LONG4", "INT", "LONG", "BINFLOAT", "FLOAT",
            "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8", "UNICODE", "SHORT_BINSTRING",
            "BINSTRING", "STRING", "SHORT_BINBYTES", "BINBYTES", "BINBYTES8")
