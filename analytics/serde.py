"""Convert analytics value objects to JSON-friendly dicts and back, exactly.

Dates become ISO strings, tuples become lists, NaN / inf floats become None. Decoding is
driven by the dataclass type hints, so ``from_jsonable(T, to_jsonable(x)) == x`` for every
value object in ``analytics.types`` and alert body in ``analytics.events`` (whose floats are
never NaN by construction).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import sys
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin


def to_jsonable(value: Any) -> Any:
    """A JSON-serialisable copy of ``value`` (dataclass, dict, tuple, date, number, str)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if hasattr(value, "item"):  # numpy scalar
        return to_jsonable(value.item())
    raise TypeError(f"cannot serialise {type(value).__name__}")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, globalns=vars(sys.modules[cls.__module__]))


def from_jsonable(tp: Any, data: Any) -> Any:
    """Rebuild a value of type ``tp`` from ``to_jsonable`` output."""
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        return _decode_union(tp, data)
    if data is None:
        return None
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        kwargs = {
            f.name: from_jsonable(hints[f.name], data[f.name])
            for f in dataclasses.fields(tp)
            if f.init and f.name in data
        }
        return tp(**kwargs)
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_jsonable(args[0], v) for v in data)
        return tuple(from_jsonable(a, v) for a, v in zip(args, data, strict=True))
    if origin in (dict, Mapping) or tp is dict:
        args = get_args(tp) or (str, Any)
        return {str(k): from_jsonable(args[1], v) for k, v in data.items()}
    if origin is Literal or tp in (str, bool, Any):
        return data
    if tp is dt.date:
        return dt.date.fromisoformat(data)
    if tp is float:
        return float(data)
    if tp is int:
        return int(data)
    raise TypeError(f"cannot decode {tp!r}")


def _decode_union(tp: Any, data: Any) -> Any:
    args = [a for a in get_args(tp) if a is not type(None)]
    if data is None:
        return None
    if len(args) == 1:
        return from_jsonable(args[0], data)
    for arg in args:  # e.g. float | int: first that decodes cleanly
        try:
            return from_jsonable(arg, data)
        except (TypeError, ValueError, KeyError):
            continue
    raise TypeError(f"cannot decode {data!r} as {tp!r}")
