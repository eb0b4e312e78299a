"""Field checks shared by the value classes (events, leads, rules)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any

from leadqual.errors import ValidationError

if TYPE_CHECKING:
    import attrs

#: Seconds in a day. Days are counted in UTC wherever leadqual counts them.
DAY = 86400.0

_UTC = timezone.utc


def require_text(field: str, value: Any) -> str:
    """Return ``value`` if it is a non-empty string, else raise."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, value, "expected a non-empty string")
    return value


def optional_text(field: str, value: Any) -> str | None:
    """Like :func:`require_text`, but ``None`` is allowed."""
    return None if value is None else require_text(field, value)


#: What names the field of an attrs validator's error, from the instance and attribute.
Where = Callable[[Any, "attrs.Attribute[Any]"], str]


def checked(
    check: Callable[[str, Any], object],
    field: str | Where | None = None,
    *,
    optional: bool = False,
) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    """An attrs validator that runs ``check(field, value)``: a ``require_*`` check, say.

    The field named in the error is ``field`` when given (a function of the instance and
    the attribute, for a name that depends on the instance, such as a rule's name), else
    ``"<Class>.<attribute>"``; with ``optional=True`` a ``None`` value is let through
    unchecked.

    >>> import attrs
    >>> @attrs.frozen
    ... class Stage:
    ...     name: str = attrs.field(validator=checked(require_text))
    ...     owner: str | None = attrs.field(
    ...         default=None, validator=checked(require_text, "owner", optional=True)
    ...     )
    ...     order: int = attrs.field(
    ...         default=1, validator=checked(require_count, lambda s, a: f"{s.name}.{a.name}")
    ...     )
    >>> Stage("MQL", None)
    Stage(name='MQL', owner=None, order=1)
    >>> Stage(" ")
    Traceback (most recent call last):
    ...
    leadqual.errors.ValidationError: Stage.name: expected a non-empty string, got ' '
    >>> Stage("MQL", owner="")
    Traceback (most recent call last):
    ...
    leadqual.errors.ValidationError: owner: expected a non-empty string, got ''
    >>> Stage("MQL", order=0)
    Traceback (most recent call last):
    ...
    leadqual.errors.ValidationError: MQL.order: expected a whole number >= 1, got 0
    """

    if isinstance(field, str) and not optional:  # the common case, on hot paths: one call

        def named(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
            check(field, value)

        return named

    def validate(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if optional and value is None:
            return
        if field is None:
            where = f"{type(inst).__name__}.{attribute.name}"
        else:
            where = field if isinstance(field, str) else field(inst, attribute)
        check(where, value)

    return validate


def instance_of(kind: type | tuple[type, ...], expected: str) -> Callable[[str, Any], None]:
    """A check (for :func:`checked`) that ``value`` is an instance of ``kind``; the error
    says ``expected <expected>``.

    >>> instance_of(int, "a count")("n", "3")
    Traceback (most recent call last):
    ...
    leadqual.errors.ValidationError: n: expected a count, got '3'
    """

    def check(field: str, value: Any) -> None:
        if not isinstance(value, kind):
            raise ValidationError(field, value, f"expected {expected}")

    return check


def as_of_by_keyword(positional: Any, keyword: Any, where: str) -> Any:
    """The ``as_of`` of a call that takes it by keyword, also accepting it positionally
    as before, with a :class:`DeprecationWarning` naming ``where`` (the call)."""
    if positional is None:
        return keyword
    warnings.warn(
        f"{where}: pass as_of by keyword (as_of=...); positionally it is deprecated",
        DeprecationWarning,
        stacklevel=3,
    )
    if keyword is not None:
        raise ValidationError("as_of", keyword, "given twice (by position and by keyword)")
    return positional


def is_number(value: Any) -> bool:
    """Whether ``value`` is an int or a float (a bool is not a number here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def require_number(field: str, value: Any) -> float:
    """Return a finite int or float (not a bool), else raise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(field, value, "expected a number")
    if not math.isfinite(value):
        raise ValidationError(field, value, "expected a finite number")
    return value


#: The largest number of points (in either direction) a rule, cap, bound or threshold may
#: name: far beyond any real scorecard, and far from where sums of floats overflow.
MAX_POINTS = 1e9


def require_points(field: str, value: Any) -> float:
    """Return a number of points within +-:data:`MAX_POINTS`, else raise."""
    number = require_number(field, value)
    if abs(number) > MAX_POINTS:
        raise ValidationError(
            field, value, f"expected points between {-MAX_POINTS:g} and {MAX_POINTS:g}"
        )
    return number


def require_count(field: str, value: Any, minimum: int = 1) -> int:
    """Return ``value`` if it is a whole number (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationError(field, value, f"expected a whole number >= {minimum}")
    return value


def require_items(
    field: str, value: Any, problem: str, *, of: type | None = None
) -> tuple[Any, ...]:
    """The items of a list-like ``value`` (not a string or a mapping), else raise; with
    ``of``, each item must be an instance of it."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise ValidationError(field, value, problem)
    items = tuple(value)
    if of is not None:
        for i, item in enumerate(items):
            if not isinstance(item, of):
                raise ValidationError(f"{field}[{i}]", item, f"expected a {of.__name__}")
    return items


def require_aware(field: str, value: Any) -> datetime:
    """Return ``value`` if it is a timezone-aware datetime, else raise."""
    if not isinstance(value, datetime):
        raise ValidationError(field, value, "expected a timezone-aware datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            field, value, "expected a timezone-aware datetime (this one has no UTC offset)"
        )
    return value


_fromisoformat = datetime.fromisoformat


def parse_iso(text: str) -> datetime | None:
    """The one reading of an ISO 8601 date-time in leadqual (``Z`` for UTC allowed, spaces
    around ignored): the datetime, naive when the text has no offset, or ``None`` when the
    text is not one."""
    text = text.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        return _fromisoformat(text)
    except (ValueError, OverflowError):
        return None


def check_zone(zone: Any) -> tzinfo:
    """A time zone: a ``tzinfo``, or the IANA name of one (``"Europe/Paris"``)."""
    if isinstance(zone, tzinfo):
        return zone
    if isinstance(zone, str) and zone.strip():
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # stdlib; loaded when needed

        try:
            return ZoneInfo(zone.strip())
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise ValidationError(
        "timezone", zone, "expected a time zone name such as 'Europe/Paris' or 'UTC'"
    )


def localize(field: str, value: Any, zone: tzinfo) -> Any:
    """``value`` with the UTC offset of ``zone`` added when it is an ISO 8601 time
    without one; anything else unchanged. A wall time that a change of clocks makes
    ambiguous or skips raises: leadqual never guesses which instant was meant."""
    if not isinstance(value, str):
        return value
    moment = parse_iso(value)
    if moment is None or moment.tzinfo is not None:
        return value
    first, second = moment.replace(tzinfo=zone, fold=0), moment.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        raise ValidationError(
            field,
            value,
            f"is ambiguous or skipped in {zone} (the clocks change then): give its UTC offset",
        )
    return first.isoformat()


def parse_timestamp(field: str, value: Any) -> datetime:
    """Accept an aware datetime or an ISO 8601 string with a UTC offset (``Z`` allowed)."""
    if isinstance(value, str):
        parsed = parse_iso(value)
        if parsed is None:
            raise ValidationError(field, value, "expected an ISO 8601 timestamp with a UTC offset")
        if parsed.tzinfo is None:
            raise ValidationError(
                field,
                value,
                "expected an ISO 8601 timestamp with a UTC offset (none given: add one, or "
                "say where such times were taken with timezone= or --timezone)",
            )
        return parsed
    return require_aware(field, value)


def require_positive_timedelta(field: str, value: Any) -> timedelta:
    """Return a timedelta greater than zero, else raise."""
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ValidationError(field, value, "expected a positive timedelta")
    return value


def check_keys(
    field: str, data: Any, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> Mapping[str, Any]:
    """Check a plain-data mapping has the required keys and no unknown ones."""
    if not isinstance(data, Mapping):
        raise ValidationError(field, data, "expected a mapping")
    allowed = set(required) | set(optional)
    for key in required:
        if key not in data:
            unknown = [str(k) for k in data if k not in allowed]
            problem = "is required"
            if unknown:  # a renamed column, most likely: say which
                problem += f" (and {', '.join(map(repr, unknown))} is not a known key)"
            raise ValidationError(f"{field}.{key}" if field else key, None, problem)
    for key in data:
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            raise ValidationError(
                f"{field}.{key}" if field else str(key),
                data[key],
                f"unknown key (known keys: {known})",
            )
    return data
