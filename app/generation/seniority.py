"""Minimum seniority per crew (program file ``seniority``): who must provide the senior.

A rule holds by construction when one staffing group of the rotation is all senior enough and
its own coverage puts ``at_least`` of them on the shift every day (the demo: seniors are staffed
apart from interns). Otherwise one team of the rotation, the one with the most eligible
residents, must put ``at_least`` of them on the shift every day (phase 3), its eligible members
take enough of the calls (phase 2), and phase 1 puts enough eligible residents on the rotation.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.generation.program import SeniorityRule
from app.generation.teams import Team
from app.generation.year import ProgramYear


@dataclass(frozen=True, slots=True)
class CrewNeed:
    shift: str
    at_least: int
    eligible: tuple[str, ...]  # members of the team senior enough


def static_groups(year: ProgramYear, rule: SeniorityRule) -> bool:
    """Whether a staffing group that is all senior enough covers the rule by its own coverage."""
    program = year.program
    for group in program.groups:
        pgys = [c.pgy for c in program.classes if c.group == group]
        if not pgys or min(pgys) < rule.min_pgy:
            continue
        for req in program.coverage:
            same = (req.rotation, req.shift, req.scope) == (rule.rotation, rule.shift, "group")
            if same and req.count >= rule.at_least and program.staffing[rule.rotation].get(group):
                return True
    return False


def provider_group(year: ProgramYear, rule: SeniorityRule) -> str | None:
    """The staffing group that supplies the senior residents (None: holds by construction)."""
    if static_groups(year, rule):
        return None
    counts = {
        g: sum(1 for r in year.members(g) if year.pgy[r] >= rule.min_pgy)
        for g in year.program.groups
    }
    return max(counts, key=lambda g: counts[g])


def crew_needs(year: ProgramYear, teams: list[Team]) -> dict[str, list[CrewNeed]]:
    """Per team label (of one block's teams): the seniority it must provide every day."""
    needs: dict[str, list[CrewNeed]] = {}
    for rule in year.program.seniority:
        if static_groups(year, rule):
            continue
        on = [t for t in teams if t.rotation == rule.rotation]
        if not on:
            continue
        eligible = {t.label: tuple(r for r in t.members if year.pgy[r] >= rule.min_pgy) for t in on}
        team = max(on, key=lambda t: len(eligible[t.label]))
        needs.setdefault(team.label, []).append(
            CrewNeed(rule.shift, rule.at_least, eligible[team.label])
        )
    return needs
