"""Do the forecast's bands narrow with evidence, and do they hold on a truth the model did not make?

For each synthetic programme (seeded): a portfolio of hazard areas, a fleet (deminers and one
survey team), and a *truth* drawn from other parameters than the model's defaults:

- the deminers' median rate 30 m²/day × exp(N(0.3, 0.6)) (the prior says 30, spread 0.7);
  the survey team's 3 km²/day prior × exp(N(−0.4, 0.5));
- the release split: cancelled U(0.15, 0.55), reduced U(0.05, 0.35) of the area (the model's
  default is the 2022 global split, 32 % / 24 %);
- the probability that an area holds EO: SHA 0.08, CHA 0.65 (the model: 0.04, 0.5).

The truth is one run of the forecast engine with those parameters (so the structure — queues,
NTS then TS then clearance — is the model's own; the parameters are not). Then:

(a) priors only: the two-year release forecast from the start with the published priors and
    the release model calibrated to the 2022 global split;
(b) after one year: the truth's year-one release is recorded; the release split is learned
    from it (:func:`~landrelease.planning.release_model.learn_split`, every area released in
    year one one observation) and the rates from 220 daily reports per asset type
    (:func:`~landrelease.model.productivity.posterior_log_rate`, observation spread 0.5);
    year two is forecast on the areas still open (an SHA surveyed in year one and still open
    recorded as CHA; the part of an unfinished area released in year one taken off it), with
    the release split drawn per run from its Dirichlet posterior
    (:func:`~landrelease.planning.release_model.posterior_mixes`, as the forecast service does), and the
    two-year release is the recorded year one plus that forecast.

Measured (200 programmes, ``python benchmarks/backtest_bench.py``): sharpness_prior=2.13,
sharpness_after_1y=1.06, coverage_prior=0.665, coverage=0.780 — inside the 75–90 % goal, and
sharp. How it got there, each step a correction of the benchmark's bookkeeping, none a
tuning to the truth: one split for all runs 0.620; the split drawn from its posterior 0.695;
counting a truth equal to P90 to float32 rounding as inside (the whole portfolio released
in both) 0.750; recording year one's release from unfinished areas as a register does
(the open remainder kept, confirmed) 0.780. Every miss left lies above the band (the truth
releases more): the model keeps its own probabilities of EO (0.04/0.5 against the
truth's 0.08/0.65), and the year's release by method is attributed to areas by kind.

With CHA cancellation on (``cha_cancel_ratio`` 0.25, off by default since; a quarter of a clean SHA's
chance, :data:`~landrelease.planning.release_model.CHA_CANCEL_RATIO`) and the split be drawn per
run from its posterior (200 programmes): sharpness_prior=2.15, sharpness_after_1y=1.24,
coverage_prior=0.675, coverage=0.545 — below the goal again (the per-run split draw alone
gives 0.780 / 1.06, as before). Not yet resolved. The misses changed side: on 60 programmes
43 % of truths lie *below* the band and 2 % above (before: 0 % below, 28 % above), so year two
now releases less than forecast. The likely cause: the split learned from year one (mostly
SHAs cancelled) is calibrated over the open areas, and the CHAs now share the cancellation —
among them the SHAs that NTS surveyed in year one and left open (recorded as CHA), which the
truth never cancels again. It is off by default for that reason (0.780 / 1.06 again).
A register knows which areas NTS has already surveyed (completed
NTS activities): excluding those from cancellation is the next step. (Making a CHA's re-survey
wait or not for its TS, and counting CHAs in this benchmark's year-one survey queue, change
nothing: 0.567 on 60 programmes.)

The contamination model's discrimination on a truth it did not make (:func:`auc_other_truth`,
600 areas of which 102 hold EO): auc_other_truth=0.795, against 0.93 on the sample
generator's truth, which shares the model's base rates. ``auc_real=nan``: the one real data
set at hand (Bosnia and Herzegovina, cleared areas from the EUFOR minefield maps) holds no
finds and no cancelled areas, so released-with-finds against cancelled cannot be scored.

Prints ``sharpness_prior=`` and ``sharpness_after_1y=`` (median P90/P10 of the two-year release),
``coverage_prior=`` and ``coverage=`` (share of truths inside P10–P90 in (a) and (b)), and the
contamination model's discrimination (``auc_other_truth=``, see :func:`auc_other_truth`).
``--smoke``: few programmes (a test runs it).
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import replace

import numpy as np

from landrelease.domain.enums import AssetType, HazardKind, ReleaseMethod
from landrelease.model.productivity import OBSERVATION_SIGMA, PRIORS, posterior_log_rate
from landrelease.planning.forecast import AssetCapacity, Capacity, Portfolio, forecast
from landrelease.planning.release_model import SPLIT_DRAWS, RecordedRelease, calibrate_mix, learn_split, posterior_mixes

RUNS = 200
AREAS = 60
WORKING_DAYS = 220.0
REPORTS_PER_YEAR = 220
TRUE_P = (0.08, 0.65)  # SHA, CHA: the truth's probability of EO (the model's default: 0.04, 0.5)


def _portfolio(rng: np.random.Generator, p_sha: float, p_cha: float) -> Portfolio:
    area = rng.lognormal(math.log(60_000.0), 1.0, AREAS)
    sha = rng.random(AREAS) < rng.uniform(0.5, 0.9)
    p = np.where(sha, p_sha, p_cha)
    return Portfolio.from_arrays(area, sha=sha, p_any=p, codes=[f"A{i:03d}" for i in range(AREAS)])


def _with_p(portfolio: Portfolio, p_any: np.ndarray) -> Portfolio:
    return replace(portfolio, p_any=np.asarray(p_any, float))


def _two_year_km2(result_cum: np.ndarray) -> np.ndarray:
    return result_cum[:, 23] / 1e6


def one_programme(i: int) -> dict[str, float]:
    rng = np.random.default_rng(10_000 + i)
    truth_pf = _portfolio(rng, *TRUE_P)
    deminers = float(rng.integers(20, 80))
    man_prior, sur_prior = PRIORS[AssetType.MANUAL], PRIORS[AssetType.DRONE_SURVEY]
    true_man = man_prior.median_m2_per_day * math.exp(rng.normal(0.3, 0.6))
    true_sur = sur_prior.median_m2_per_day * math.exp(rng.normal(-0.4, 0.5))
    target = {ReleaseMethod.CANCELLED: rng.uniform(0.15, 0.55), ReleaseMethod.REDUCED: rng.uniform(0.05, 0.35)}
    target[ReleaseMethod.CLEARED] = 1.0 - sum(target.values())
    true_mix = calibrate_mix(truth_pf.area_m2, truth_pf.p_any, truth_pf.sha, truth_pf.dense_site, target)
    true_cap = Capacity(
        {
            AssetType.MANUAL: AssetCapacity.from_rate(AssetType.MANUAL, deminers, rate=true_man, sigma=0.05),
            AssetType.DRONE_SURVEY: AssetCapacity.from_rate(AssetType.DRONE_SURVEY, 1.0, rate=true_sur, sigma=0.05),
        }
    )
    truth = forecast(truth_pf, true_cap, mix=true_mix, horizon_years=2, runs=1, seed=i, name="truth")
    truth_2y = float(truth.cumulative_m2[0, 23]) / 1e6
    year1_m2 = truth.monthly_by_method[0, :12, :].sum(axis=0)  # cancelled, reduced, cleared

    # (a) priors only: the model's p_any, the published rates, the 2022 global split.
    model_pf = Portfolio.from_arrays(truth_pf.area_m2, sha=truth_pf.sha, codes=list(truth_pf.codes))
    prior_cap = Capacity(
        {
            AssetType.MANUAL: AssetCapacity.from_rate(AssetType.MANUAL, deminers),
            AssetType.DRONE_SURVEY: AssetCapacity.from_rate(AssetType.DRONE_SURVEY, 1.0),
        }
    )
    a = forecast(model_pf, prior_cap, horizon_years=2, runs=RUNS, seed=i, name="prior")
    a_2y = _two_year_km2(a.cumulative_m2)

    # (b) one year recorded: areas released in year one, their split by kind, and daily reports.
    # The engine does not say which area was released by which method, so the year's m² by
    # method are attributed by kind: cancellation to the SHAs released, the rest to SHAs (what
    # was not cancelled) and CHAs, reduced and cleared in the year's proportion. An SHA that
    # NTS surveyed in year one (the first true_sur × 220 m² of SHA in dispatch order) and that
    # is still open is recorded as a CHA, as a register does when NTS finds evidence.
    done_month = dict(zip(truth.codes, truth.area_month_q[:, 1], strict=True))
    released = np.array([done_month[c] < 12 for c in model_pf.codes])
    order = {c: k for k, c in enumerate(truth.codes)}
    rank = np.array([order[c] for c in model_pf.codes])
    sha_area_in_order = np.zeros(AREAS)
    # the NTS queue's areas: the SHAs and the CHAs the release model may cancel (re-surveyed)
    sha_area_in_order[rank] = np.where(true_mix.surveyed(model_pf.sha), model_pf.area_m2, 0.0)
    surveyed_in_order = np.cumsum(sha_area_in_order) <= true_sur * WORKING_DAYS
    surveyed = surveyed_in_order[rank] & model_pf.sha
    cancelled, reduced, cleared = (float(v) for v in year1_m2)
    a_sha = float(model_pf.area_m2[released & model_pf.sha].sum())
    a_cha = float(model_pf.area_m2[released & ~model_pf.sha].sum())
    work_sha, work_cha = max(a_sha - cancelled, 0.0), a_cha
    rc = reduced + cleared
    red_share = reduced / rc if rc > 0 else 0.0
    records = []
    for kind, mask, canc, work in (
        (HazardKind.SHA, released & model_pf.sha, cancelled, work_sha),
        (HazardKind.CHA, released & ~model_pf.sha, 0.0, work_cha),
    ):
        k = int(mask.sum())
        if k:
            tot_work = work_sha + work_cha
            w = rc * work / tot_work if tot_work > 0 else 0.0
            m2 = {
                ReleaseMethod.CANCELLED: canc / k,
                ReleaseMethod.REDUCED: w * red_share / k,
                ReleaseMethod.CLEARED: w * (1 - red_share) / k,
            }
            records += [RecordedRelease("all", kind, m2)] * k
    learned = learn_split(records)
    rates = {}
    for asset, prior, true_rate in (
        (AssetType.MANUAL, man_prior, true_man),
        (AssetType.DRONE_SURVEY, sur_prior, true_sur),
    ):
        logs = math.log(true_rate) + OBSERVATION_SIGMA * rng.standard_normal(REPORTS_PER_YEAR)
        mu, sd = posterior_log_rate(math.log(prior.median_m2_per_day), prior.sigma, logs)
        rates[asset] = (math.exp(mu), sd)
    cap_b = Capacity(
        {
            AssetType.MANUAL: AssetCapacity.from_rate(AssetType.MANUAL, deminers, *rates[AssetType.MANUAL]),
            AssetType.DRONE_SURVEY: AssetCapacity.from_rate(
                AssetType.DRONE_SURVEY, 1.0, *rates[AssetType.DRONE_SURVEY]
            ),
        }
    )
    open_idx = np.flatnonzero(~released)
    recorded_km2 = float(year1_m2.sum()) / 1e6
    # Land released in year one from areas not finished (TS released the reduced part) is
    # recorded as a register does: the area keeps its open remainder, now confirmed (CHA). The
    # engine does not say which areas were in progress: the first open ones in its dispatch order.
    rest_m2 = model_pf.area_m2.copy()
    still_sha = model_pf.sha & ~surveyed
    partial = max(float(year1_m2.sum()) - float(model_pf.area_m2[released].sum()), 0.0)
    for j in sorted(open_idx, key=lambda j: rank[j]):
        if partial <= 0:
            break
        cut = min(partial, rest_m2[j] * 0.999)
        rest_m2[j] -= cut
        partial -= cut
        still_sha[j] = False
    if len(open_idx):
        rest = Portfolio.from_arrays(
            rest_m2[open_idx], sha=still_sha[open_idx], codes=[model_pf.codes[j] for j in open_idx]
        )
        # the split drawn per run from its posterior, as the forecast service does (one account)
        regions = ["all"] * len(rest)
        draws = posterior_mixes(learned, SPLIT_DRAWS, rng, rest.area_m2, regions, rest.p_any, rest.sha, rest.dense_site)
        mix_b = calibrate_mix(
            rest.area_m2, rest.p_any, rest.sha, rest.dense_site, learned.target(rest.area_m2, regions, rest.sha)
        )
        b = forecast(rest, cap_b, mix=mix_b, mix_draws=draws, horizon_years=1, runs=RUNS, seed=i * 100)
        b_2y = recorded_km2 + b.cumulative_m2[:, 11] / 1e6
    else:
        b_2y = np.full(RUNS, recorded_km2)
    qa = np.quantile(a_2y, (0.1, 0.9))
    qb = np.quantile(b_2y, (0.1, 0.9))
    return {
        "truth": truth_2y,
        "sharp_a": qa[1] / qa[0] if qa[0] > 0 else math.inf,
        "sharp_b": qb[1] / qb[0] if qb[0] > 0 else math.inf,
        "in_a": float(_inside(truth_2y, qa)),
        "in_b": float(_inside(truth_2y, qb)),
    }


def _inside(truth: float, band: np.ndarray) -> bool:
    """Inside P10–P90, to float32 rounding (the engine keeps its queues in float32: a truth that
    releases the whole portfolio equals a P90 that does, up to 1e-6 relative)."""
    tol = 1e-6 * max(abs(truth), 1e-12)
    return bool(band[0] - tol <= truth <= band[1] + tol)


def auc(score: np.ndarray, label: np.ndarray) -> float:
    """Area under the ROC curve (Mann–Whitney), ties counted half."""
    pos, neg = score[label], score[~label]
    if not len(pos) or not len(neg):
        return math.nan
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order))
    allv = np.concatenate([pos, neg])[order]
    # average ranks for ties
    _, inv, counts = np.unique(allv, return_inverse=True, return_counts=True)
    cum = np.cumsum(counts)
    avg = cum - (counts - 1) / 2.0
    ranks[order] = avg[inv]
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


OTHER_BASE_RATE = {HazardKind.SHA: 0.12, HazardKind.CHA: 0.45}
"""The truth's share of areas holding EO for auc_other_truth (the model's priors: 0.04, 0.5;
the sample generator's truth: 0.04, 0.7)."""


def auc_other_truth(n_areas: int, seed: int = 7) -> tuple[float, int]:
    """The contamination model's AUC (p_any ranking areas that hold EO above clean ones) on a
    truth drawn with other base rates and other evidence kernels than the model's and the
    sample generator's: the areas' shapes come from the sample generator, then

    - an area holds EO with probability 0.12 (SHA) or 0.45 (CHA) (model: 0.04 / 0.5);
    - a minefield record (on every CHA and 25 % of SHAs when the area holds EO, on 35 % of
      those when it does not: a field never laid or lifted since) is displaced 200–800 m
      (generator: 50–400) and drawn as a ring round the area's centre, not its shape;
    - interviews (40 % of areas) are positive for 85 % of mined areas and 30 % of clean ones
      (generator: all mined, 20 % clean); accidents on 10 % of mined areas, scattered with a
      150 m spread around a point inside (generator: inside); drone detections on 15 %, with
      confidence 0.4–0.9 whatever the truth on clutter-high ground.
    Returns (AUC, areas with EO)."""
    from shapely.affinity import translate

    from landrelease.domain.enums import EvidenceKind, Level
    from landrelease.domain.evidence import Evidence
    from landrelease.model.contamination import assess
    from landrelease.samples.scenario import generate

    sc = generate(n_areas=n_areas, seed=seed)
    rng = np.random.default_rng(seed + 1)
    evidence: list[Evidence] = []
    mined = np.zeros(len(sc.hazard_areas), bool)
    for k, a in enumerate(sc.hazard_areas):
        mined[k] = rng.random() < OTHER_BASE_RATE[a.kind]
        g = a.geometry
        lat = g.centroid.y
        m_deg = (1.0 / (111_320.0 * math.cos(math.radians(lat))), 1.0 / 110_540.0)
        minx, miny, maxx, maxy = g.bounds

        def inside(_g=g, _b=(minx, miny, maxx, maxy)):  # type: ignore[no-untyped-def]
            from shapely.geometry import Point

            for _ in range(200):
                p = Point(rng.uniform(_b[0], _b[2]), rng.uniform(_b[1], _b[3]))
                if _g.contains(p):
                    return p
            return _g.representative_point()

        def add(kind: EvidenceKind, where, _code: str = a.code, **f) -> None:  # type: ignore[no-untyped-def]
            evidence.append(Evidence(kind, where, _code, code=f"EV-{len(evidence) + 1:07d}", **f))

        if (a.kind is HazardKind.CHA or rng.random() < 0.25) and (mined[k] or rng.random() < 0.35):
            d, ang = rng.uniform(200, 800), rng.uniform(0, 2 * math.pi)
            c = translate(g.centroid, math.cos(ang) * d * m_deg[0], math.sin(ang) * d * m_deg[1])
            ring = c.buffer(150 * m_deg[1]).difference(c.buffer(60 * m_deg[1]))
            add(EvidenceKind.MINEFIELD_RECORD, ring, reliability=0.2, source="record")
        if mined[k] and rng.random() < 0.10:
            p = inside()
            add(
                EvidenceKind.ACCIDENT,
                translate(p, rng.normal(0, 150) * m_deg[0], rng.normal(0, 150) * m_deg[1]),
                reliability=0.95,
            )
        if rng.random() < 0.4:
            add(
                EvidenceKind.INTERVIEW,
                inside(),
                reliability=0.3,
                positive=bool(rng.random() < (0.85 if mined[k] else 0.3)),
            )
        if rng.random() < 0.15:
            high = a.clutter is Level.HIGH
            conf = rng.uniform(0.4, 0.9) if high else (rng.uniform(0.6, 0.95) if mined[k] else rng.uniform(0.3, 0.6))
            add(EvidenceKind.DRONE_DETECTION, inside(), confidence=float(conf))
    results = assess(sc.hazard_areas, evidence)
    p_any = np.array([r.p_any for r in results])
    return auc(p_any, mined), int(mined.sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="few programmes (for the test suite)")
    ap.add_argument("--programmes", type=int, default=200)
    args = ap.parse_args()
    n = 8 if args.smoke else args.programmes
    t0 = time.perf_counter()
    rows = [one_programme(i) for i in range(n)]
    sa = np.array([r["sharp_a"] for r in rows])
    sb = np.array([r["sharp_b"] for r in rows])
    print(f"programmes={n}")
    print(f"sharpness_prior={float(np.median(sa)):.2f}")
    print(f"sharpness_after_1y={float(np.median(sb)):.2f}")
    print(f"coverage_prior={float(np.mean([r['in_a'] for r in rows])):.3f}")
    print(f"coverage={float(np.mean([r['in_b'] for r in rows])):.3f}")
    print(f"seconds={time.perf_counter() - t0:.1f}")
    value, n_mined = auc_other_truth(60 if args.smoke else 600)
    print(f"auc_other_truth={value:.3f}")
    print(f"auc_other_truth_areas_with_eo={n_mined}")
    # No real case: the one real data set (BiH, ../shared/data/bih) holds cleared areas only,
    # with no finds and no cancelled areas, so released-with-finds against cancelled cannot be
    # scored on it.
    print("auc_real=nan")


if __name__ == "__main__":
    main()
