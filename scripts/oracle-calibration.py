#!/usr/bin/env python3
"""Independent check of the calibration fits and fit-quality measures (src/metrics/calibration/).

Runs `examples/calibration_fit` on score sets and compares with scikit-learn and brute force:
- isotonic predictions vs sklearn.isotonic.IsotonicRegression(out_of_bounds="clip"), to 1e-9;
- Platt vs scipy's BFGS on Platt's objective, polished by Newton steps in numpy (to 1e-9), and vs sklearn's
  own `_sigmoid_calibration` (to 1e-9 too, though its L-BFGS stops at gtol 1e-6: seen 2e-10 to 9e-10);
- Cllr, Brier, ECE recomputed with numpy; min-Cllr vs a brute force over every monotone block partition
  (small sets) and vs sklearn's isotonic posteriors (large sets), to 1e-9.

  .venv-ref/bin/python scripts/oracle-calibration.py [SCORES_CSV [COLUMN]]
SCORES_CSV is a liveness scores.csv (label live = bona fide); without it, synthetic sets only.
"""
import csv, itertools, json, math, subprocess, sys
import numpy as np
from scipy.optimize import minimize
from sklearn.isotonic import IsotonicRegression
from sklearn.calibration import _sigmoid_calibration

BIN = ["cargo", "run", "--release", "--quiet", "--example", "calibration_fit"]
EPS = 1e-12
failures = []

def check(what, got, want, tol=1e-9):
    got, want = np.asarray(got, float), np.asarray(want, float)
    same_inf = np.isinf(got) & np.isinf(want) & (np.sign(got) == np.sign(want))
    diff = np.where(same_inf, 0.0, np.abs(got - want))
    worst = float(np.max(diff)) if diff.size else 0.0
    ok = worst <= tol
    print(f"  {'ok  ' if ok else 'FAIL'} {what}: max |diff| {worst:.2e}")
    if not ok:
        failures.append(what)

def logit(p):
    with np.errstate(divide="ignore"):
        return np.log(p / (1 - p))

def softplus(x):
    return np.where(np.isposinf(x), np.inf, np.logaddexp(0, np.where(np.isposinf(x), 0, x)))

def cllr(llr, y):
    return (np.mean(softplus(-llr[y == 1])) + np.mean(softplus(llr[y == 0]))) / (2 * math.log(2))

def ece(p, y, bins=10):
    idx = np.minimum(np.floor(p * bins).astype(int), bins - 1)
    return sum(np.sum(idx == b) / len(p) * abs(y[idx == b].mean() - p[idx == b].mean()) for b in range(bins) if np.any(idx == b))

def platt_tight(s, y):
    f = logit(np.clip(s, EPS, 1 - EPS))
    n1, n0 = y.sum(), len(y) - y.sum()
    t = np.where(y == 1, (n1 + 1) / (n1 + 2), 1 / (n0 + 2))
    def obj(ab):
        z = ab[0] * f + ab[1]
        p = 1 / (1 + np.exp(z))
        return np.sum(t * np.logaddexp(0, z) + (1 - t) * np.logaddexp(0, -z)), np.array([np.sum((t - p) * f), np.sum(t - p)])
    r = minimize(obj, [0.0, math.log((n0 + 1) / (n1 + 1))], jac=True, method="BFGS", options={"gtol": 1e-13, "maxiter": 10000})
    ab = r.x
    # BFGS stalls near 1e-9 on large sets; polish with plain Newton steps (numpy's own solve) to the optimum.
    for _ in range(20):
        p = 1 / (1 + np.exp(ab[0] * f + ab[1]))
        h = p * (1 - p)
        hess = np.array([[np.sum(h * f * f), np.sum(h * f)], [np.sum(h * f), np.sum(h)]])
        ab = ab - np.linalg.solve(hess, obj(ab)[1])
    return ab, f

def min_cllr_brute(s, y):
    xs = sorted(set(s))
    groups = [(int(np.sum(y[s == x])), int(np.sum(s == x))) for x in xs]
    nb, na = y.sum(), len(y) - y.sum()
    off = math.log(nb / na)
    best = math.inf
    for cuts in itertools.product([0, 1], repeat=len(groups) - 1):
        blocks, start = [], 0
        for i, c in enumerate(list(cuts) + [1]):
            if c:
                blocks.append(groups[start:i + 1]); start = i + 1
        llrs, total = [], 0.0
        for blk in blocks:
            b, n = sum(g[0] for g in blk), sum(g[1] for g in blk)
            a = n - b
            l = (math.inf if a == 0 else -math.inf if b == 0 else math.log(b / a)) - off
            llrs.append(l)
            total += (b * (0 if l == math.inf else math.log1p(math.exp(-l)) if l > -math.inf else math.inf) / nb if b else 0) \
                   + (a * (0 if l == -math.inf else math.log1p(math.exp(l)) if l < math.inf else math.inf) / na if a else 0)
        if all(u <= v for u, v in zip(llrs, llrs[1:])):
            best = min(best, total / (2 * math.log(2)))
    return best

def run(name, s, y):
    print(f"{name}: {len(s)} scores ({int(y.sum())} bona fide)")
    rows = "\n".join(f"{float(a)!r},{int(b)}" for a, b in zip(s, y))
    out = json.loads(subprocess.run(BIN, input=rows, capture_output=True, text=True, check=True).stdout)
    grid = np.arange(101) / 100
    iso = IsotonicRegression(out_of_bounds="clip").fit(s, y)
    check("isotonic at the scores vs sklearn", out["isotonic"]["at_scores"], iso.predict(s))
    check("isotonic at a grid vs sklearn", out["isotonic"]["at_grid"], iso.predict(grid))
    (a, b), f = platt_tight(s, y)
    check("Platt a, b vs tight scipy", [out["platt"]["a"], out["platt"]["b"]], [a, b], 1e-7)
    check("Platt predictions vs tight scipy", out["platt"]["at_scores"], 1 / (1 + np.exp(a * f + b)))
    sa, sb = _sigmoid_calibration(f, y)
    sk = 1 / (1 + np.exp(sa * f + sb))
    check("Platt predictions vs sklearn's _sigmoid_calibration (its L-BFGS stops at gtol 1e-6)", out["platt"]["at_scores"], sk)
    share = y.mean()
    for key, p, prior in (("raw", s, 0.5), ("platt_quality", np.array(out["platt"]["at_scores"]), share),
                          ("isotonic_quality", iso.predict(s), share)):
        q = out[key]
        check(f"{key}: Cllr", q["cllr"] if q["cllr"] is not None else math.inf, cllr(logit(p) - logit(prior), y))
        check(f"{key}: Brier", q["brier"], np.mean((p - y) ** 2))
        check(f"{key}: ECE (10 bins)", q["ece"], ece(p, y))
    # min-Cllr: brute force on small sets; on large ones, Cllr of sklearn's isotonic posteriors (PAV's optimum).
    want = min_cllr_brute(s, y) if len(set(s)) <= 14 else cllr(logit(iso.predict(s)) - logit(share), y)
    check("min-Cllr", out["raw"]["min_cllr"], want)
    for key in ("platt_quality", "isotonic_quality"):
        check(f"min-Cllr unchanged by the monotone {key.split('_')[0]} map", out[key]["min_cllr"], want)

rng = np.random.default_rng(7)
small = rng.integers(0, 9, 12) / 8.0
run("small with ties", small, (rng.random(12) < 0.3 + 0.5 * small).astype(int))
s = rng.beta(2, 2, 3000)
run("synthetic 3000", s, (rng.random(3000) < s).astype(int))
if len(sys.argv) > 1:
    col = sys.argv[2] if len(sys.argv) > 2 else "score"
    with open(sys.argv[1]) as fh:
        rows = [r for r in csv.DictReader(fh) if r.get(col)]
    run(f"{sys.argv[1]} column {col}", np.array([float(r[col]) for r in rows]), np.array([int(r["label"] == "live") for r in rows]))
print("all checks passed" if not failures else f"FAILED: {failures}")
sys.exit(1 if failures else 0)
