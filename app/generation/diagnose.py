"""Turn an infeasible phase into a sentence a program coordinator can act on.

Each phase is re-solved with one rule family dropped at a time; the first relaxation that makes
it feasible names the rule that cannot be met. Only runs after a failure, so its cost is moot.
"""

from __future__ import annotations

from app.generation.callplan import plan_calls
from app.generation.rotations import daily_need, plan_rotations, senior_need
from app.generation.seniority import provider_group
from app.generation.shifts import TeamInputs, solve_team
from app.generation.solve import SolveLimits
from app.generation.teams import Team
from app.generation.timing import conflicts
from app.generation.year import ProgramYear
from app.schedules.calendar import BLOCK_DAYS

_FEASIBLE = ("optimal", "feasible")


def explain_rotations(year: ProgramYear, group: str, limits: SolveLimits) -> str:
    who = f"the {group}: " if group else ""
    rules = ", ".join(
        f"at most {r.max_consecutive_blocks} {r.name} block(s) in a row"
        for r in year.program.rotations
        if r.max_consecutive_blocks is not None
    )
    if (why := _eligibility_or_assignments(year, group, limits)) is not None:
        return who + why
    seniority = [r for r in year.program.seniority if provider_group(year, r) == group]
    if seniority and plan_rotations(year, limits, relax=("seniority",)).outcome.status in (
        _FEASIBLE
    ):
        rule = seniority[0]
        return (
            f"{who}every {rule.rotation} {rule.shift} needs {rule.at_least} PGY-{rule.min_pgy}+ "
            f"resident(s), so {senior_need(year, rule)} of them must be on {rule.rotation} in "
            "every block (calls are spaced, people rest), which the staffing and the class sizes "
            "do not allow"
        )
    if plan_rotations(year, limits, relax=("leave",)).outcome.status in _FEASIBLE:
        return who + _leave_shortage(year, group)
    if plan_rotations(year, limits, relax=("balance",)).outcome.status in _FEASIBLE:
        return (
            f"{who}no rotation plan gives every resident a yearly count of each rotation within "
            f"one of the group average while keeping the per-block staffing ({rules})"
        )
    if plan_rotations(year, limits, relax=("consecutive",)).outcome.status in _FEASIBLE:
        return f"{who}the per-block staffing cannot be met while keeping {rules}"
    return f"{who}the per-block staffing counts cannot be met"


def _eligibility_or_assignments(year: ProgramYear, group: str, limits: SolveLimits) -> str | None:
    """Rotations limited by PGY, or fixed in advance, that the rest of the plan cannot honour."""
    program = year.program
    members = set(year.members(group))
    limited = [
        r
        for r in program.rotations
        if r.min_pgy is not None and any(not r.eligible(year.pgy[m]) for m in members)
    ]
    if limited and _rotations_feasible(year, limits, "eligibility"):
        names = ", ".join(f"{r.name} (PGY-{r.min_pgy} and above)" for r in limited)
        return (
            f"the PGY limits on {names} leave too few eligible residents to staff every block "
            "while keeping the other rotation rules"
        )
    fixed = [a for a in program.assignments if a.resident in members]
    if fixed and _rotations_feasible(year, limits, "assignments"):
        listed = ", ".join(f"{a.resident} on {a.rotation} in block {a.block}" for a in fixed)
        return (
            f"the pre-assigned rotations ({listed}) cannot all be kept together with the "
            "per-block staffing and the other rotation rules"
        )
    return None


def _rotations_feasible(year: ProgramYear, limits: SolveLimits, relax: str) -> bool:
    return plan_rotations(year, limits, relax=(relax,)).outcome.status in _FEASIBLE


def explain_calls(year: ProgramYear, assignment: dict[str, list[str]], limits: SolveLimits) -> str:
    spread = year.program.rules.call_spread
    if plan_calls(year, assignment, limits, relax=("fairness",)).outcome.status in _FEASIBLE:
        return (
            f"in-house call cannot be shared fairly: within each class yearly call counts must "
            f"differ by at most {spread}, but the call blocks, leave and the every-third-night "
            f"limit do not allow it"
        )
    if plan_calls(year, assignment, limits, relax=("edges",)).outcome.status in _FEASIBLE:
        return (
            "the hand-over between blocks fails: too many residents finishing a block on call or "
            "nights move into the same team, which then cannot cover its first day"
        )
    return (
        "the in-house calls of some block cannot be shared out within the every-third-night "
        "limit and the 80-hour week, given leave"
    )


def explain_team(year: ProgramYear, team: Team, inputs: TeamInputs, limits: SolveLimits) -> str:
    where = f"{team.label} in {year.block_label(team.block)}"
    first = team.block * BLOCK_DAYS
    for demand in team.demands:
        for d in range(year.block_length(team.block)):
            present = [r for r in demand.members if not year.on_leave(r, first + d)]
            if len(present) < demand.count:
                when = year.day_date(first + d).isoformat()
                return (
                    f"{where}: on {when} only {len(present)} resident(s) are not on leave, "
                    f"but {demand.count} must work {demand.shift}"
                )
    names = year.program.rotation(team.rotation).shifts
    resting = [
        d
        for d in team.demands
        if all(conflicts(year.timings[d.shift], year.timings[n], 1) for n in names)
    ]
    # a home call may be taken by someone working the day's shift: it needs nobody more
    at_work = [d for d in team.demands if not year.timings[d.shift].is_home_call]
    need = sum(d.count for d in at_work) + sum(d.count for d in resting)
    for d in range(1, year.block_length(team.block)):
        present = [r for r in team.members if not year.on_leave(r, first + d)]
        if len(present) < need:
            when = year.day_date(first + d).isoformat()
            rest = ", ".join(d.shift for d in resting)
            return (
                f"{where}: on {when} only {len(present)} resident(s) are not on leave, but "
                f"covering the day needs {need} counting those resting after {rest}"
            )
    wanted = ", ".join(
        f"{'exactly' if d.exact else 'at least'} {d.count} {d.shift}" for d in team.demands
    )
    pool = f"the pool of {len(team.members)} resident(s) cannot cover {wanted} every day"
    rules = year.program.rules
    run = rules.max_consecutive_working_days
    gap = rules.free_nights_between_calls
    home_gap = rules.free_nights_between_home_calls
    checks = (
        (
            "days_off",
            f"{where}: {pool} with 1 day off in 7 and at most {run} working days in a row",
        ),
        ("spacing", f"{where}: {pool} with {gap} free nights between one resident's calls"),
        (
            "home_spacing",
            f"{where}: {pool} with {home_gap} free nights between one resident's home calls",
        ),
        ("hours", f"{where}: {pool} within 80 hours a week"),
        ("calls", f"{where}: the planned in-house call counts cannot be placed ({pool} with them)"),
        ("edges", f"{where}: the shifts handed over at the block edges leave too few to cover"),
    )
    for relax, message in checks:
        if relax == "home_spacing" and team.rotation not in year.home_call_rotations:
            continue
        outcome = solve_team(year, team, inputs, limits, relax=(relax,)).outcome
        if outcome.status in _FEASIBLE:
            return message
    both = ("days_off", "spacing")
    if solve_team(year, team, inputs, limits, relax=both).outcome.status in _FEASIBLE:
        return (
            f"{where}: {pool} with 1 day off in 7, at most {run} working days in a row and "
            f"{gap} free nights between one resident's calls"
        )
    return f"{where}: {pool} under the rest rules and leave"


def _leave_shortage(year: ProgramYear, group: str) -> str:
    """Name the first day on which leave leaves too few of the group to staff the rotations."""
    members = year.members(group)
    needs = {r.name: daily_need(year, r.name, group) for r in year.program.rotations}
    busy = {name: n for name, n in needs.items() if n}
    total = sum(busy.values())
    for day in range(year.program.days):
        present = sum(1 for r in members if not year.on_leave(r, day))
        if present < total:
            return (
                f"on {year.day_date(day).isoformat()} only {present} of the {len(members)} "
                f"{group} are not on leave, but {', '.join(busy)} need {total} of them at work "
                "or resting after call"
            )
    return (
        f"leave requests leave too few {group} on some rotation to cover it with one day off "
        "in 7; spread the leave over more blocks"
    )
