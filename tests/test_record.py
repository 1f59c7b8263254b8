"""quayside.record: the dataclass behaviour check's classes rely on, checked against dataclasses itself."""

from __future__ import annotations

import dataclasses

import pytest

from quayside.record import FrozenRecordError, field, record, replace


@record(frozen=True)
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()


@record
class Bag:
    name: str
    items: list[str] = field(default_factory=list)
    cache: dict[str, int] | None = field(default=None, repr=False, compare=False)


@dataclasses.dataclass(frozen=True)
class PointDC:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()


@dataclasses.dataclass
class BagDC:
    name: str
    items: list[str] = dataclasses.field(default_factory=list)
    cache: dict[str, int] | None = dataclasses.field(default=None, repr=False, compare=False)


@pytest.mark.parametrize(("args", "kwargs"), [((1,), {}), ((1, 2), {}), ((), {"x": 1, "tags": ("a",)}), ((1,), {"y": 5})])
def test_a_frozen_record_is_built_compared_hashed_and_shown_as_a_frozen_dataclass(args, kwargs):
    mine, theirs = Point(*args, **kwargs), PointDC(*args, **kwargs)
    assert (mine.x, mine.y, mine.tags) == (theirs.x, theirs.y, theirs.tags)
    assert repr(mine) == repr(theirs).replace("PointDC", "Point")
    assert mine == Point(*args, **kwargs) and hash(mine) == hash(Point(*args, **kwargs))
    assert mine != Point(99) and mine != theirs
    with pytest.raises(FrozenRecordError):
        mine.x = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):  # as dataclasses.FrozenInstanceError is
        del mine.y  # type: ignore[misc]


def test_a_mutable_record_compares_only_compared_fields_and_is_unhashable_as_a_dataclass():
    first, second = Bag("a"), Bag("a", cache={"k": 1})
    assert first == second and BagDC("a") == BagDC("a", cache={"k": 1})
    assert repr(second) == repr(BagDC("a", cache={"k": 1})).replace("BagDC", "Bag")
    first.items.append("x")
    assert Bag("a").items == []  # a new list for each record
    assert first != second
    with pytest.raises(TypeError):
        hash(first)
    first.name = "b"
    assert first.name == "b"


def test_replace_copies_with_changes():
    point = Point(1, 2)
    assert replace(point, y=7) == Point(1, 7) and point == Point(1, 2)
    bag = Bag("a", ["x"], cache={"k": 1})
    assert replace(bag, name="b").cache == {"k": 1}
    with pytest.raises(TypeError, match="no field 'z'"):
        replace(point, z=1)


@pytest.mark.parametrize(("build", "message"), [
    (lambda: Point(), "missing required argument 'x'"),
    (lambda: Point(1, 2, (), 4), "takes 3 arguments but 4 were given"),
    (lambda: Point(1, x=2), "multiple values for argument 'x'"),
    (lambda: Point(1, z=2), "unexpected keyword argument 'z'"),
])
def test_wrong_arguments_are_type_errors_as_with_a_dataclass(build, message):
    with pytest.raises(TypeError, match=message):
        build()


def test_declarations_a_dataclass_refuses_are_refused():
    with pytest.raises(ValueError, match="default_factory"):
        @record
        class Shared:
            items: list[str] = []  # noqa: RUF012

    with pytest.raises(TypeError, match="without a default follows"):
        @record
        class Order:
            first: int = 0
            second: int  # type: ignore[misc]

    with pytest.raises(ValueError, match="not both"):
        field(default=1, default_factory=int)


def test_check_starts_without_dataclasses_typing_argparse_or_inspect(tmp_path):
    """The point of quayside.record: `check`'s start path imports none of these (see bench/check_speed.py)."""
    import subprocess
    import sys

    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\nCMD [\"fastapi\", \"run\"]\n")
    probe = ("import sys; sys.argv = ['quayside', 'check', 'Dockerfile']; from quayside.entry import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in ('dataclasses', 'typing', 'argparse', 'inspect', 'ast', 'typer', 'rich') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False)
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout + proc.stderr
