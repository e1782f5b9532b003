"""Teams: the residents of one rotation in one block who share daily coverage.

A rotation whose coverage is combined across groups (the ICU) forms one team per block; otherwise
each staffing group on it is its own team (WARDS interns, WARDS seniors). Residents in different
teams never interact within a block, which is what lets phase 3 solve each team on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def block_teams(year: ProgramYear, block: int, assignment: dict[str, list[str]]) -> list[Team]:
    """The teams of ``block`` given each resident's rotation per block, in a stable order."""
    program = year.program
    teams: list[Team] = []
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
            teams.append(Team(block, rotation.name, label, members, tuple(demands)))
    return teams
