"""Teams: the residents of one rotation in one block who share daily coverage.

A rotation whose coverage is combined across groups (the ICU) forms one team per block; otherwise
each staffing group on it is its own team (WARDS interns, WARDS seniors). Residents in different
teams never interact within a block, which is what lets phase 3 solve each team on its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from app.generation.year import ProgramYear


@dataclass(frozen=True, slots=True)
class Demand:
    """``count`` residents of ``members`` on ``shift`` every day (exactly, or at least)."""

    shift: str
    count: int
    exact: bool
    members: tuple[str, ...]
    label: str  # "WARDS call (interns)"


@dataclass(frozen=True, slots=True)
class Team:
    block: int
    rotation: str
    label: str  # "WARDS (interns)", "ICU"
    members: tuple[str, ...]
    demands: tuple[Demand, ...]
    # Home call spacing across block edges (see :func:`home_call_sides`): members who take no
    # home call on the days just before the block's last day / on its first days.
    home_late_free: frozenset[str] = frozenset()
    home_early_free: frozenset[str] = frozenset()


def block_teams(year: ProgramYear, block: int, assignment: dict[str, list[str]]) -> list[Team]:
    """The teams of ``block`` given each resident's rotation per block, in a stable order."""
    program = year.program
    teams: list[Team] = []
    before = home_call_sides(year, block - 1, assignment) if block > 0 else {}
    after = home_call_sides(year, block, assignment) if block < year.blocks - 1 else {}
    late_free = frozenset(r for r, late in after.items() if late)
    early_free = frozenset(r for r, late in before.items() if not late)
    for rotation in program.rotations:
        on_it = [r for r in year.ids if assignment[r][block] == rotation.name]
        if not on_it:
            continue
        reqs = [c for c in program.coverage if c.rotation == rotation.name]
        combined = any(c.scope == "combined" for c in reqs)
        scopes = [None] if combined else [g for g in year.program.groups]
        for scope in scopes:
            members = tuple(r for r in on_it if scope is None or year.group[r] == scope)
            if not members:
                continue
            label = rotation.name if scope is None else f"{rotation.name} ({scope})"
            demands: list[Demand] = []
            for req in reqs:
                subsets = (
                    [(None, members)]
                    if req.scope == "combined"
                    else [
                        (g, tuple(r for r in members if year.group[r] == g))
                        for g in program.groups
                        if scope is None or g == scope
                    ]
                )
                for group, subset in subsets:
                    who = "" if group is None else f" ({group})"
                    demands.append(
                        Demand(
                            shift=req.shift,
                            count=req.count,
                            exact=req.exactly is not None,
                            members=subset,
                            label=f"{rotation.name} {req.shift}{who}",
                        )
                    )
            team = Team(
                block,
                rotation.name,
                label,
                members,
                tuple(demands),
                late_free.intersection(members),
                early_free.intersection(members),
            )
            # a crew led by a senior is the whole team's: no firms where seniority rules apply
            led = any(rule.rotation == rotation.name for rule in program.seniority)
            teams.extend([team] if led else _firms(team))
    return teams


def _firms(team: Team) -> list[Team]:
    """A team whose every demand is a multiple of k > 1 works as k firms of the same shape (the
    scaled programs: 52 WARDS interns taking 13 calls a night are 13 firms of 4 taking 1): the
    same coverage, in models CP-SAT solves in a fraction of the time. Members are dealt out
    in roster order."""
    k = math.gcd(*(d.count for d in team.demands)) if team.demands else 1
    if k < 2 or len(team.members) < 2 * k:
        return [team]
    firms: list[Team] = []
    for i in range(k):
        members = team.members[i::k]
        demands = tuple(
            replace(d, count=d.count // k, members=tuple(r for r in d.members if r in members))
            for d in team.demands
        )
        firms.append(
            replace(
                team,
                label=f"{team.label} firm {i + 1}",
                members=members,
                demands=demands,
                home_late_free=team.home_late_free.intersection(members),
                home_early_free=team.home_early_free.intersection(members),
            )
        )
    return firms


def home_call_sides(
    year: ProgramYear, block: int, assignment: dict[str, list[str]]
) -> dict[str, bool]:
    """Home call spacing across the edge after ``block``, as the call plan does for in-house
    calls: a resident on home-call rotations on both sides takes no home call on the days just
    before the block's last day (True) or none on the next block's first days (False). Each
    one gives way on the side where fewer of their team so far do, so both teams keep people
    free for home call there. Empty when spacing never reaches across the edge."""
    if year.home_call_gap() < 3 or not year.home_call_rotations:
        return {}
    homes = year.home_call_rotations
    barred_late: dict[tuple[str, str], int] = {}
    barred_early: dict[tuple[str, str], int] = {}
    sides: dict[str, bool] = {}
    for r in year.ids:
        now, then = assignment[r][block], assignment[r][block + 1]
        if now not in homes or then not in homes:
            continue
        src, dst = (now, year.group[r]), (then, year.group[r])
        late = barred_late.get(src, 0) <= barred_early.get(dst, 0)
        if late:
            barred_late[src] = barred_late.get(src, 0) + 1
        else:
            barred_early[dst] = barred_early.get(dst, 0) + 1
        sides[r] = late
    return sides
