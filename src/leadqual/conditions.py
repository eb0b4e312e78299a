"""Conditions: tests on a lead's attributes and an event's properties, as plain data.

Build them with :class:`Attr` (reads the lead: ``id``, ``email`` or an attribute) and
:class:`Prop` (reads the event's properties); dots reach into nested values.

>>> from leadqual import Attr, Prop, Lead
>>> mid_market = Attr("employees").between(50, 5000)
>>> str(mid_market)
'employees between 50 and 5000'
>>> mid_market.test(Lead("L-1", attributes={"employees": 400}))
True
>>> senior = (Attr("title").matches(r"(?i)\\b(vp|director|head)\\b")
...           & ~Attr("email").endswith(".edu"))
>>> print(senior)
(title matches /(?i)\\b(vp|director|head)\\b/) and (not (email ends with ".edu"))
>>> condition_from_dict(senior.to_dict()) == senior
True

Semantics, chosen so that a rule never crashes on messy CRM data:

* A missing field, or one holding ``null``, makes every comparison false
  (``!=`` and ``not_in`` included); ``exists()`` is true only for a present,
  non-null value. ``~`` is plain logical negation.
* Values are compared by JSON kind: a number never equals a string, and ``True`` is
  not the number ``1``. Ordering (``<``, ``between``) works between two numbers or two
  strings; any other pairing is false.
* ``matches`` uses :func:`re.search` on at most :data:`MAX_MATCH_TEXT` (256)
  characters of the value, so ``$`` also matches where that prefix ends. Patterns are
  compiled when the condition is built; one that does not compile, or that could
  backtrack for long on hostile text (a variable repeat or an alternation inside a
  repeat such as ``(a+)+`` or ``(a|ab)*``, more than :data:`MAX_REPEATS` repeats such
  as ``*`` and ``+``, one more when anchored with ``^``, or more than
  :data:`MAX_OPTIONALS` optional parts), is refused then with
  :class:`~leadqual.errors.ValidationError`.
* ``ignore_case=True`` (on ``equals``, ``is_in``, ``not_in``, ``contains``,
  ``startswith`` and ``endswith``) compares strings case-folded; for ``matches``,
  write ``(?i)`` in the pattern.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Union

import attrs
from typing_extensions import Self

from leadqual._fields import require_items
from leadqual.errors import ValidationError
from leadqual.jsonvalues import MISSING, JsonMap, freeze, json_equal, lookup, thaw

if TYPE_CHECKING:
    from leadqual.events import Event
    from leadqual.leads import Lead
    from leadqual.stages.guards import GuardContext

__all__ = [
    "MAX_BACKTRACK",
    "MAX_MATCH_TEXT",
    "MAX_OPTIONALS",
    "MAX_REPEATS",
    "OPERATORS",
    "AllOf",
    "AnyOf",
    "Attr",
    "Compare",
    "Condition",
    "Not",
    "Prop",
    "all_of",
    "any_of",
    "condition_from_dict",
    "require_testable",
    "tree_from_dict",
]

#: ``matches`` examines at most this many characters of a value (the start of it).
MAX_MATCH_TEXT = 256

#: A ``matches`` pattern may hold at most this many repeats that can match more than once
#: (``*``, ``+``, ``{m,n}``); one more when it is anchored with ``^``.
MAX_REPEATS = 2

#: A ``matches`` pattern may hold at most this many optional parts (``?``).
MAX_OPTIONALS = 8

#: The most ways to try a ``matches`` pattern may multiply into: the product of its
#: repeats (the text length for ``*`` and ``+``), optional parts (2 each), alternatives,
#: and the text length again when it is not anchored with ``^``.
MAX_BACKTRACK = 4 * MAX_MATCH_TEXT**3

Source = Literal["attr", "prop"]
Test = Callable[[Union["Lead", None], Union["Event", None]], bool]
Scalar = str | int | float | bool

#: Every comparison operator, by its name in rule files.
OPERATORS = (
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "not_in",
    "between",
    "contains",
    "startswith",
    "endswith",
    "matches",
    "exists",
)

_SYMBOLS = {"eq": "==", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_WORDS = {
    "in": "in",
    "not_in": "not in",
    "contains": "contains",
    "startswith": "starts with",
    "endswith": "ends with",
}


def _kind(value: Any) -> str:
    """The JSON kind of a frozen value."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, tuple):
        return "list"
    if isinstance(value, JsonMap):
        return "map"
    return "null"


def _dump(value: Any) -> str:
    return json.dumps(thaw(value), ensure_ascii=False)


class Condition:
    """Base class of every node of leadqual's one expression tree.

    A leaf tests a lead and, optionally, an event (:class:`Compare`, built with
    :class:`Attr` and :class:`Prop`), or a lead's facts at an instant: its score, what it
    did, its framework verdict (the guards of :mod:`leadqual.stages`, which subclass
    this class under the name ``Guard``). Any nodes combine with ``&`` (and), ``|``
    (or) and ``~`` (not) into :class:`AllOf`, :class:`AnyOf` and :class:`Not`, serialize
    with :meth:`to_dict`, and read well with ``str()``.

    Two evaluations: :meth:`test` on a lead and an event (scoring rules and framework
    checks: only leaves that read the lead and the event), and :meth:`holds` on a
    :class:`~leadqual.stages.GuardContext` (stage transitions: any leaf, a condition on
    the lead reading the context's lead).
    """

    __slots__ = ()

    def test(self, lead: Lead | None, event: Event | None = None) -> bool:
        """Whether the condition holds for ``lead`` (and ``event``, for properties)."""
        _check_subjects(lead, event)
        return self._tester()(lead, event)

    def _tester(self) -> Test:
        """The compiled test on a lead and an event (leaves that read facts have none;
        a condition class of your own that defines :meth:`test` is its own test)."""
        if type(self).test is not Condition.test:
            return self.test
        raise ValidationError(
            "condition",
            str(self),
            "reads a lead's facts at an instant (a guard): only a stage transition can use it",
        )

    def holds(self, ctx: GuardContext) -> bool:
        """Whether this holds in ``ctx`` (a lead at an instant); a condition on the lead
        reads ``ctx.lead``."""
        return self._tester()(ctx.lead, None)

    def decide(self, lead: Lead) -> bool | None:
        """Three-valued :meth:`test` on the lead: ``None`` when it cannot be decided yet
        (what a framework's ``ConditionCheck`` reports as unknown).

        A comparison whose field is missing or null is undecided; ``&`` is false as soon
        as one part is false, ``|`` true as soon as one part is true, ``~`` keeps
        undecided. A condition class of your own is undecided when a field it reads is
        missing or null.

        >>> from leadqual import Lead
        >>> big_or_paying = (Attr("employees") >= 500) | (Attr("plan") == "paid")
        >>> big_or_paying.decide(Lead("L-1", attributes={"plan": "paid"}))
        True
        >>> print(big_or_paying.decide(Lead("L-2", attributes={"plan": "free"})))
        None
        """
        for source, name in self.fields():
            value = _getter(source, name)(lead, None)
            if value is MISSING or value is None:
                return None
        return self._tester()(lead, None)

    def explain(self, ctx: GuardContext) -> str:
        """Why this holds (or not) in ``ctx``, with the values it read."""
        return str(self)

    def __bool__(self) -> bool:
        raise TypeError(
            "a condition has no truth value: combine conditions with &, | and ~ (not with "
            "and, or, not or a chained comparison such as 50 <= Attr('x') <= 500), and "
            "call .test(lead, event) to evaluate one"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :func:`condition_from_dict` (for a guard:
        :func:`~leadqual.stages.guard_from_dict`) turns back into this node."""
        raise NotImplementedError

    @classmethod
    def from_dict(cls, data: Any, path: str = "condition") -> Self:
        """Any node from :meth:`to_dict` output: a condition, a guard, or a tree of both
        (:func:`condition_from_dict` and :func:`~leadqual.stages.guard_from_dict` read
        what a scoring rule and a transition accept, each a part of this).

        >>> data = {"all": [{"score_at_least": 100}, {"attr": "x", "op": "exists"}]}
        >>> node = Condition.from_dict(data)
        >>> print(node)
        (score >= 100) and (x exists)
        >>> AllOf.from_dict({"not": {"attr": "x", "op": "exists"}})
        Traceback (most recent call last):
        ...
        leadqual.errors.ValidationError: condition: expected the data of AllOf, got {'not': ...}
        """
        from leadqual.stages.guards import leaf_from_dict  # the guards' leaves

        def leaf(item: Mapping[str, Any], where: str) -> Condition:
            if "attr" in item or "prop" in item:
                return _compare_from_dict(item, where)
            return leaf_from_dict(item, where)

        node = tree_from_dict(data, path, leaf, "condition")
        if not isinstance(node, cls):
            raise ValidationError(path, data, f"expected the data of {cls.__name__}")
        return node

    def fields(self) -> Iterator[tuple[Source, str]]:
        """Every field of the lead or event the condition reads, as ``("attr" | "prop",
        name)`` (none for a leaf that reads a lead's facts)."""
        return iter(())

    def walk(self) -> Iterator[Condition]:
        """This condition and every condition inside it, outermost first.

        >>> [type(c).__name__ for c in ((Attr("a") == 1) & ~(Attr("b") == 2)).walk()]
        ['AllOf', 'Compare', 'Not', 'Compare']
        """
        yield self

    def __and__(self, other: Condition) -> AllOf:
        if not isinstance(other, Condition):
            return NotImplemented
        return AllOf(_flatten(AllOf, (self, other)))

    def __or__(self, other: Condition) -> AnyOf:
        if not isinstance(other, Condition):
            return NotImplemented
        return AnyOf(_flatten(AnyOf, (self, other)))

    def __invert__(self) -> Not:
        return Not(self)


def require_testable(field: str, value: Condition) -> Condition:
    """``value`` if it can be tested on a lead and an event (a scoring rule's or a
    check's condition), else a :class:`~leadqual.errors.ValidationError` naming
    ``field``: a guard's leaf inside (``score >= 100``) reads facts no event has."""
    try:
        value._tester()
    except ValidationError as err:
        raise ValidationError(field, err.value, err.problem) from None
    return value


def _check_subjects(lead: object, event: object) -> None:
    from leadqual.events import Event
    from leadqual.leads import Lead

    if lead is not None and not isinstance(lead, Lead):
        raise ValidationError("lead", lead, "expected a Lead or None")
    if event is not None and not isinstance(event, Event):
        raise ValidationError("event", event, "expected an Event or None")


def _flatten(kind: type[AllOf] | type[AnyOf], items: Iterable[Condition]) -> tuple[Condition, ...]:
    out: list[Condition] = []
    for item in items:
        if type(item) is kind:
            out.extend(item.conditions)
        else:
            out.append(item)
    return tuple(out)


# --- reading fields -------------------------------------------------------------------


def _getter(source: Source, name: str) -> Callable[[Lead | None, Event | None], Any]:
    # one closure per kind of field, so that reading a field is a single call
    nested = "." in name
    if source == "prop":
        if nested:
            return lambda lead, event: MISSING if event is None else lookup(event.properties, name)
        return lambda lead, event: (
            MISSING if event is None else event.properties._data.get(name, MISSING)
        )
    if name == "id":
        return lambda lead, event: MISSING if lead is None else lead.id
    if name == "email":
        return lambda lead, event: MISSING if lead is None else lead.email
    if nested:
        return lambda lead, event: MISSING if lead is None else lookup(lead.attributes, name)
    return lambda lead, event: MISSING if lead is None else lead.attributes._data.get(name, MISSING)


# --- checking operands ----------------------------------------------------------------


def _scalar(field: str, value: Any) -> Scalar:
    frozen = freeze(value, field)
    if _kind(frozen) not in ("bool", "number", "str"):
        raise ValidationError(
            field, value, "expected a string, number or boolean (use exists() to test for null)"
        )
    return frozen  # type: ignore[return-value]


def _orderable(field: str, value: Any) -> str | float:
    frozen = freeze(value, field)
    if _kind(frozen) not in ("number", "str"):
        raise ValidationError(field, value, "expected a number or a string to order by")
    return frozen  # type: ignore[return-value]


def _strings(field: str, value: Any) -> str | tuple[str, ...]:
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValidationError(field, value, "expected a string or a non-empty list of strings")


def _regex_risk(pattern: str) -> str | None:
    """Why a pattern could backtrack for too long, or ``None`` when it is safe enough.

    Python's :mod:`re` backtracks, so a pattern can take exponential or high-polynomial
    time on hostile text. Refused:

    * a repeat of variable length, or an alternation, inside a repeat that may run more
      than once (``(a+)+``, ``(a|ab)*``, ``(x{1,3}){2}``); fixed counts such as
      ``(ab){3}`` are fine;
    * more than :data:`MAX_REPEATS` repeats that can match more than once (``*``, ``+``,
      ``{m,n}``), or one more when the pattern is anchored with ``^``: each one can
      multiply the work by the length of the text;
    * more than :data:`MAX_OPTIONALS` optional parts (``?``).

    Inside an atomic group ``(?>...)`` or a possessive repeat ``a*+`` (Python 3.11+) the
    same rules apply, but the group itself never backtracks, so it adds nothing outside.
    """
    try:
        from re import _constants as sre_constants  # type: ignore[attr-defined,unused-ignore]
        from re import _parser as sre_parse  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # Python 3.10
        import sre_constants
        import sre_parse

    backtracking = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT}
    possessive = getattr(sre_constants, "POSSESSIVE_REPEAT", None)
    atomic = getattr(sre_constants, "ATOMIC_GROUP", None)
    branch = sre_constants.BRANCH
    subpattern_type = sre_parse.SubPattern
    counts = {"repeats": 0, "optionals": 0}
    cost = [1.0]  # a rough worst case: the ways the engine may try to match

    def walk(node: Any, *, repeated: bool) -> str | None:
        # repeated: somewhere under a backtracking repeat that may run more than once
        if isinstance(node, subpattern_type):
            node = node.data
        elif isinstance(node, tuple) and len(node) == 2:
            op, arg = node
            if op in backtracking:
                low, high, body = arg
                if low != high:
                    if repeated:
                        return "a repeat of variable length sits inside another repeat"
                    counts["repeats" if high > 1 else "optionals"] += 1
                    cost[0] *= min(high - low + 1, MAX_MATCH_TEXT)
                return walk(body, repeated=repeated or high > 1)
            if op is not None and op == possessive:
                return walk(arg[2], repeated=False)
            if op is not None and op == atomic:
                return walk(arg, repeated=False)
            if op == branch:
                if repeated:
                    return "an alternation (a|b) sits inside a repeat"
                cost[0] *= len(arg[1])
        if isinstance(node, (tuple, list)):
            for item in node:
                why = walk(item, repeated=repeated)
                if why is not None:
                    return why
        return None

    parsed = sre_parse.parse(pattern)
    why = walk(parsed, repeated=False)
    if why is not None:
        return why
    anchored = bool(parsed.data) and parsed.data[0] == (
        sre_constants.AT,
        sre_constants.AT_BEGINNING,
    )
    allowed = MAX_REPEATS + (1 if anchored else 0)
    if counts["repeats"] > allowed:
        limit = f"at most {allowed}" if anchored else f"at most {allowed}, or {allowed + 1} after ^"
        return f"it has {counts['repeats']} repeats such as * or + ({limit})"
    if counts["optionals"] > MAX_OPTIONALS:
        return f"it has {counts['optionals']} optional parts (at most {MAX_OPTIONALS})"
    if not anchored:
        cost[0] *= MAX_MATCH_TEXT  # search() tries every starting position
    if cost[0] > MAX_BACKTRACK:
        return "its repeats, optional parts and alternatives multiply into too many ways to try"
    return None


def _compile_regex(field: str, pattern: Any) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise ValidationError(field, pattern, "expected a regular expression string")
    try:
        compiled = re.compile(pattern)
    except (re.error, OverflowError, RecursionError) as exc:
        raise ValidationError(field, pattern, f"not a valid regular expression ({exc})") from None
    why = _regex_risk(pattern)
    if why is not None:
        raise ValidationError(
            field,
            pattern,
            f"this pattern could backtrack for minutes on hostile input: {why}; "
            "simplify it, anchor it, or use an atomic group (?>...)",
        )
    return compiled


# --- comparisons ----------------------------------------------------------------------


def _normalize_operand(op: str, value: Any, where: str) -> Any:
    if op not in OPERATORS:
        known = ", ".join(OPERATORS)
        raise ValidationError(f"{where}.op", op, f"unknown operator (known: {known})")
    vfield = f"{where}.value"
    if op == "exists":
        if value is not None:
            raise ValidationError(vfield, value, "exists takes no value")
        return None
    if op in ("eq", "ne"):
        return _scalar(vfield, value)
    if op in ("lt", "lte", "gt", "gte"):
        return _orderable(vfield, value)
    if op in ("in", "not_in"):
        given = require_items(vfield, value, "expected a list of values")
        items = tuple(_scalar(f"{vfield}[{i}]", v) for i, v in enumerate(given))
        if not items:
            raise ValidationError(vfield, value, "expected at least one value")
        return items
    if op == "between":
        pair = require_items(vfield, value, "expected [low, high]")
        if len(pair) != 2:
            raise ValidationError(vfield, value, "expected exactly two bounds [low, high]")
        low = _orderable(f"{vfield}[0]", pair[0])
        high = _orderable(f"{vfield}[1]", pair[1])
        if _kind(low) != _kind(high):
            raise ValidationError(vfield, value, "both bounds must be numbers, or both strings")
        if high < low:  # type: ignore[operator]
            raise ValidationError(vfield, value, "the low bound is above the high bound")
        return (low, high)
    if op == "contains":
        return _scalar(vfield, value)
    if op in ("startswith", "endswith"):
        return _strings(vfield, value)
    # matches
    _compile_regex(vfield, value)
    return value


def _fold(value: Any) -> Any:
    """Case-fold strings, and the strings inside a list, for ``ignore_case``."""
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, tuple):
        return tuple(item.casefold() if isinstance(item, str) else item for item in value)
    return value


def _make_test(
    source: Source, name: str, op: str, value: Any, *, ignore_case: bool = False
) -> Test:
    return _test_with(_getter(source, name), op, value, ignore_case=ignore_case)


def _first(value: Any, event: Any) -> Any:
    return value


def value_test(condition: Compare) -> Callable[[Any], bool]:
    """The test of ``condition`` on a value already read (:data:`MISSING` when absent):
    the same code as :meth:`Compare.test`, for a backend that reads fields itself.

    >>> test = value_test(Prop("url").startswith("/pricing"))
    >>> test("/pricing/team"), test(5), test(MISSING)
    (True, False, False)
    """
    test = _test_with(_first, condition.op, condition.value, ignore_case=condition.ignore_case)
    return lambda value: test(value, None)


def _test_with(
    get: Callable[[Any, Any], Any], op: str, value: Any, *, ignore_case: bool = False
) -> Test:
    missing = MISSING
    if ignore_case:
        exact = get
        value = _fold(value)

        def get(lead: Lead | None, event: Event | None) -> Any:
            return _fold(exact(lead, event))

    if op == "exists":
        return lambda lead, event: get(lead, event) not in (missing, None)

    if op in ("eq", "ne"):
        kind = _kind(value)
        want = op == "eq"
        return lambda lead, event: (
            _kind(v := get(lead, event)) == kind and (v == value) is want and v is not missing
        )

    if op in ("lt", "lte", "gt", "gte"):
        kind = _kind(value)
        compare: Callable[[Any, Any], bool] = {
            "lt": lambda a, b: a < b,
            "lte": lambda a, b: a <= b,
            "gt": lambda a, b: a > b,
            "gte": lambda a, b: a >= b,
        }[op]
        return lambda lead, event: _kind(v := get(lead, event)) == kind and compare(v, value)

    if op == "between":
        low, high = value
        kind = _kind(low)
        return lambda lead, event: _kind(v := get(lead, event)) == kind and low <= v <= high

    if op in ("in", "not_in"):
        by_kind: dict[str, frozenset[Any]] = {}
        for item in value:
            by_kind.setdefault(_kind(item), frozenset())
            by_kind[_kind(item)] = by_kind[_kind(item)] | {item}
        if op == "in":

            def is_in(lead: Lead | None, event: Event | None) -> bool:
                v = get(lead, event)
                options = by_kind.get(_kind(v))
                return options is not None and v in options

            return is_in

        def not_in(lead: Lead | None, event: Event | None) -> bool:
            # like !=: only a value of the same kind as some option can be "not in" them
            v = get(lead, event)
            options = by_kind.get(_kind(v))
            return options is not None and v not in options

        return not_in

    if op == "contains":
        kind = _kind(value)

        def contains(lead: Lead | None, event: Event | None) -> bool:
            v = get(lead, event)
            if isinstance(v, str):
                return isinstance(value, str) and value in v
            if isinstance(v, tuple):
                return any(_kind(item) == kind and item == value for item in v)
            return False

        return contains

    if op in ("startswith", "endswith"):
        if op == "startswith":
            return lambda lead, event: (
                isinstance(v := get(lead, event), str) and v.startswith(value)
            )
        return lambda lead, event: isinstance(v := get(lead, event), str) and v.endswith(value)

    search = re.compile(value).search
    limit = MAX_MATCH_TEXT
    return lambda lead, event: (
        isinstance(v := get(lead, event), str) and (search(v[:limit]) is not None)
    )


_CASE_OPS = ("eq", "ne", "in", "not_in", "contains", "startswith", "endswith")


def _check_ignore_case(where: str, op: str, operand: Any) -> None:
    if op not in _CASE_OPS:
        hint = " (write (?i) in the pattern)" if op == "matches" else ""
        raise ValidationError(where, value=True, problem=f"does not apply to {op}{hint}")
    items = operand if isinstance(operand, tuple) else (operand,)
    if not any(isinstance(item, str) for item in items):
        raise ValidationError(where, value=True, problem="needs a string value to compare")


def _check_name(where: str, name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(where, name, "expected a non-empty field name")
    if any(not part for part in name.split(".")):
        raise ValidationError(where, name, "a dotted name has an empty part")
    return name


@attrs.frozen(repr=False)
class Compare(Condition):
    """One field compared with a value: ``Attr("employees") >= 50``.

    Usually built through :class:`Attr` and :class:`Prop`; ``op`` is one of
    :data:`OPERATORS`.
    """

    source: Source = attrs.field()
    field: str = attrs.field()
    op: str = attrs.field()
    value: Any = attrs.field(
        default=None, eq=attrs.cmp_using(eq=json_equal, require_same_type=False), hash=False
    )
    ignore_case: bool = attrs.field(default=False, kw_only=True)
    _test: Test = attrs.field(init=False, eq=False, repr=False, hash=False)
    _kinds: tuple[str, ...] = attrs.field(init=False, eq=False, repr=False)  # for the hash

    def __attrs_post_init__(self) -> None:
        if self.source not in ("attr", "prop"):
            raise ValidationError("condition.source", self.source, "expected 'attr' or 'prop'")
        _check_name(self.source, self.field)
        normalized = _normalize_operand(self.op, self.value, self.field)
        if not isinstance(self.ignore_case, bool):
            raise ValidationError(f"{self.field}.ignore_case", self.ignore_case, "expected a bool")
        if self.ignore_case:
            _check_ignore_case(f"{self.field}.ignore_case", self.op, normalized)
        object.__setattr__(self, "value", normalized)
        items = normalized if isinstance(normalized, tuple) else (normalized,)
        object.__setattr__(self, "_kinds", tuple(map(_kind, items)))
        object.__setattr__(
            self,
            "_test",
            _make_test(self.source, self.field, self.op, normalized, ignore_case=self.ignore_case),
        )

    def _tester(self) -> Test:
        return self._test

    def __repr__(self) -> str:
        text = f"Compare(source={self.source!r}, field={self.field!r}, op={self.op!r}"
        if self.op != "exists":
            text += f", value={self.value!r}"
        return text + (", ignore_case=True)" if self.ignore_case else ")")

    def test(self, lead: Lead | None, event: Event | None = None) -> bool:
        _check_subjects(lead, event)
        return self._test(lead, event)

    def fields(self) -> Iterator[tuple[Source, str]]:
        yield (self.source, self.field)

    def decide(self, lead: Lead) -> bool | None:
        value = _getter(self.source, self.field)(lead, None)
        if value is MISSING or value is None:
            return None
        return self._test(lead, None)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {self.source: self.field, "op": self.op}
        if self.op != "exists":
            data["value"] = thaw(self.value)
        if self.ignore_case:
            data["ignore_case"] = True
        return data

    def __str__(self) -> str:
        text = self._describe()
        return f"{text} (ignoring case)" if self.ignore_case else text

    def _describe(self) -> str:
        name = self.field if self.source == "attr" else f"event.{self.field}"
        op = self.op
        if op in _SYMBOLS:
            return f"{name} {_SYMBOLS[op]} {_dump(self.value)}"
        if op == "between":
            return f"{name} between {_dump(self.value[0])} and {_dump(self.value[1])}"
        if op == "exists":
            return f"{name} exists"
        if op == "matches":
            return f"{name} matches /{self.value}/"
        value = self.value
        if op in ("startswith", "endswith") and isinstance(value, tuple):
            return f"{name} {_WORDS[op]} one of {_dump(value)}"
        return f"{name} {_WORDS[op]} {_dump(value)}"


def _check_conditions(where: str, conditions: Any) -> tuple[Condition, ...]:
    items = tuple(conditions)
    if not items:
        raise ValidationError(where, conditions, "expected at least one condition")
    for i, item in enumerate(items):
        if not isinstance(item, Condition):
            raise ValidationError(f"{where}[{i}]", item, "expected a condition")
    return items


def _all_conditions(value: Iterable[Condition]) -> tuple[Condition, ...]:
    return _check_conditions("all", value)


def _any_conditions(value: Iterable[Condition]) -> tuple[Condition, ...]:
    return _check_conditions("any", value)


def _all_test(tests: tuple[Test, ...]) -> Test:
    def all_hold(lead: Lead | None, event: Event | None) -> bool:
        for t in tests:  # noqa: SIM110 (a plain loop is faster than all() here)
            if not t(lead, event):
                return False
        return True

    return all_hold


def _any_test(tests: tuple[Test, ...]) -> Test:
    def any_holds(lead: Lead | None, event: Event | None) -> bool:
        for t in tests:  # noqa: SIM110 (a plain loop is faster than any() here)
            if t(lead, event):
                return True
        return False

    return any_holds


@attrs.frozen
class _Combination(Condition):
    """What :class:`AllOf` and :class:`AnyOf` share: a tuple of conditions joined by a word."""

    conditions: tuple[Condition, ...]
    _test: Test | None = attrs.field(init=False, eq=False, repr=False, hash=False)
    _key: ClassVar[str]
    _word: ClassVar[str]

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_test", None)

    def _tester(self) -> Test:
        test = self._test
        if test is None:  # compiled once, when first asked (a guard's parts have no test)
            tests = tuple(c._tester() for c in self.conditions)
            test = (_all_test if self._key == "all" else _any_test)(tests)
            object.__setattr__(self, "_test", test)
        return test

    def holds(self, ctx: GuardContext) -> bool:
        every = self._key == "all"
        for c in self.conditions:
            if bool(c.holds(ctx)) is not every:
                return not every  # one part settles it
        return every

    def explain(self, ctx: GuardContext) -> str:
        """The parts' reasons; of an ``any``, those of the parts that hold (if some do)."""
        shown = self.conditions
        if self._key == "any":
            shown = tuple(c for c in self.conditions if c.holds(ctx)) or self.conditions
        return "; ".join(c.explain(ctx) for c in shown)

    @property
    def guards(self) -> tuple[Condition, ...]:
        """Deprecated: :attr:`conditions` (guards and conditions are one tree)."""
        warnings.warn(
            f"{type(self).__name__}.guards is {type(self).__name__}.conditions",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.conditions

    def fields(self) -> Iterator[tuple[Source, str]]:
        for c in self.conditions:
            yield from c.fields()

    def decide(self, lead: Lead) -> bool | None:
        decisive = self._key == "any"  # what one part settles the whole with
        undecided = False
        for part in self.conditions:
            answer = part.decide(lead)
            if answer is None:
                undecided = True
            elif answer is decisive:
                return decisive
        return None if undecided else not decisive

    def walk(self) -> Iterator[Condition]:
        yield self
        for c in self.conditions:
            yield from c.walk()

    def to_dict(self) -> dict[str, Any]:
        return {self._key: [c.to_dict() for c in self.conditions]}

    def __str__(self) -> str:
        if len(self.conditions) == 1:
            return str(self.conditions[0])
        return f" {self._word} ".join(f"({c})" for c in self.conditions)


@attrs.frozen
class AllOf(_Combination):
    """Holds when every one of ``conditions`` holds (``a & b``)."""

    _key, _word = "all", "and"
    conditions: tuple[Condition, ...] = attrs.field(converter=_all_conditions)


@attrs.frozen
class AnyOf(_Combination):
    """Holds when at least one of ``conditions`` holds (``a | b``)."""

    _key, _word = "any", "or"
    conditions: tuple[Condition, ...] = attrs.field(converter=_any_conditions)


def _not_condition(value: Any) -> Condition:
    if not isinstance(value, Condition):
        raise ValidationError("not", value, "expected a condition")
    return value


@attrs.frozen
class Not(Condition):
    """Holds when ``condition`` does not (``~a``): ``~ScoreAtLeast(40)`` is "score below
    40"."""

    condition: Condition = attrs.field(converter=_not_condition)
    _test: Test | None = attrs.field(init=False, eq=False, repr=False, hash=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_test", None)

    def _tester(self) -> Test:
        test = self._test
        if test is None:
            inner = self.condition._tester()
            test = lambda lead, event: not inner(lead, event)  # noqa: E731
            object.__setattr__(self, "_test", test)
        return test

    def holds(self, ctx: GuardContext) -> bool:
        return not self.condition.holds(ctx)

    def decide(self, lead: Lead) -> bool | None:
        answer = self.condition.decide(lead)
        return None if answer is None else not answer

    def explain(self, ctx: GuardContext) -> str:
        if getattr(self.condition, "_explains_negation", False):
            return self.condition.explain(ctx)  # "score 38 < 40" already says it
        return f"not ({self.condition.explain(ctx)})"

    @property
    def guard(self) -> Condition:
        """Deprecated: :attr:`condition` (guards and conditions are one tree)."""
        warnings.warn("Not.guard is Not.condition", DeprecationWarning, stacklevel=2)
        return self.condition

    def fields(self) -> Iterator[tuple[Source, str]]:
        return self.condition.fields()

    def walk(self) -> Iterator[Condition]:
        yield self
        yield from self.condition.walk()

    def to_dict(self) -> dict[str, Any]:
        return {"not": self.condition.to_dict()}

    def __str__(self) -> str:
        return f"not ({self.condition})"


def all_of(*conditions: Condition) -> AllOf:
    """Holds when every condition holds.

    >>> print(all_of(Attr("country") == "DE", Attr("employees") >= 50))
    (country == "DE") and (employees >= 50)
    """
    return AllOf(conditions)


def any_of(*conditions: Condition) -> AnyOf:
    """Holds when at least one condition holds."""
    return AnyOf(conditions)


def _as_strings(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return value


class _Field:
    """A named field to build comparisons on; not itself a condition."""

    __slots__ = ("name",)
    source: Source = "attr"

    def __init__(self, name: str) -> None:
        self.name = _check_name(type(self).__name__, name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    def _cmp(self, op: str, value: Any = None, *, ignore_case: bool = False) -> Compare:
        return Compare(self.source, self.name, op, value, ignore_case=ignore_case)

    def equals(self, value: Scalar, *, ignore_case: bool = False) -> Compare:
        """Equal to ``value`` (``==`` with the option to ignore case)."""
        return self._cmp("eq", value, ignore_case=ignore_case)

    def __eq__(self, value: Scalar) -> Compare:  # type: ignore[override]
        return self._cmp("eq", value)

    def __ne__(self, value: Scalar) -> Compare:  # type: ignore[override]
        return self._cmp("ne", value)

    def __lt__(self, value: str | float) -> Compare:
        return self._cmp("lt", value)

    def __le__(self, value: str | float) -> Compare:
        return self._cmp("lte", value)

    def __gt__(self, value: str | float) -> Compare:
        return self._cmp("gt", value)

    def __ge__(self, value: str | float) -> Compare:
        return self._cmp("gte", value)

    __hash__ = None  # type: ignore[assignment]

    def is_in(self, values: Iterable[Scalar], *, ignore_case: bool = False) -> Compare:
        """Equal to one of ``values``."""
        return self._cmp("in", values, ignore_case=ignore_case)

    def not_in(self, values: Iterable[Scalar], *, ignore_case: bool = False) -> Compare:
        """Present and equal to none of ``values``."""
        return self._cmp("not_in", values, ignore_case=ignore_case)

    def between(self, low: str | float, high: str | float) -> Compare:
        """``low <= value <= high`` (both ends included)."""
        return self._cmp("between", (low, high))

    def contains(self, item: Scalar, *, ignore_case: bool = False) -> Compare:
        """A string containing ``item``, or a list holding it."""
        return self._cmp("contains", item, ignore_case=ignore_case)

    def startswith(self, prefix: str | Iterable[str], *, ignore_case: bool = False) -> Compare:
        """A string starting with ``prefix`` (or any of several prefixes)."""
        return self._cmp("startswith", _as_strings(prefix), ignore_case=ignore_case)

    def endswith(self, suffix: str | Iterable[str], *, ignore_case: bool = False) -> Compare:
        """A string ending with ``suffix`` (or any of several suffixes).

        >>> from leadqual import Lead
        >>> Attr("email").endswith(".edu", ignore_case=True).test(Lead("L", email="a@MIT.EDU"))
        True
        """
        return self._cmp("endswith", _as_strings(suffix), ignore_case=ignore_case)

    def matches(self, pattern: str) -> Compare:
        """A string in which :func:`re.search` finds ``pattern``."""
        return self._cmp("matches", pattern)

    def exists(self) -> Compare:
        """Present and not null."""
        return self._cmp("exists")


class Attr(_Field):
    """A lead's field: ``Attr("employees")``, ``Attr("email")``, ``Attr("hq.country")``.

    >>> Attr("employees") >= 50
    Compare(source='attr', field='employees', op='gte', value=50)
    """

    __slots__ = ()
    source: Source = "attr"


class Prop(_Field):
    """An event's property: ``Prop("url")``, ``Prop("utm.source")``.

    >>> str(Prop("url").startswith("/pricing"))
    'event.url starts with "/pricing"'
    """

    __slots__ = ()
    source: Source = "prop"


# --- from plain data -------------------------------------------------------------------


def condition_from_dict(data: Any, path: str = "condition") -> Condition:
    """Rebuild a condition from :meth:`Condition.to_dict` output.

    Every problem names its path, so a mistake deep inside a rule file is easy to find:

    >>> condition_from_dict({"all": [{"attr": "employees", "op": "between", "value": [50]}]})
    Traceback (most recent call last):
    ...
    leadqual.errors.ValidationError: condition.all[0].value: expected exactly two bounds ...
    """
    return tree_from_dict(data, path, _compare_from_dict)


def tree_from_dict(
    data: Any,
    path: str,
    leaf: Callable[[Mapping[str, Any], str], Condition],
    noun: str = "condition",
) -> Condition:
    """The one reading of a tree's plain data: ``all``, ``any`` and ``not`` here, every
    other mapping by ``leaf(data, path)`` (conditions and guards differ in their leaves
    only); ``noun`` names what a node is in errors."""
    if not isinstance(data, Mapping):
        raise ValidationError(path, data, f"expected a mapping describing a {noun}")
    keys = set(data)
    for combinator, cls in (("all", AllOf), ("any", AnyOf)):
        if combinator in keys:
            if keys != {combinator}:
                raise ValidationError(path, data, f"'{combinator}' stands alone in its mapping")
            items = data[combinator]
            if isinstance(items, (str, Mapping)) or not isinstance(items, (list, tuple)):
                raise ValidationError(f"{path}.{combinator}", items, "expected a list")
            if not items:
                raise ValidationError(
                    f"{path}.{combinator}", items, f"expected at least one {noun}"
                )
            return cls(
                tuple(
                    tree_from_dict(item, f"{path}.{combinator}[{i}]", leaf, noun)
                    for i, item in enumerate(items)
                )
            )
    if "not" in keys:
        if keys != {"not"}:
            raise ValidationError(path, data, "'not' stands alone in its mapping")
        return Not(tree_from_dict(data["not"], f"{path}.not", leaf, noun))
    return leaf(data, path)


def _compare_from_dict(data: Mapping[str, Any], path: str) -> Compare:
    """A :class:`Compare` from its plain data (``attr`` or ``prop``, ``op``, ...)."""
    keys = set(data)
    sources = [s for s in ("attr", "prop") if s in keys]
    if len(sources) != 1:
        raise ValidationError(
            path, data, "expected exactly one of 'attr', 'prop', 'all', 'any' or 'not'"
        )
    source: Source = sources[0]
    allowed = {source, "op", "value", "ignore_case"}
    for key in sorted(keys - allowed, key=str):
        raise ValidationError(
            f"{path}.{key}", data[key], "unknown key (known: op, value, ignore_case)"
        )
    ignore_case = data.get("ignore_case", False)
    if not isinstance(ignore_case, bool):
        raise ValidationError(f"{path}.ignore_case", ignore_case, "expected true or false")
    if "op" not in data:
        raise ValidationError(f"{path}.op", None, "is required")
    op = data["op"]
    if op not in OPERATORS:
        raise ValidationError(f"{path}.op", op, f"unknown operator (known: {', '.join(OPERATORS)})")
    _check_name(f"{path}.{source}", data[source])
    value = data.get("value")
    if op == "exists" and "value" in data:
        raise ValidationError(f"{path}.value", value, "exists takes no value")
    if op != "exists" and "value" not in data:
        raise ValidationError(f"{path}.value", None, "is required")
    operand = _normalize_operand(op, value, path)
    if ignore_case:
        _check_ignore_case(f"{path}.ignore_case", op, operand)
    return Compare(source, data[source], op, operand, ignore_case=ignore_case)
