"""Who clears what, and when: a fast heuristic for priority-weighted completion time.

The problem is scheduling on unrelated parallel machines (teams) with eligibility, release
days, precedences (NTS before TS before clearance, an access road before its village) and
sequence-dependent set-up (mobilisation from the previous site), minimising
Σ priority × end day. It is NP-hard, so:

* :func:`construct` — list scheduling. Tasks are taken in order of their WSPT ratio
  (priority / expected duration), raised by the best chain of successors they unlock (so a
  road that opens a village is not left behind), and each goes to the eligible team that
  would *finish* it first, counting travel from where that team is. Vectorised over teams,
  so 50,000 tasks × 2,000 teams run in seconds.
* :func:`improve_adjacent` — pairwise interchange of neighbours on each team where it lowers
  the objective without delaying anything else; then the plan is re-timed (left-shifted).
* :func:`iterated_local_search` — for small and medium instances: insertion and swap moves
  between teams from several starting plans, with seeded perturbations.

:func:`solve_greedy` is the spreadsheet baseline (highest priority first, to the first free
eligible team) that the benchmark compares against; :func:`replan` keeps teams on their
current tasks unless moving them gains more than a threshold. Everything here is pure.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.geometry import haversine_km, haversine_radians_km
from landrelease.planning.instance import (
    TEAM_TYPES,
    Assignment,
    PlanInstance,
    Solution,
    Unscheduled,
    diagnose,
    ineligible_reasons,
)

SMALL = 40  # up to this many tasks: full insertion/swap neighbourhoods, several starts
MEDIUM = 1500  # up to this many tasks: sampled insertion moves within a time budget


# ---------------------------------------------------------------- compiled instance


@dataclass
class Compiled:
    """The instance as arrays and adjacency lists, for speed."""

    instance: PlanInstance
    n: int
    m: int
    area: np.ndarray
    weight: np.ndarray
    release: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    mask: np.ndarray  # bit per eligible team type
    rate: np.ndarray
    team_type: np.ndarray  # index into TEAM_TYPES
    base_lon: np.ndarray
    base_lat: np.ndarray
    preds: list[list[int]]
    succs: list[list[int]]
    topo: list[int]
    teams_of_mask: dict[int, np.ndarray] = field(default_factory=dict)
    no_team: dict[int, str] = field(default_factory=dict)  # task index -> reason
    _tt: list[list[float]] | None = None  # task-to-task travel (small instances)
    _bt: list[list[float]] | None = None  # base-to-task travel (small instances)
    _dur: list[list[float]] | None = None  # duration per team and task (small instances)
    release_l: list[float] = field(default_factory=list)

    @property
    def horizon(self) -> float:
        return float(self.instance.horizon_days)

    @property
    def mob(self) -> float:
        return float(self.instance.mobilisation_days_per_km)

    def eligible(self, j: int) -> np.ndarray:
        return self.teams_of_mask[int(self.mask[j])]

    def travel_tt(self, i: int, j: int) -> float:
        if self._tt is not None:
            return self._tt[i][j]
        return _hav(self.lon[i], self.lat[i], self.lon[j], self.lat[j]) * self.mob

    def travel_bt(self, k: int, j: int) -> float:
        if self._bt is not None:
            return self._bt[k][j]
        return _hav(self.base_lon[k], self.base_lat[k], self.lon[j], self.lat[j]) * self.mob


def _hav(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return float(haversine_km(float(lon1), float(lat1), float(lon2), float(lat2)))


def compile_instance(instance: PlanInstance) -> Compiled:
    """Check the instance (refusing it with reasons if it has no answer) and turn it into arrays."""
    diagnose(instance)
    tasks, teams = instance.tasks, instance.teams
    n, m = len(tasks), len(teams)
    index = instance.task_index()
    type_bit = {ty: 1 << i for i, ty in enumerate(TEAM_TYPES)}
    mask = np.array([sum(type_bit[ty] for ty in set(t.eligible_types)) for t in tasks], dtype=np.int64)
    team_type = np.array([TEAM_TYPES.index(tm.type) for tm in teams], dtype=np.int64)
    preds = [[index[a] for a in t.after] for t in tasks]
    succs: list[list[int]] = [[] for _ in range(n)]
    for j, ps in enumerate(preds):
        for p in ps:
            succs[p].append(j)
    preds = [sorted(set(p)) for p in preds]
    succs = [sorted(set(s)) for s in succs]
    indeg = [len(p) for p in preds]
    topo = [j for j in range(n) if indeg[j] == 0]
    for j in topo:  # the list grows while we walk it (Kahn)
        for s in succs[j]:
            indeg[s] -= 1
            if indeg[s] == 0:
                topo.append(s)
    c = Compiled(
        instance=instance,
        n=n,
        m=m,
        area=np.array([t.area_m2 for t in tasks], dtype=float),
        weight=np.array([t.priority for t in tasks], dtype=float),
        release=np.array([t.release_day for t in tasks], dtype=float),
        lon=np.array([t.location[0] for t in tasks], dtype=float),
        lat=np.array([t.location[1] for t in tasks], dtype=float),
        mask=mask,
        rate=np.array([tm.rate_m2_per_day for tm in teams], dtype=float),
        team_type=team_type,
        base_lon=np.array([tm.base[0] for tm in teams], dtype=float),
        base_lat=np.array([tm.base[1] for tm in teams], dtype=float),
        preds=preds,
        succs=succs,
        topo=topo,
    )
    team_bits = np.left_shift(1, team_type)
    for mk in np.unique(mask):
        c.teams_of_mask[int(mk)] = np.flatnonzero(team_bits & int(mk))
    reasons = ineligible_reasons(instance)
    c.no_team = {index[t]: r for t, r in reasons.items()}
    if n <= 1500:
        mob = c.mob
        tt = _pairwise_km(c.lon, c.lat, c.lon, c.lat) * mob
        bt = _pairwise_km(c.base_lon, c.base_lat, c.lon, c.lat) * mob
        c._tt, c._bt = tt.tolist(), bt.tolist()
    if n * m <= 200_000:
        c._dur = (c.area[None, :] / c.rate[:, None]).tolist()
    c.release_l = c.release.tolist()
    return c


def _pairwise_km(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    return np.asarray(haversine_km(lon1[:, None], lat1[:, None], lon2[None, :], lat2[None, :]))


# ---------------------------------------------------------------- a plan in progress


@dataclass
class Plan:
    """Sequences per team with their times; ``end[j]`` is NaN for a task not scheduled."""

    seqs: list[list[int]]
    start: np.ndarray
    end: np.ndarray
    team_of: np.ndarray  # -1 when not scheduled
    reason: dict[int, str]  # why a task is unscheduled
    objective: float


def _objective(c: Compiled, end: np.ndarray) -> float:
    late = np.isnan(end) | (end > c.horizon + 1e-9)
    return float(np.sum(np.where(late, c.weight * 2.0 * c.horizon, c.weight * np.nan_to_num(end))))


def expected_duration(c: Compiled) -> np.ndarray:
    """Duration of each task at the mean rate of the teams that may do it (∞ if none may)."""
    mean_rate = {mk: float(c.rate[idx].mean()) if len(idx) else 0.0 for mk, idx in c.teams_of_mask.items()}
    r = np.array([mean_rate[int(mk)] for mk in c.mask], dtype=float)
    with np.errstate(divide="ignore"):
        return np.where(r > 0, c.area / np.where(r > 0, r, 1.0), np.inf)


def chain_ratio(c: Compiled) -> np.ndarray:
    """WSPT ratio priority / duration, raised by the best chain of successors a task opens.

    For a chain, the best initial segment's Σw/Σp is the rule that orders chains optimally on
    one machine (Sidney); here each task takes the better of its own ratio and the ratio of
    itself plus the best segment behind one of its successors.
    """
    p = np.maximum(expected_duration(c), 1e-9)
    w = c.weight
    seg_w = w.copy()
    seg_p = p.copy()
    ratio = w / p
    for j in reversed(c.topo):
        for s in c.succs[j]:
            cand = (w[j] + seg_w[s]) / (p[j] + seg_p[s])
            if cand > ratio[j]:
                ratio[j] = cand
                seg_w[j] = w[j] + seg_w[s]
                seg_p[j] = p[j] + seg_p[s]
    return ratio


# ---------------------------------------------------------------- construction


def construct(c: Compiled, key: np.ndarray, *, choose: str = "ect", pinned: Mapping[int, int] | None = None) -> Plan:
    """List scheduling: ready tasks in order of ``key`` (higher first), each to a team.

    ``choose='ect'`` gives the task to the team that finishes it first (travel included);
    ``choose='first_free'`` to the team that is free first (the spreadsheet rule).
    ``pinned`` maps team index → task index that the team keeps doing first.
    """
    n, m, horizon, mob = c.n, c.m, c.horizon, c.mob
    free = np.zeros(m)
    at_lon = c.base_lon.copy()
    at_lat = c.base_lat.copy()
    at_lat_rad = np.radians(at_lat)
    at_cos = np.cos(at_lat_rad)
    seqs: list[list[int]] = [[] for _ in range(m)]
    start = np.full(n, np.nan)
    end = np.full(n, np.nan)
    team_of = np.full(n, -1, dtype=np.int64)
    reason: dict[int, str] = {}
    waiting = [len(p) for p in c.preds]
    area, release, lon, lat, rate = c.area, c.release, c.lon, c.lat, c.rate
    lat_rad = np.radians(lat)
    cos_lat = np.cos(lat_rad)
    keyl = (-np.asarray(key, dtype=float)).tolist()
    heap: list[tuple[float, int]] = []
    done_or_dropped = np.zeros(n, dtype=bool)

    def place(j: int, k: int, s: float, e: float) -> None:
        start[j], end[j], team_of[j] = s, e, k
        free[k] = e
        at_lon[k], at_lat[k], at_lat_rad[k], at_cos[k] = lon[j], lat[j], lat_rad[j], cos_lat[j]
        seqs[k].append(j)

    def release_successors(j: int) -> None:
        done_or_dropped[j] = True
        for s_ in c.succs[j]:
            waiting[s_] -= 1
            if waiting[s_] == 0:
                heapq.heappush(heap, (keyl[s_], s_))

    def drop(j: int, why: str) -> None:
        reason[j] = why
        # successors can never run: drop them too, with the reason
        stack = [j]
        done_or_dropped[j] = True
        while stack:
            x = stack.pop()
            for s_ in c.succs[x]:
                if not done_or_dropped[s_]:
                    done_or_dropped[s_] = True
                    reason[s_] = f"its predecessor {c.instance.tasks[x].id} is not scheduled"
                    stack.append(s_)

    pinned = dict(pinned or {})
    for k, j in pinned.items():
        if c.preds[j]:
            raise ValidationError(
                [
                    Problem(
                        "a task in progress cannot wait for other tasks",
                        record=f"task {c.instance.tasks[j].id}",
                        field="after",
                        found=", ".join(c.instance.tasks[p].id for p in c.preds[j]),
                    )
                ],
                "re-planning refused",
            )
        s = max(float(release[j]), c.travel_bt(k, j))
        e = s + area[j] / rate[k]
        place(j, k, s, e)
        if e > horizon + 1e-9:
            seqs[k].pop()
            start[j] = end[j] = np.nan
            team_of[j] = -1
            free[k] = 0.0
            drop(j, f"cannot finish within the horizon (would end on day {e:.1f})")
        else:
            release_successors(j)

    for j in range(n):
        if waiting[j] == 0 and j not in pinned.values():
            heapq.heappush(heap, (keyl[j], j))
    while heap:
        _, j = heapq.heappop(heap)
        if done_or_dropped[j]:
            continue
        if j in c.no_team:
            drop(j, c.no_team[j])
            continue
        est = float(release[j])
        for p in c.preds[j]:
            if end[p] > est:
                est = float(end[p])
        ks = c.eligible(j)
        # great-circle travel from where each eligible team is now, vectorised
        dl = np.radians(lon[j] - at_lon[ks])
        trav = haversine_radians_km(at_lat_rad[ks], lat_rad[j], dl, at_cos[ks], cos_lat[j]) * mob
        st = np.maximum(free[ks] + trav, est)
        if choose == "first_free":
            i = int(np.argmin(free[ks]))
            en_i = float(st[i] + area[j] / rate[ks[i]])
        else:
            en = st + area[j] / rate[ks]
            i = int(np.argmin(en))
            en_i = float(en[i])
        if en_i > horizon + 1e-9:
            drop(j, f"cannot finish within the horizon of {horizon:g} days (would end on day {en_i:.1f})")
            continue
        place(j, int(ks[i]), float(st[i]), en_i)
        release_successors(j)
    return Plan(seqs, start, end, team_of, reason, _objective(c, end))


# ---------------------------------------------------------------- evaluation of sequences


def evaluate(c: Compiled, seqs: Sequence[Sequence[int]]) -> tuple[float, np.ndarray, np.ndarray] | None:
    """Earliest start times for given team sequences (semi-active schedule), or None on a deadlock.

    A task ending after the horizon counts as unscheduled (priority × 2 × horizon); removing it
    never makes the others infeasible (great-circle travel obeys the triangle inequality).
    """
    n = c.n
    end = [math.nan] * n
    start = [math.nan] * n
    pos = [0] * len(seqs)
    remaining = sum(len(s) for s in seqs)
    release = c.release_l
    dur = c._dur
    preds = c.preds
    while remaining:
        progress = False
        for k, seq in enumerate(seqs):
            p_k = pos[k]
            while p_k < len(seq):
                j = seq[p_k]
                est = release[j]
                blocked = False
                for p in preds[j]:
                    e = end[p]
                    if e != e:  # NaN: not computed yet
                        blocked = True
                        break
                    if e > est:
                        est = e
                if blocked:
                    break
                if p_k == 0:
                    ready = c.travel_bt(k, j)
                else:
                    prev = seq[p_k - 1]
                    ready = end[prev] + c.travel_tt(prev, j)
                s = ready if ready > est else est
                start[j] = s
                end[j] = s + dur[k][j] if dur is not None else s + c.area[j] / c.rate[k]
                p_k += 1
                remaining -= 1
                progress = True
            pos[k] = p_k
        if not progress:
            return None
    end_a = np.array(end)
    return _objective(c, end_a), np.array(start), end_a


def plan_from_seqs(c: Compiled, seqs: list[list[int]], reason: Mapping[int, str]) -> Plan:
    ev = evaluate(c, seqs)
    if ev is None:  # pragma: no cover - callers only pass deadlock-free sequences
        raise RuntimeError("deadlocked sequences")
    obj, start, end = ev
    team_of = np.full(c.n, -1, dtype=np.int64)
    for k, seq in enumerate(seqs):
        team_of[seq] = k
    return Plan([list(s) for s in seqs], start, end, team_of, dict(reason), obj)


# ---------------------------------------------------------------- improvement


def improve_adjacent(c: Compiled, plan: Plan, *, deadline: float, pinned: frozenset[int] = frozenset()) -> Plan:
    """Swap neighbours a, b on a team to b, a when it lowers w_a·C_a + w_b·C_b and delays nothing else.

    The swap is kept only if the team's next task can still start when it did, and every
    successor of ``a`` still starts after ``a``'s new end; then the whole plan is re-timed.
    """
    start, end, w, horizon = plan.start.copy(), plan.end.copy(), c.weight, c.horizon
    area, rate = c.area, c.rate
    changed = True
    rounds = 0
    while changed and time.perf_counter() < deadline and rounds < 20:
        changed = False
        rounds += 1
        for k, seq in enumerate(plan.seqs):
            i = 0
            while i < len(seq) - 1:
                a, b = seq[i], seq[i + 1]
                i += 1
                if a in pinned or a in c.preds[b]:
                    continue
                if i - 1 == 0:
                    prev_end, trav_b = 0.0, c.travel_bt(k, b)
                else:
                    prev = seq[i - 2]
                    prev_end, trav_b = end[prev], c.travel_tt(prev, b)
                est_b = c.release[b]
                for p in c.preds[b]:
                    est_b = max(est_b, end[p])
                sb = max(prev_end + trav_b, est_b)
                eb = sb + area[b] / rate[k]
                est_a = c.release[a]
                for p in c.preds[a]:
                    est_a = max(est_a, end[p])
                sa = max(eb + c.travel_tt(b, a), est_a)
                ea = sa + area[a] / rate[k]
                if ea > horizon + 1e-9:
                    continue
                old = w[a] * end[a] + w[b] * end[b]
                if w[a] * ea + w[b] * eb >= old - 1e-9 * max(1.0, old):
                    continue
                if i < len(seq) - 1:
                    nxt = seq[i + 1]
                    if ea + c.travel_tt(a, nxt) > end[b] + c.travel_tt(b, nxt) + 1e-9:
                        continue
                if any(start[s] < ea - 1e-9 for s in c.succs[a]):
                    continue
                seq[i - 1], seq[i] = b, a
                start[b], end[b], start[a], end[a] = sb, eb, sa, ea
                changed = True
                if time.perf_counter() > deadline:
                    break
    new = plan_from_seqs(c, plan.seqs, plan.reason)
    return new if new.objective <= plan.objective + 1e-9 else plan


def iterated_local_search(
    c: Compiled, plan: Plan, *, seed: int, deadline: float, max_rounds: int, pinned: Mapping[int, int] | None = None
) -> Plan:
    """Insertion and swap moves between teams, with seeded perturbations (iterated local search)."""
    rng = np.random.default_rng(seed)
    pinned_tasks = set((pinned or {}).values())
    first_fixed = {k for k in (pinned or {})}
    seqs = [list(s) for s in plan.seqs]
    scheduled = [j for s in seqs for j in s]
    if not scheduled:
        return plan
    elig = {j: [int(k) for k in c.eligible(j)] for j in scheduled}
    movable = [j for j in scheduled if j not in pinned_tasks]
    full = c.n <= SMALL

    def value(s: list[list[int]]) -> float:
        ev = evaluate(c, s)
        return math.inf if ev is None else ev[0]

    def where(s: list[list[int]], j: int) -> tuple[int, int]:
        for k, q in enumerate(s):
            if j in q:
                return k, q.index(j)
        raise KeyError(j)  # pragma: no cover

    def lo(k: int) -> int:
        return 1 if k in first_fixed else 0

    def descend(s: list[list[int]], cur: float) -> float:
        improved = True
        while improved and time.perf_counter() < deadline:
            improved = False
            order = list(movable) if full else list(rng.choice(movable, size=min(len(movable), 60), replace=False))
            rng.shuffle(order)
            for j in order:
                k0, p0 = where(s, j)
                s[k0].pop(p0)
                best = (cur, k0, p0)
                ks = (
                    elig[j] if full or len(elig[j]) <= 4 else [k0, *rng.choice(elig[j], size=3, replace=False).tolist()]
                )
                for k in dict.fromkeys(ks):
                    positions: Sequence[int] = range(lo(k), len(s[k]) + 1)
                    if not full and len(s[k]) > 8:
                        positions = sorted(set(rng.integers(lo(k), len(s[k]) + 1, size=8).tolist()))
                    if not full and time.perf_counter() > deadline:
                        break
                    for p in positions:
                        if k == k0 and p == p0:
                            continue
                        s[k].insert(p, j)
                        v = value(s)
                        s[k].pop(p)
                        if v < best[0] - 1e-9 * max(1.0, abs(best[0])):
                            best = (v, k, p)
                s[best[1]].insert(best[2], j)
                if best[0] < cur:
                    cur, improved = best[0], True
                if time.perf_counter() > deadline:
                    return cur
            if not full:
                continue
            # swaps of two tasks (on the same team or across teams when both are eligible)
            for x in range(len(movable)):
                for y in range(x + 1, len(movable)):
                    a, b = movable[x], movable[y]
                    ka, pa = where(s, a)
                    kb, pb = where(s, b)
                    if ka == kb or (kb in elig[a] and ka in elig[b]):
                        s[ka][pa], s[kb][pb] = b, a
                        v = value(s)
                        if v < cur - 1e-9 * max(1.0, abs(cur)):
                            cur, improved = v, True
                        else:
                            s[ka][pa], s[kb][pb] = a, b
        return cur

    best_seqs = [list(q) for q in seqs]
    best_val = descend(seqs, value(seqs))
    best_seqs = [list(q) for q in seqs]
    for _ in range(max_rounds):
        if time.perf_counter() > deadline:
            break
        trial = [list(q) for q in best_seqs]
        for _ in range(int(rng.integers(2, 4))):  # perturb: a few random relocations
            j = int(rng.choice(movable))
            k0, p0 = where(trial, j)
            trial[k0].pop(p0)
            k = int(rng.choice(elig[j]))
            trial[k].insert(int(rng.integers(lo(k), len(trial[k]) + 1)), j)
        v = value(trial)
        if v == math.inf:
            continue
        v = descend(trial, v)
        if v < best_val - 1e-9 * max(1.0, abs(best_val)):
            best_val, best_seqs = v, [list(q) for q in trial]
    if best_val < plan.objective - 1e-12:
        return plan_from_seqs(c, best_seqs, plan.reason)
    return plan


# ---------------------------------------------------------------- entry points


def to_solution(c: Compiled, plan: Plan, note: str = "") -> Solution:
    """The exchange-format solution of a plan; tasks past the horizon become unscheduled."""
    tasks, teams, horizon = c.instance.tasks, c.instance.teams, c.horizon
    reason = dict(plan.reason)
    assignments = []
    for seq in plan.seqs:
        for j in seq:
            e = float(plan.end[j])
            if e > horizon + 1e-9 and j not in reason:
                reason[j] = f"cannot finish within the horizon of {horizon:g} days (would end on day {e:.1f})"
    for j in list(reason):  # successors of anything unscheduled cannot run either
        stack = [j]
        while stack:
            x = stack.pop()
            for s in c.succs[x]:
                if s not in reason:
                    reason[s] = f"its predecessor {tasks[x].id} is not scheduled"
                    stack.append(s)
    for k, seq in enumerate(plan.seqs):
        for j in seq:
            if j not in reason:
                assignments.append(Assignment(tasks[j].id, teams[k].id, float(plan.start[j]), float(plan.end[j])))
    assignments.sort(key=lambda a: (a.start_day, a.team))
    unscheduled = [Unscheduled(tasks[j].id, r) for j, r in sorted(reason.items())]
    w = c.weight
    idx = c.instance.task_index()
    objective = math.fsum(w[idx[a.task]] * a.end_day for a in assignments) + math.fsum(
        w[j] * 2.0 * horizon for j in reason
    )
    return Solution(assignments, objective, unscheduled, note=note)


def solve(
    instance: PlanInstance, *, seed: int = 0, time_limit_s: float = 20.0, pinned: Mapping[str, str] | None = None
) -> Solution:
    """The planner's heuristic: best of a few list schedules, then local improvement.

    ``pinned`` maps team id → task id for teams that keep their current task first.
    """
    c = compile_instance(instance)
    return to_solution(c, solve_compiled(c, seed=seed, time_limit_s=time_limit_s, pinned=_pin_index(c, pinned)))


def _pin_index(c: Compiled, pinned: Mapping[str, str] | None) -> dict[int, int]:
    if not pinned:
        return {}
    ti, ki = c.instance.task_index(), c.instance.team_index()
    problems = []
    out: dict[int, int] = {}
    for team, task in pinned.items():
        if team not in ki:
            problems.append(Problem("no team with this id", record=f"team {team}", field="current_task", found=team))
        elif task not in ti:
            problems.append(Problem("no task with this id", record=f"team {team}", field="current_task", found=task))
        elif c.instance.teams[ki[team]].type not in c.instance.tasks[ti[task]].eligible_types:
            problems.append(
                Problem(
                    "team not eligible for its current task", record=f"team {team}", field="current_task", found=task
                )
            )
        elif ti[task] in out.values():
            problems.append(Problem("two teams on one task", record=f"team {team}", field="current_task", found=task))
        else:
            out[ki[team]] = ti[task]
    if problems:
        raise ValidationError(problems, "re-planning refused")
    return out


def solve_compiled(
    c: Compiled, *, seed: int = 0, time_limit_s: float = 20.0, pinned: Mapping[int, int] | None = None
) -> Plan:
    t0 = time.perf_counter()
    deadline = t0 + time_limit_s
    pinned = dict(pinned or {})
    ratio = chain_ratio(c)
    candidates = [construct(c, ratio, pinned=pinned)]
    if c.n <= MEDIUM:
        p = np.maximum(expected_duration(c), 1e-9)
        candidates.append(construct(c, c.weight / p, pinned=pinned))
        candidates.append(construct(c, c.weight, pinned=pinned))
        candidates.append(construct(c, ratio + 1e-3 * c.weight, pinned=pinned))
    best = min(candidates, key=lambda pl: pl.objective)
    best = improve_adjacent(c, best, deadline=deadline, pinned=frozenset(pinned.values()))
    if c.n <= MEDIUM:
        if c.n <= SMALL:
            starts = sorted(candidates, key=lambda pl: pl.objective)[:3]
            results = [
                iterated_local_search(
                    c,
                    improve_adjacent(c, pl, deadline=deadline),
                    seed=seed + i,
                    deadline=deadline,
                    max_rounds=25,
                    pinned=pinned,
                )
                for i, pl in enumerate(starts)
            ]
            best = min([best, *results], key=lambda pl: pl.objective)
        else:
            budget = min(deadline, time.perf_counter() + max(0.5, 0.25 * time_limit_s))
            best = iterated_local_search(c, best, seed=seed, deadline=budget, max_rounds=10, pinned=pinned)
    return best


def solve_greedy(instance: PlanInstance) -> Solution:
    """The spreadsheet baseline: highest priority first, to the first free eligible team."""
    c = compile_instance(instance)
    return to_solution(c, construct(c, c.weight, choose="first_free"), note="greedy baseline")


def solve_wspt(instance: PlanInstance) -> Solution:
    """The strong spreadsheet dispatcher: weighted shortest processing time first (priority ÷
    duration at the mean rate of the teams that may do it), each task to the eligible team
    that finishes it first, travel included. The baseline a careful planner would compute."""
    c = compile_instance(instance)
    p = np.maximum(expected_duration(c), 1e-9)
    return to_solution(c, construct(c, c.weight / p, choose="ect"), note="WSPT dispatcher")


# ---------------------------------------------------------------- re-planning


@dataclass(frozen=True)
class Replan:
    """A new plan, and how much it differs from what teams are doing and were told."""

    solution: Solution
    kept_current: bool
    gain: float  # relative objective gain of moving teams, vs keeping them
    threshold: float
    changed_assignments: int  # tasks whose team differs from the previous plan (or the current tasks)
    teams_moved: tuple[str, ...]  # teams taken off their current task


def replan(
    instance: PlanInstance,
    current: Mapping[str, str],
    *,
    previous: Solution | None = None,
    threshold: float = 0.05,
    seed: int = 0,
    time_limit_s: float = 20.0,
) -> Replan:
    """Re-plan after progress: keep each team on its current task unless moving gains > ``threshold``.

    ``instance`` holds the remaining work (areas reduced by progress; a team's ``base`` is
    where it is now); ``current`` maps team id → the task it is on. The gain is the relative
    drop of the objective when teams are free to move; below the threshold, stability wins.
    """
    if threshold < 0 or not math.isfinite(threshold):
        raise ValidationError(
            [Problem("threshold must be a fraction ≥ 0", record="replan", field="threshold", found=repr(threshold))],
            "re-planning refused",
        )
    c = compile_instance(instance)
    pins = _pin_index(c, current)
    half = time_limit_s / 2
    stable = to_solution(c, solve_compiled(c, seed=seed, time_limit_s=half, pinned=pins))
    free = to_solution(c, solve_compiled(c, seed=seed, time_limit_s=half))
    gain = (stable.objective - free.objective) / stable.objective if stable.objective > 0 else 0.0
    chosen = free if gain > threshold else stable
    new_team = {a.task: a.team for a in chosen.assignments}
    first: dict[str, Assignment] = {}
    for a in chosen.assignments:
        if a.team not in first or a.start_day < first[a.team].start_day:
            first[a.team] = a
    moved = tuple(sorted(t for t, task in current.items() if first.get(t) is None or first[t].task != task))
    if previous is not None:
        old = {a.task: a.team for a in previous.assignments}
        changed = sum(1 for task, team in old.items() if task in c.instance.task_index() and new_team.get(task) != team)
    else:
        changed = len(moved)
    return Replan(chosen, chosen is stable, gain, threshold, changed, moved)
