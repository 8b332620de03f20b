"""The status rules 2027.1 written again for the tests, from DOMAIN.md, day by day.

The hub derives segments by jumping from step to rule (app/domain); this module walks a path one
calendar day at a time, applying the steps of the day and then the thresholds, as a careful person
would with a calendar. It shares no code with the hub, so that a wrong rule in one is not the
other's wrong rule too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

ONE = timedelta(days=1)
FIRST = {"MEETING", "INFO_SESSION", "PRE_REGISTERED"}
STAGE = {"REGISTERED": "REGISTERED", "APPRENTICE": "APPRENTICE", "COMPLETED": "APPRENTICE",
         "CONTRACT_BROKEN": "CONTRACT_BROKEN", "DROPPED_OUT": "LEFT"}


@dataclass(frozen=True)
class Reported:
    """A step as the hub stored it (``arrival``: its stored id)."""

    step: str
    day: date
    arrival: int
    uai: str
    certification: str
    contract_start: date | None = None
    contract_end: date | None = None
    training_end: date | None = None
    residence: str | None = None
    link: tuple[str, str] | None = None  # (portal, portalWishId)


@dataclass(frozen=True)
class State:
    status: str
    uai: str
    certification: str
    since: date  # first day of this status at this place
    run_start: date | None = None  # registration: the first day of the run at its CFA
    abandon_start: date | None = None


@dataclass
class Thresholds:
    window: int = 60
    registered: int = 90
    broken: int = 180
    no_contract: int = 60
    wish: int = 30
    handled: int = 45
    shown: int = 180


@dataclass
class Reference:
    """``sessions``: (uai, certification) -> [(start or None, end)] of the offers."""

    sessions: dict[tuple[str, str], list[tuple[date | None, date]]] = field(default_factory=dict)
    rules: Thresholds = field(default_factory=Thresholds)

    # --- the offers' training end ---------------------------------------------------------------
    def session_end(self, uai: str, certification: str, day: date) -> date | None:
        lead = timedelta(days=30)
        open_now = [(s, e) for s, e in self.sessions.get((uai, certification), ())
                    if (s is None or s - lead <= day) and day <= e]
        if open_now:
            return max(open_now, key=lambda se: (se[0] or date.min, se[1]))[1]
        later = [(s, e) for s, e in self.sessions.get((uai, certification), ()) if s is not None and s - lead > day]
        return min(later)[1] if later else None

    # --- a path, day by day -----------------------------------------------------------------------
    def states(self, steps: Iterable[Reported], until: date, order=lambda s: s.arrival) -> dict[date, State]:
        """The status on every day from the first status day to ``until``."""
        status_steps = [s for s in steps if s.step not in FIRST]
        if not status_steps:
            return {}

        def status_day(s: Reported) -> date:
            if s.step == "APPRENTICE" and s.contract_start is not None:
                return s.contract_start
            if s.step == "CONTRACT_BROKEN" and s.contract_end is not None and s.contract_end + ONE < s.day:
                return s.contract_end + ONE
            return s.day

        by_day: dict[date, list[Reported]] = {}
        for s in status_steps:
            by_day.setdefault(status_day(s), []).append(s)
        completions = sorted((status_day(s), s.uai, s.certification) for s in status_steps if s.step == "COMPLETED")
        w = self.rules
        state: State | None = None
        contract: tuple[str, str, date | None, date | None] | None = None  # uai, cert, end, training end
        run_uai: str | None = None
        rupture_start: date | None = None
        abandon_from: tuple | None = None
        out: dict[date, State] = {}
        day = min(by_day)
        while day <= until:
            acted = False
            for s in sorted(by_day.get(day, ()), key=order):
                place = (s.uai, s.certification)
                here = state is not None and (state.uai, state.certification) == place
                if s.step == "REGISTERED":
                    if state is not None and state.status == "APPRENTICE" and contract and contract[:2] == place:
                        end = contract[3]
                        if end is not None and (end - day).days <= w.window:
                            state, acted = State("COMPLETED", *place, day), True
                        else:
                            state, rupture_start, acted = State("CONTRACT_BROKEN", *place, day), day, True
                        contract = None
                    elif state is not None and state.status == "CONTRACT_BROKEN" and here:
                        pass
                    elif state is not None and state.status == "DROPPED_OUT" and abandon_from in (
                            ("BROKEN", s.uai, s.certification), ("REGISTERED", s.uai)):
                        pass
                    elif state is not None and state.status == "REGISTERED" and run_uai == s.uai:
                        if not here:
                            state = State("REGISTERED", *place, day, state.run_start)
                    else:
                        state, run_uai, contract, acted = State("REGISTERED", *place, day, day), s.uai, None, True
                elif s.step == "APPRENTICE":
                    start = day
                    training_end = s.training_end
                    if training_end is None:
                        later = [c for c in completions if c[0] >= start and c[1:] == place]
                        training_end = later[0][0] if later else self.session_end(*place, start)
                    end = s.contract_end if s.contract_end is not None else training_end
                    state, contract, run_uai, acted = State("APPRENTICE", *place, day), (*place, end, training_end), None, True
                elif s.step == "CONTRACT_BROKEN":
                    if state is not None and state.status == "CONTRACT_BROKEN" and here:
                        continue
                    if state is not None and state.status == "DROPPED_OUT" and abandon_from == ("BROKEN", *place):
                        continue
                    training_end = s.training_end
                    if training_end is None and contract and contract[:2] == place:
                        training_end = contract[3]
                    if training_end is None:
                        training_end = self.session_end(*place, day)
                    if training_end is not None and (training_end - day).days <= w.window:
                        state = State("COMPLETED", *place, day)
                    else:
                        state, rupture_start = State("CONTRACT_BROKEN", *place, day), day
                    contract, run_uai, acted = None, None, True
                elif s.step == "DROPPED_OUT":
                    state, contract, run_uai, acted = State("DROPPED_OUT", *place, day, None, day), None, None, True
                    abandon_from = ("REPORTED",)
                else:  # COMPLETED
                    state, contract, run_uai, acted = State("COMPLETED", *place, day), None, None, True
            if not acted and state is not None:
                place = (state.uai, state.certification)
                if state.status == "APPRENTICE" and contract is not None and contract[2] is not None and day == contract[2] + ONE:
                    end, training_end = contract[2], contract[3]
                    if training_end is None or (training_end - end).days <= w.window:
                        state = State("COMPLETED", *place, day)
                    else:
                        state, rupture_start = State("CONTRACT_BROKEN", *place, day), day
                elif state.status == "REGISTERED" and (day - state.run_start).days > w.registered:
                    state = State("DROPPED_OUT", *place, day, None, day)
                    abandon_from, run_uai = ("REGISTERED", run_uai), None
                elif state.status == "CONTRACT_BROKEN" and (day - rupture_start).days > w.broken:
                    state = State("DROPPED_OUT", *place, day, None, day)
                    abandon_from = ("BROKEN", *place)
            if state is not None:
                previous = out.get(day - ONE)
                if previous is not None and (previous.status, previous.uai, previous.certification) == (
                        state.status, state.uai, state.certification):
                    state = State(state.status, state.uai, state.certification, previous.since, state.run_start,
                                  previous.abandon_start if state.status == "DROPPED_OUT" else None)
                out[day] = state
            day += ONE
        return out

    # --- a wish's outcome ---------------------------------------------------------------------
    def outcome(self, steps: list[Reported], wish_uai: str, wish_certification: str, submitted: date,
                link: tuple[str, str], today: date) -> tuple:
        counted = [s for s in steps if s.day >= submitted]
        if not counted:
            return ("NO_NEWS", None, None, None, None, False)
        handled = any(s.uai == wish_uai for s in counted if s.day <= today)
        states = self.states(counted, today, order=lambda s: (s.link == link, s.arrival))
        now = states.get(today)
        if now is not None:
            stage, place = STAGE[now.status], (now.uai, now.certification)
            since = today
            while (earlier := states.get(since - ONE)) is not None and STAGE[earlier.status] == stage and (
                    earlier.uai, earlier.certification) == place:
                since -= ONE
        else:
            seen = sorted((s for s in counted if s.day <= today), key=lambda s: (s.day, s.link == link, s.arrival))
            if not seen:
                return ("NO_NEWS", None, None, None, None, False)
            stage, place, since = "HANDLED", (seen[-1].uai, seen[-1].certification), seen[-1].day
            for s in reversed(seen[:-1]):
                if (s.uai, s.certification) != place:
                    break
                since = s.day
        match = "OTHER_CFA" if place[0] != wish_uai else "OTHER_TRAINING" if place[1] != wish_certification else "AS_WISHED"
        return (stage, match, since, place[0], place[1], handled)

    # --- youths at risk -------------------------------------------------------------------------
    def reasons(self, states: dict[date, State], steps: list[Reported], wishes: list[tuple[date, str, bool]],
                day: date) -> set[str]:
        w = self.rules
        now = states.get(day)
        out = set()
        if now is not None:
            if now.status == "REGISTERED" and (day - now.run_start).days >= w.no_contract:
                out.add("NO_CONTRACT")
            if now.status == "CONTRACT_BROKEN":
                out.add("CONTRACT_BROKEN")
            if now.status == "DROPPED_OUT" and (day - now.abandon_start).days < w.shown:
                out.add("DROPPED_OUT")
        if now is not None and now.status in ("APPRENTICE", "COMPLETED"):
            return out
        for submitted, _, consented in wishes:
            if consented and (day - submitted).days >= w.wish and not any(submitted <= s.day <= day for s in steps):
                out.add("WISH_NOT_HANDLED")
        known = [s for s in steps if s.day <= day]
        if known:
            last = max(s.day for s in known)
            if all(s.step in FIRST for s in known if s.day == last) and (day - last).days >= w.handled:
                out.add("HANDLED_NOT_REGISTERED")
        return out

    def at_risk(self, states: dict[date, State], steps: list[Reported], wishes: list[tuple[date, str, bool]],
                residences: list[tuple[date, str]], department_of: dict[str, str], day: date,
                memo: dict[date, set[str]] | None = None) -> tuple | None:
        """(sorted reasons, since, department) on ``day``, or None; ``states``: :meth:`states` of
        the youth's steps, until ``day`` at least. ``memo``: the reasons already found for this
        youth, by day (one dict per youth, shared by the calls on several days)."""
        memo = {} if memo is None else memo

        def reasons_on(d: date) -> set[str]:
            if d not in memo:
                memo[d] = self.reasons(states, steps, wishes, d)
            return memo[d]

        reasons = reasons_on(day)
        if not reasons:
            return None
        since = day
        while reasons_on(since - ONE):
            since -= ONE
        given = [r for r in sorted(residences) if r[0] <= day]
        if given:
            department = given[-1][1]
        else:
            known = sorted((s for s in steps if s.day <= day), key=lambda s: (s.day, s.arrival))
            if known:
                uai = known[-1].uai
            elif day in states:  # a status set earlier than its step's date (a contract's start)
                uai = states[day].uai
            else:
                wished = sorted(w[:2] for w in wishes)
                uai = ([w for w in wished if w[0] <= day] or wished)[-1][1]
            department = department_of[uai]
        return (sorted(reasons), since, department)
