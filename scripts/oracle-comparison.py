#!/usr/bin/env python3
"""Independent check of the model comparison of a multi-model run (src/metrics/comparison.rs, delong.rs,
mcnemar.rs): metrics.json's `comparison` block against numpy / scipy / scikit-learn on the run's scores.csv.

- each model's AUC against sklearn's roc_auc_score (bona fide = positive class), to 1e-12, and its DeLong 95%
  interval from the m x n comparison matrix, to 1e-9;
- DeLong's test, recomputed from its definition with the m x n comparison matrix (no midranks): both AUCs,
  both variances, the covariance, z and the two-sided p-value (scipy.stats.norm), to 1e-9;
- McNemar per class at each model's threshold (bona fide iff score >= t): the discordant counts exactly and
  the exact p-value against scipy.stats.binomtest, to 1e-9;
- each model's row: BPCER and worst-species APCER counts at its threshold, exactly.

  .venv-ref/bin/python scripts/oracle-comparison.py RUN [SCORES]
RUN: a folder of `eval --model a,b,...` (its scores.csv), or of `eval --scores SCORES` on a multi-model file.
Only for runs without --group-by / --segment-by buckets / --where (it reads scores.csv whole).
"""
import json
import sys

import numpy as np
import pandas as pd
from scipy.stats import binomtest, norm
from sklearn.metrics import roc_auc_score

failures = 0


def check(name, got, want, tol):
    global failures
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    diff = float(np.max(np.abs(got - want))) if got.size else 0.0
    ok = diff <= tol if tol else bool(np.array_equal(got, want))
    failures += not ok
    print(f"  {'ok  ' if ok else 'FAIL'} {name}: max |diff| {diff:.2e} (tolerance {tol or 'exact'})")


def column(model, primary):
    return "score" if model == primary else f"{model}_score"


def main(run, scores=None):
    doc = json.load(open(f"{run}/metrics.json"))
    c = doc["comparison"]
    primary = doc["run"]["model"]
    df = pd.read_csv(scores or f"{run}/scores.csv", dtype={"subject": str}, keep_default_na=False, na_values=[""])
    live = df["label"] == "live"
    thresholds = {m["model"]: m["threshold"] for m in c["models"]}
    for m in c["models"]:
        name = m["model"]
        s = df[column(name, primary)]
        scored = s.notna()
        y = live[scored].astype(int)
        print(f"{name}:")
        check("AUC vs sklearn roc_auc_score", m["auc"], roc_auc_score(y, s[scored]), 1e-12)
        # DeLong's variance of this one AUC from the m x n comparison matrix: the row's 95% interval.
        xs, ys = s[live & scored].to_numpy(), s[~live & scored].to_numpy()
        psi1 = (xs[:, None] > ys[None, :]) + 0.5 * (xs[:, None] == ys[None, :])
        var1 = np.var(psi1.mean(axis=1), ddof=1) / len(xs) + np.var(psi1.mean(axis=0), ddof=1) / len(ys)
        half = norm.ppf(0.975) * np.sqrt(var1)
        a1 = psi1.mean()
        check("AUC 95% interval (single-AUC DeLong)", m["auc_ci95"], [max(a1 - half, 0.0), min(a1 + half, 1.0)], 1e-9)
        t = m["threshold"]
        bona = s[live & scored]
        check("BPCER count", [m["bpcer"]["k"], m["bpcer"]["n"]], [(bona < t).sum(), len(bona)], 0)
        per_species = [
            ((g >= t).sum() / len(g), int((g >= t).sum()), len(g))
            for _, g in s[~live & scored].groupby(df.loc[~live & scored, "attack_type"])
        ]
        top = max(r[0] for r in per_species)
        got = (m["apcer_max"]["k"], m["apcer_max"]["n"])
        # Ties (all species at 0%, say): any species attaining the maximum is the worst.
        check("APCER_max value", m["apcer_max"]["value"], top, 0)
        check("APCER_max count is a species attaining it", float(got in [r[1:] for r in per_species if r[0] == top]), 1.0, 0)
    for p in c["pairs"]:
        a, b = p["a"], p["b"]
        sa, sb = df[column(a, primary)], df[column(b, primary)]
        both = sa.notna() & sb.notna()
        print(f"{a} vs {b} ({both.sum()} presentations both scored):")
        x = np.stack([sa[both & live].to_numpy(), sb[both & live].to_numpy()])
        yv = np.stack([sa[both & ~live].to_numpy(), sb[both & ~live].to_numpy()])
        m_, n_ = x.shape[1], yv.shape[1]
        # psi[r, i, j] = 1 if live i beats attack j for scorer r, 1/2 on ties.
        psi = (x[:, :, None] > yv[:, None, :]) + 0.5 * (x[:, :, None] == yv[:, None, :])
        v10, v01 = psi.mean(axis=2), psi.mean(axis=1)
        auc = v10.mean(axis=1)
        s10, s01 = np.cov(v10), np.cov(v01)
        cov = s10 / m_ + s01 / n_
        var = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
        z = (auc[0] - auc[1]) / np.sqrt(var)
        d = p["delong"]
        check("DeLong AUCs", [d["auc_a"], d["auc_b"]], auc, 1e-12)
        check("DeLong variances and covariance", [d["var_a"], d["var_b"], d["covariance"]],
              [cov[0, 0], cov[1, 1], cov[0, 1]], 1e-12)
        check("DeLong z", d["z"], z, 1e-9 * max(1.0, abs(z)))
        check("DeLong p (relative)", d["p_value"] / (2 * norm.sf(abs(z))), 1.0, 1e-9)
        for dec in p["decisions"]:
            keep = {"bona fide": live, "attack": ~live, "all": live | ~live}[dec["class"]] & both
            wa = (sa[keep] >= thresholds[a]) != live[keep]
            wb = (sb[keep] >= thresholds[b]) != live[keep]
            worse, better = int((wa & ~wb).sum()), int((wb & ~wa).sum())
            check(f"McNemar {dec['class']} counts", [dec["n"], dec["worse"], dec["better"]],
                  [keep.sum(), worse, better], 0)
            want = binomtest(min(worse, better), worse + better, 0.5).pvalue if worse + better else 1.0
            check(f"McNemar {dec['class']} p vs scipy binomtest", dec["p_value"], want, 1e-9)
    print("all checks passed" if failures == 0 else f"{failures} checks FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
