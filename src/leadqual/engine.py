"""The engine: many leads over one event stream, with snapshots a host app can restore.

>>> from datetime import datetime, timezone
>>> import leadqual as lq
>>> engine = lq.Engine(lq.default_ruleset())
>>> engine.add_lead(lq.Lead("L-1", attributes={"title": "VP Sales", "employees": 300}))
>>> engine.apply(lq.Event("L-1", "demo_request", at=datetime(2026, 11, 2, tzinfo=timezone.utc)))
>>> engine.get("L-1").stage
'IQL'
>>> engine.apply(lq.Event("L-2", "content_download", at=datetime(2026, 11, 3, tzinfo=timezone.utc)))
>>> engine.pending()
{'L-2': 1}
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Literal, overload

import attrs
from typing_extensions import deprecated

from leadqual import errors
from leadqual._atomic import atomic_path_writer
from leadqual._backend import Backend, resolve
from leadqual._fields import as_of_by_keyword, parse_timestamp, require_aware
from leadqual._gc import paused
from leadqual._moved import moved
from leadqual.errors import ListenerError, ValidationError
from leadqual.events import Event, EventDecoder
from leadqual.leads import Lead
from leadqual.qualifier import Decision, Listener, Qualification, QualificationState, claim_id
from leadqual.rulesets.codec import ruleset_fingerprint
from leadqual.rulesets.ruleset import RuleSet
from leadqual.stages.machine import TransitionRecord

__all__ = ["Engine", "RescoreReport", "StageChange"]

SNAPSHOT_FORMAT = "leadqual-engine-snapshot"
SNAPSHOT_VERSION = 3


@attrs.frozen
class StageChange:
    """One lead whose stage differs between two rule sets: in :meth:`Engine.rescore`, and
    in a back-test's comparison (:func:`leadqual.analytics.compare`), where ``won`` says
    whether the lead was won (``None`` elsewhere)."""

    lead_id: str
    before: str
    after: str
    won: bool | None = None

    @property
    @deprecated("StageChange.old is StageChange.before")
    def old(self) -> str:
        """Deprecated: :attr:`before` (one class for both kinds of change)."""
        return self.before

    @property
    @deprecated("StageChange.new is StageChange.after")
    def new(self) -> str:
        """Deprecated: :attr:`after`."""
        return self.after


@attrs.frozen
class RescoreReport:
    """What another rule set would do to the engine's leads (see :meth:`Engine.rescore`)."""

    before: str
    after: str
    as_of: datetime
    leads: int
    changes: tuple[StageChange, ...]

    def moved(self, source: str, target: str) -> tuple[str, ...]:
        """Leads that would move from stage ``source`` to ``target``."""
        return tuple(c.lead_id for c in self.changes if (c.before, c.after) == (source, target))

    def __str__(self) -> str:
        lines = [
            f"{self.after} against {self.before} as of {self.as_of.isoformat()}: "
            f"{len(self.changes)} of {self.leads} leads change stage"
        ]
        pairs: dict[tuple[str, str], int] = {}
        for c in self.changes:
            pairs[(c.before, c.after)] = pairs.get((c.before, c.after), 0) + 1
        for (a, b), n in sorted(pairs.items()):
            lines.append(f"  {a} -> {b}: {n}")
        return "\n".join(lines)


class Engine:
    """The state of many leads under one :class:`~leadqual.RuleSet`.

    Events may arrive in any order (they are placed by timestamp) and more than once
    (an id counts once). An event for a lead the engine does not know yet is held and
    applied when the lead is added (``unknown_leads="hold"``, the default), or refused
    (``"raise"``); nothing is dropped silently. Time comes from the events, or from
    ``clock`` when given: a read with no ``as_of`` uses it (or, without a clock, the
    latest moment the engine has seen).
    """

    def __init__(
        self,
        ruleset: RuleSet,
        *,
        unknown_leads: Literal["hold", "raise"] = "hold",
        on_transition: Iterable[Listener] = (),
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if not isinstance(ruleset, RuleSet):
            raise ValidationError("ruleset", ruleset, "expected a RuleSet")
        if unknown_leads not in ("hold", "raise"):
            raise ValidationError("unknown_leads", unknown_leads, "expected 'hold' or 'raise'")
        self.ruleset = ruleset
        self.unknown_leads = unknown_leads
        self.clock = clock
        self.chunk_size = 10_000
        self._qualifier = ruleset.qualifier(on_transition)
        self._states: dict[str, QualificationState] = {}
        self._pending: dict[str, list[Event]] = {}
        self._ids: dict[str, Event] = {}
        self._latest: datetime | None = None

    # --- feeding -------------------------------------------------------------------------

    def add_lead(self, lead: Lead) -> None:
        """Start tracking ``lead`` (held events for it are applied now)."""
        if not isinstance(lead, Lead):
            raise ValidationError("lead", lead, "expected a Lead")
        if lead.id in self._states:
            raise ValidationError("lead.id", lead.id, "the engine has this lead already")
        state = self._start(lead)
        self._states[lead.id] = state
        held = self._pending.pop(lead.id, [])
        if held:
            for event in held:  # the lead's log claims them now
                if event.id is not None:
                    del self._ids[event.id]
            state.apply_all(held)

    def update_lead(self, lead: Lead) -> None:
        """Replace a lead's profile and walk its history again under the new one.

        Listeners hear only of the part of the lead's path that changed."""
        if not isinstance(lead, Lead):
            raise ValidationError("lead", lead, "expected a Lead")
        self._state(lead.id).update_lead(lead)

    def apply(self, events: Event | Iterable[Event]) -> None:
        """Apply one event or many, in any order.

        Events are grouped by lead, a chunk of up to :attr:`chunk_size` at a time (so an
        endless iterator streams through in bounded memory), and each lead's log takes
        its group at once: a late event costs a walk from the checkpoint before it, once
        per lead and chunk. A chunk is checked before any of it is applied: an event that
        is refused (not an event, a different event reusing an id, an unknown lead with
        ``unknown_leads="raise"``) raises, and nothing of its chunk is applied (earlier
        chunks stay applied).

        If ``on_transition`` listeners raise, every event is still applied and a
        :class:`~leadqual.errors.ListenerError` listing each failure is raised at the end.
        """
        if isinstance(events, Event):
            events = (events,)
        failures: list[tuple[Any, BaseException]] = []
        chunk: list[Event] = []
        size = self.chunk_size
        for event in events:
            chunk.append(event)
            if len(chunk) >= size:
                self._apply_chunk(chunk, failures)
                chunk = []
        if chunk:
            self._apply_chunk(chunk, failures)
        if failures:
            raise ListenerError(failures)

    def _apply_chunk(self, chunk: list[Event], failures: list[tuple[Any, BaseException]]) -> None:
        states, ids = self._states, self._ids
        groups: dict[str, list[Event]] = {}
        claimed: dict[str, Event] = {}
        latest = -math.inf
        for event in chunk:
            if not isinstance(event, Event):
                raise ValidationError("event", event, "expected an Event")
            lead_id = event.lead_id
            if lead_id not in states and self.unknown_leads == "raise":
                raise ValidationError(
                    "event.lead_id", lead_id, "no such lead (add it first, or hold events)"
                )
            if not claim_id(claimed, event, ids):
                continue  # a copy of an event applied before
            group = groups.get(lead_id)
            if group is None:
                groups[lead_id] = [event]
            else:
                group.append(event)
            if event._ts > latest:
                latest = event._ts
                moment = event.at
        for lead_id, group in groups.items():
            state = states.get(lead_id)
            if state is None:
                for event in group:
                    if event.id is not None:
                        ids[event.id] = event
                self._pending.setdefault(lead_id, []).extend(group)
                continue
            try:
                state.apply_all(group)
            except ListenerError as exc:
                failures.extend(exc.errors)
        if groups:
            self._note_moment(moment)

    def move(self, lead_id: str, target: str, *, at: datetime, reason: str) -> TransitionRecord:
        """A sales decision: move a lead by hand (see :meth:`QualificationState.move`)."""
        record = self._state(lead_id).move(target, at=at, reason=reason)
        self._note_moment(at)
        return record

    # --- reading -------------------------------------------------------------------------

    def _state(self, lead_id: str) -> QualificationState:
        state = self._states.get(lead_id)
        if state is None:
            raise ValidationError("lead_id", lead_id, "the engine has no such lead")
        return state

    def state(self, lead_id: str) -> QualificationState:
        """One lead's incremental state (its events, decisions and history), read-only by
        convention: change leads through the engine so its bookkeeping stays right."""
        return self._state(lead_id)

    def now(self) -> datetime:
        """The moment reads default to: the clock's, else the latest one seen."""
        if self.clock is not None:
            return require_aware("clock()", self.clock())
        if self._latest is None:
            raise ValidationError("as_of", None, "no event yet and no clock: pass as_of")
        return self._latest

    @overload
    def get(self, lead_id: str, /, *, as_of: datetime | None = None) -> Qualification: ...

    @overload
    @deprecated("pass as_of by keyword: engine.get(lead_id, as_of=...)")
    def get(self, lead_id: str, as_of: datetime, /) -> Qualification: ...

    def get(
        self, lead_id: str, _as_of: datetime | None = None, /, *, as_of: datetime | None = None
    ) -> Qualification:
        """Where one lead stands (as of ``as_of``, or :meth:`now`)."""
        as_of = as_of_by_keyword(_as_of, as_of, "Engine.get")
        state = self._state(lead_id)
        return state.qualification(as_of=self.now() if as_of is None else as_of)

    def __contains__(self, lead_id: object) -> bool:
        return lead_id in self._states

    def __len__(self) -> int:
        return len(self._states)

    def lead_ids(self, *, stage: str | None = None, as_of: datetime | None = None) -> list[str]:
        """Every lead's id, sorted; with ``stage``, the leads in that stage (after the
        events applied, or as of ``as_of`` when given: a decayed score can demote a lead
        by then)."""
        if stage is None:
            return sorted(self._states)
        self.ruleset.stages.stage(stage)
        if as_of is None:
            return sorted(i for i, state in self._states.items() if state.stage == stage)
        return sorted(
            i
            for i, state in self._states.items()
            if state.qualification(as_of=as_of).stage == stage
        )

    @deprecated("Engine.leads() is Engine.lead_ids(stage=...)")
    def leads(self, stage: str | None = None) -> list[str]:
        """Deprecated: :meth:`lead_ids` with ``stage``."""
        return self.lead_ids(stage=stage)

    def transitions(self, since: datetime | None = None) -> Iterator[tuple[str, TransitionRecord]]:
        """Every committed transition (after ``since``, if given), in time order."""
        records = [
            (record.at, lead_id, i, record)
            for lead_id, state in self._states.items()
            for i, record in enumerate(state.history)
            if since is None or record.at > since
        ]
        records.sort(key=lambda item: (item[0], item[1], item[2]))
        for _, lead_id, _, record in records:
            yield lead_id, record

    def pending(self) -> dict[str, int]:
        """Held events per unknown lead id."""
        return {lead_id: len(events) for lead_id, events in sorted(self._pending.items())}

    def rescore(
        self, ruleset: RuleSet, as_of: datetime | None = None, *, backend: Backend = "python"
    ) -> RescoreReport:
        """Replay every lead's history under ``ruleset`` and report which would change
        stage (a what-if before deploying new rules; the engine itself is unchanged).
        ``backend="polars"`` replays on the batch backend (``leadqual.batch``: the same
        stages, faster on many leads); ``"auto"`` does when Polars is installed and the
        rule set runs there."""
        moment = self.now() if as_of is None else as_of
        if resolve(backend, ruleset) == "polars":
            after = self._replayed(ruleset, moment)
        else:
            qualifier = ruleset.qualifier()
            after = {
                lead_id: qualifier.qualify(
                    state.lead, state.events, as_of=moment, decisions=state.decisions
                ).stage
                for lead_id, state in self._states.items()
            }
        changes = []
        for lead_id in sorted(self._states):
            before = self._states[lead_id].qualification(as_of=moment).stage
            if before != after[lead_id]:
                changes.append(StageChange(lead_id, before, after[lead_id]))
        return RescoreReport(
            self.ruleset.label, ruleset.label, moment, len(self._states), tuple(changes)
        )

    def _replayed(self, ruleset: RuleSet, moment: datetime) -> dict[str, str]:
        """Each lead's stage at ``moment`` under ``ruleset``, from the batch backend."""
        from leadqual.batch import qualify

        states = self._states.values()
        result = qualify(
            ruleset,
            [state.lead for state in states],
            [event for state in states for event in state.events],
            as_of=moment,
            decisions={s.lead.id: s.decisions for s in states if s.decisions},
        )
        return dict(result.leads.select("lead_id", "stage").iter_rows())

    # --- snapshots -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The engine as plain JSON data: each lead's log and where it stands (see
        :meth:`QualificationState.to_saved`), held events, and the rule set's name,
        version and fingerprint."""
        data = self._saved_header()
        data["leads"] = [state.to_saved() for _, state in sorted(self._states.items())]
        return data

    def _saved_header(self) -> dict[str, Any]:
        """:meth:`to_dict` without the leads."""
        return {
            "format": SNAPSHOT_FORMAT,
            "version": SNAPSHOT_VERSION,
            "ruleset": {
                "name": self.ruleset.name,
                "version": self.ruleset.version,
                "fingerprint": ruleset_fingerprint(self.ruleset),
            },
            "unknown_leads": self.unknown_leads,
            "latest": None if self._latest is None else self._latest.isoformat(),
            "pending": {
                lead_id: [e.to_dict() for e in events]
                for lead_id, events in sorted(self._pending.items())
            },
        }

    def snapshot(self, path: str | os.PathLike[str]) -> None:
        """Write the engine to ``path`` as JSON (:meth:`to_dict`), atomically: a crash
        mid-write leaves the previous snapshot (or none), never a corrupt one."""
        encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        with paused(), atomic_path_writer(path, newline="\n") as out:
            # a lead at a time: no copy of the whole engine as plain data, nor as text
            out.write(encode(self._saved_header())[:-1] + ',"leads":[')
            comma = ""
            for _, state in sorted(self._states.items()):
                out.write(comma + encode(state.to_saved()))
                comma = ","
            out.write("]}")

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        ruleset: RuleSet,
        *,
        on_transition: Iterable[Listener] = (),
        clock: Callable[[], datetime] | None = None,
    ) -> Engine:
        """Rebuild an engine from :meth:`to_dict` output under ``ruleset``, which must be
        the rule set (name and version) the snapshot was taken with."""
        if not isinstance(data, Mapping):
            raise errors.SnapshotError("not a leadqual engine snapshot (not a JSON object)")
        if data.get("format") != SNAPSHOT_FORMAT:
            raise errors.SnapshotError("not a leadqual engine snapshot")
        version = data.get("version")
        if version not in (1, 2, SNAPSHOT_VERSION):
            raise errors.SnapshotError(f"snapshot version {version!r} is not supported")
        taken = data.get("ruleset")
        if not isinstance(taken, Mapping):
            raise errors.SnapshotError("the snapshot does not say which rule set it was taken with")
        if (taken.get("name"), taken.get("version")) != (ruleset.name, ruleset.version):
            raise errors.SnapshotError(
                f"the snapshot was taken with rule set {taken.get('name')}@{taken.get('version')}, "
                f"not {ruleset.label}; restore it with those rules, then use rescore() to compare"
            )
        if version != 1 and taken.get("fingerprint") != ruleset_fingerprint(ruleset):
            raise errors.SnapshotError(
                f"the rules of {ruleset.label} have changed since the snapshot was taken (same "
                "name and version, other content): restore it with the rules it was taken "
                "with, or give the edited rules a new version"
            )
        try:
            engine = cls(
                ruleset,
                unknown_leads=data.get("unknown_leads", "hold"),
                on_transition=on_transition,
                clock=clock,
            )
            if version == 1:
                engine._replay_v1(data["leads"])
            else:
                qualifier, ids, decoder = engine._qualifier, engine._ids, EventDecoder()
                for item in data["leads"]:
                    state = QualificationState.from_saved(qualifier, item, ids=ids, decoder=decoder)
                    if state.lead.id in engine._states:
                        raise ValidationError("lead.id", state.lead.id, "saved twice")
                    engine._states[state.lead.id] = state
                latest = data["latest"]
                if latest is not None:
                    engine._latest = parse_timestamp("latest", latest)
            for lead_id, raw_events in data["pending"].items():
                if lead_id in engine._states:
                    raise ValidationError("pending", lead_id, "events held for a tracked lead")
                held = [Event._from_plain(raw) for raw in raw_events]
                for event in held:
                    if event.lead_id != lead_id:
                        raise ValidationError("event.lead_id", event.lead_id, f"not {lead_id}")
                engine.apply(held)
        except ValidationError as exc:
            raise errors.SnapshotError(f"the snapshot holds invalid data: {exc}") from None
        except (KeyError, TypeError, AttributeError, IndexError, ValueError) as exc:
            raise errors.SnapshotError(f"the snapshot is incomplete or damaged ({exc!r})") from None
        return engine

    def _replay_v1(self, leads: Iterable[Mapping[str, Any]]) -> None:
        """Load the leads of a version 1 snapshot, which holds inputs only: their logs
        are walked again (once, at the first read)."""
        for item in leads:
            lead = Lead.from_dict(item["lead"])
            self.add_lead(lead)
            state = self._states[lead.id]
            events = [Event._from_plain(e) for e in item["events"]]
            decisions = [Decision.from_dict(d) for d in item["decisions"]]
            state.notify = False  # listeners heard of this history before the snapshot
            state.apply_all(events, decisions)
            state.notify = True
            for moment in [e.at for e in events[-1:]] + [d.at for d in decisions]:
                self._note_moment(moment)

    def _start(self, lead: Lead) -> QualificationState:
        # one id index for every lead: an id two leads' events share is refused
        return QualificationState(self._qualifier, lead, ids=self._ids)

    def _note_moment(self, moment: datetime) -> None:
        if self._latest is None or moment > self._latest:
            self._latest = moment

    @classmethod
    def restore(
        cls,
        path: str | os.PathLike[str],
        ruleset: RuleSet,
        *,
        on_transition: Iterable[Listener] = (),
        clock: Callable[[], datetime] | None = None,
    ) -> Engine:
        """Rebuild the engine saved by :meth:`snapshot` (see :meth:`from_dict`)."""
        try:
            with open(path, encoding="utf-8") as handle, paused():
                data = json.load(handle)
        except OSError as exc:
            raise errors.SnapshotError(f"{path}: cannot be read ({exc.strerror})") from None
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise errors.SnapshotError(f"{path}: not valid JSON ({exc})") from None
        with paused():
            return cls.from_dict(data, ruleset, on_transition=on_transition, clock=clock)


__getattr__ = moved("leadqual.engine", {"SnapshotError": "leadqual.errors.SnapshotError"})
