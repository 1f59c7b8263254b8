"""Typed records for `check`'s start path: a dataclass's constructor, equality, repr and `replace`, without the
dataclasses module.

`quayside check` on one Dockerfile is mostly start-up, and issue 12 holds it to 3x hadolint's time. Importing
dataclasses (it imports inspect, and so ast, dis and tokenize) took 9-12 ms, and generating each class's methods
with exec 0.3-0.5 ms a class, about 17 ms for check's 20 classes (`python -X importtime`, bench/check_speed.py).
No kept library builds classes without either, so this does: the methods are shared by every record, not
generated, and mypy checks constructors and frozen fields through PEP 681 (`dataclass_transform`).

Supported: fields with defaults, `field(default=..., default_factory=..., repr=..., compare=...)`, `frozen=True`
(hashable, like a frozen dataclass), keyword or positional arguments. Not supported (use dataclasses):
inheritance between records, `__post_init__`, `kw_only`, `InitVar`.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing itself costs 3-5 ms to import; mypy reads a name TYPE_CHECKING as True
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar, dataclass_transform

    _R = TypeVar("_R")
    _C = TypeVar("_C", bound=type)
else:

    def dataclass_transform(**_: object) -> Callable[[_C], _C]:
        return lambda decorator: decorator


_MISSING = object()


class FrozenRecordError(AttributeError):
    """Assignment to a field of a frozen record (dataclasses.FrozenInstanceError's counterpart)."""


class _Field:
    __slots__ = ("compare", "default", "default_factory", "repr")

    def __init__(self, default: object, default_factory: object, repr: bool, compare: bool) -> None:
        self.default = default
        self.default_factory = default_factory
        self.repr = repr
        self.compare = compare


def field(*, default: Any = _MISSING, default_factory: Callable[[], Any] | object = _MISSING, repr: bool = True,
          compare: bool = True) -> Any:
    """As dataclasses.field: a default, or a factory called for each new record, and whether the field is shown
    by repr and compared by ==."""
    if default is not _MISSING and default_factory is not _MISSING:
        raise ValueError("field(): give default or default_factory, not both")
    return _Field(default, default_factory, repr, compare)


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    spec = type(self).__record_spec__
    given = len(args)
    if given > len(spec):
        raise TypeError(f"{type(self).__name__}() takes {len(spec)} arguments but {given} were given")
    assign = object.__setattr__
    for (name, _, _), value in zip(spec, args, strict=False):  # the rest come from keywords or defaults
        assign(self, name, value)
    for name, default, factory in spec[given:]:
        if name in kwargs:
            value = kwargs.pop(name)
        elif factory is not _MISSING:
            value = factory()
        elif default is not _MISSING:
            value = default
        else:
            raise TypeError(f"{type(self).__name__}() missing required argument {name!r}")
        assign(self, name, value)
    if kwargs:
        name = next(iter(kwargs))
        if any(name == positional for positional, _, _ in spec[:given]):
            raise TypeError(f"{type(self).__name__}() got multiple values for argument {name!r}")
        raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {name!r}")


def _compared(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in type(self).__record_compare__)


def _eq(self: Any, other: object) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented  # type: ignore[no-any-return]
    return _compared(self) == _compared(other)


def _hash(self: Any) -> int:
    return hash(_compared(self))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in type(self).__record_repr__)
    return f"{type(self).__qualname__}({shown})"


def _frozen_setattr(self: Any, name: str, value: object) -> None:
    raise FrozenRecordError(f"cannot assign to field {name!r}: {type(self).__name__} is frozen")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenRecordError(f"cannot delete field {name!r}: {type(self).__name__} is frozen")


@dataclass_transform(field_specifiers=(field,))
def record(cls: type[_R] | None = None, /, *, frozen: bool = False) -> Any:
    """The class decorator: `@record` or `@record(frozen=True)`."""

    def build(cls: type[_R]) -> type[_R]:
        spec: list[tuple[str, object, object]] = []
        compared: list[str] = []
        shown: list[str] = []
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063 - inspect is what this avoids
            if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
                continue
            value = cls.__dict__.get(name, _MISSING)
            if isinstance(value, _Field):
                spec.append((name, value.default, value.default_factory))
                if value.default is _MISSING:
                    delattr(cls, name)  # no class attribute may stand in for a missing value
                else:
                    setattr(cls, name, value.default)
                if value.compare:
                    compared.append(name)
                if value.repr:
                    shown.append(name)
            else:
                if value is _MISSING and spec and (spec[-1][1] is not _MISSING or spec[-1][2] is not _MISSING):
                    raise TypeError(f"{cls.__name__}: field {name!r} without a default follows one with a default")
                if isinstance(value, (list, dict, set)):
                    raise ValueError(f"{cls.__name__}.{name}: a mutable default is shared by every record; use field(default_factory=...)")
                spec.append((name, value, _MISSING))
                compared.append(name)
                shown.append(name)
        cls.__record_spec__ = tuple(spec)  # type: ignore[attr-defined]
        cls.__record_compare__ = tuple(compared)  # type: ignore[attr-defined]
        cls.__record_repr__ = tuple(shown)  # type: ignore[attr-defined]
        cls.__init__ = _init  # type: ignore[method-assign]
        cls.__eq__ = _eq  # type: ignore[method-assign]
        cls.__repr__ = _repr  # type: ignore[method-assign]
        if frozen:
            cls.__setattr__ = _frozen_setattr  # type: ignore[method-assign]
            cls.__delattr__ = _frozen_delattr  # type: ignore[method-assign]
            cls.__hash__ = _hash  # type: ignore[method-assign]
        else:
            cls.__hash__ = None  # type: ignore[assignment]  # mutable and compared by value: unhashable, as a dataclass
        return cls

    return build if cls is None else build(cls)


def replace(obj: _R, /, **changes: Any) -> _R:
    """A copy of a record with some fields changed (dataclasses.replace)."""
    values = {name: getattr(obj, name) for name, _, _ in type(obj).__record_spec__}  # type: ignore[attr-defined]
    unknown = set(changes) - set(values)
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no field {sorted(unknown)[0]!r}")
    values.update(changes)
    return type(obj)(**values)
