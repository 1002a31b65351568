#!/usr/bin/env python3
"""Independent check of the model comparison of a multi-model run (src/metrics/comparison.rs, delong.rs,
mcnemar.rs): metrics.json's `comparison` block against numpy / scipy / scikit-learn on the run's scores.csv.

- each model's AUC against sklearn's roc_auc_score (bona fide = positive class), to 1e-12, and its DeLong 95%
  interval from the m x n comparison matrix, to 1e-9;
- DeLong's test, recomputed from its definition with the m x n comparison matrix (no midranks): both AUCs,
  both variances, the covariance, z and the two-sided p-value (scipy.stats.norm), to 1e-9;
- McNemar per class at each model's threshold (bona fide iff score >= t): the discordant counts exactly and
  the exact p-value against scipy.stats.binomtest, to 1e-9;
- each model's row: BPCER and worst-species APCER counts at its threshold, exactly;
- the paired bootstrap of each pair (src/metrics/paired.rs) replayed: the same SplitMix64 stream and
  multiply-high draw of subjects (numbered in order of appearance; presentations without a subject column
  are their own clusters), each resample as sample weights, the AUC difference by sklearn's weighted
  roc_auc_score, BPCER and worst-species APCER differences by weighted counts, and numpy's linear quantiles
  of the differences: median and 95% interval to 1e-9, and the count of defined resamples exactly. (The
  EER difference follows the tool's interpolation convention and is not replayed here.)

  .venv-ref/bin/python scripts/oracle-comparison.py RUN [SCORES]
RUN: a folder of `eval --model a,b,...` (its scores.csv), or of `eval --scores SCORES` on a multi-model file.
Only for runs without --group-by / --segment-by buckets / --where (it reads scores.csv whole).
"""
import json
import re
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


class SplitMix64:
    """src/metrics/bootstrap.rs's generator, bit for bit."""

    MASK = (1 << 64) - 1

    def __init__(self, seed):
        self.state = seed & self.MASK

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
        return z ^ (z >> 31)

    def below(self, n):
        return (self.next_u64() * n) >> 64


def weighted_figures(s, live, species, w, t):
    """(AUC, BPCER, APCER_max) of scores `s` with sample weights `w` (None where undefined)."""
    wl, wa = w[live].sum(), w[~live].sum()
    auc = roc_auc_score(live.astype(int), s, sample_weight=w) if wl > 0 and wa > 0 else None
    bpcer = w[live & (s < t)].sum() / wl if wl > 0 else None
    rates = [w[~live & (species == sp) & (s >= t)].sum() / w[~live & (species == sp)].sum()
             for sp in np.unique(species[~live]) if w[~live & (species == sp)].sum() > 0]
    return auc, bpcer, max(rates) if rates else None


def replay_bootstrap(pair, method, sa, sb, live, species, subjects, ta, tb):
    found = re.search(r"\((\d+) resamples, seed (\d+)\)", method)
    resamples, seed = int(found.group(1)), int(found.group(2))
    codes = pd.factorize(subjects)[0] if subjects is not None else np.arange(len(sa))
    count = int(codes.max()) + 1
    rng = SplitMix64(seed)
    diffs = {"auc": [], "bpcer": [], "apcer_max": []}
    for _ in range(resamples):
        draws = np.zeros(count)
        for _ in range(count):
            draws[rng.below(count)] += 1
        w = draws[codes]
        fa = weighted_figures(sa, live, species, w, ta)
        fb = weighted_figures(sb, live, species, w, tb)
        for key, x, y in zip(diffs, fa, fb):
            if x is not None and y is not None:
                diffs[key].append(x - y)
    boot = pair["bootstrap"]
    check("bootstrap unit", float(boot["unit"] == ("subject" if subjects is not None else "presentation")), 1.0, 0)
    for key, d in diffs.items():
        got = boot[key]
        if got is None:
            check(f"bootstrap {key}: undefined in every resample", len(d), 0, 0)
            continue
        check(f"bootstrap {key} difference: median and 95% interval", [got["median"], got["lower"], got["upper"]],
              np.quantile(d, [0.5, 0.025, 0.975]), 1e-9)
        check(f"bootstrap {key}: defined resamples", got["resamples"], len(d), 0)


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
        subjects = df.loc[both, "subject"].to_numpy() if "subject" in df.columns else None
        replay_bootstrap(p, c["method"], sa[both].to_numpy(), sb[both].to_numpy(), live[both].to_numpy(),
                         df.loc[both, "attack_type"].to_numpy(), subjects, thresholds[a], thresholds[b])
    print("all checks passed" if failures == 0 else f"{failures} checks FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
