#!/usr/bin/env python3
"""Independent check of the `bob`, `resolution` and `legacy` blocks of metrics.json (docs/metrics.md,
"bob, pyeer and resolution"), with numpy and scikit-learn, from the published definitions:

- eer_rocch: BOSARIS/bob.measure's ROCCH by the pool-adjacent-violators algorithm (`rocch`), then
  `rocch2eer` (solving each hull segment's line against the diagonal with numpy.linalg.solve);
- pyeer's EER interval (FVC2000: t1 = max{t: FNMR <= FMR}, t2 = min{t: FNMR >= FMR}), d' with numpy's
  std (ddof 0), ZeroFMR / ZeroFNMR, min-HTER, the EPC (alpha = 0, 0.01, ..., 1, thresholds on the same set);
- ACER/HTER at the threshold, and the rule-of-three counts of `resolution`;
- with `eval --folds subject:K`: the folds (sorted subjects round-robin), each fold's rates at its threshold,
  and the mean / std (numpy, ddof 0) over folds;
- the AUC beside them against scikit-learn's roc_auc_score.

Usage:
  oracle-bob.py RUN SCORES          check RUN/metrics.json against the score file it was computed from
  oracle-bob.py --synthetic BINARY  generate score sets (ties, small species), run `BINARY eval --scores`
                                    on each and check them
Every figure must agree to 1e-9 (they are deterministic); exits 1 on the first disagreement.
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

TOL = 1e-9


def load(scores_path, flip=False):
    """(live scores, attack scores, attack species) of the scored rows of a score file."""
    rows = pd.read_csv(scores_path, dtype=str, keep_default_na=False)
    score = pd.to_numeric(rows["score"].where(rows["score"] != ""), errors="coerce")
    ok = score.notna()
    if "face_found" in rows:
        ok &= rows["face_found"] != "0"
    live = rows["label"].str.lower().isin(["live", "bona_fide", "bonafide", "real", "genuine"])
    s = score[ok].to_numpy(float)
    if flip:
        s = 1 - s
    lv = live[ok].to_numpy()
    species = rows["attack_type"][ok].to_numpy()[~lv]
    species = np.where(species == "", "unknown", species)
    return s[lv], s[~lv], species


def candidates(live, attack):
    c = np.unique(np.concatenate([live, attack]))[::-1]
    return np.concatenate([[np.inf], c])


def rates(live, attack, species, t):
    """(apcer_pooled, apcer_max, bpcer) at each threshold of t (bona fide iff score >= t)."""
    t = np.asarray(t)[:, None]
    bpcer = (live[None, :] < t).mean(axis=1)
    pooled = (attack[None, :] >= t).mean(axis=1)
    per = [(attack[species == s][None, :] >= t).mean(axis=1) for s in np.unique(species)]
    return pooled, np.max(per, axis=0), bpcer


def pavx(y):
    """Pool adjacent violators: the non-decreasing fit's values and block widths (BOSARIS pavx)."""
    values, widths = [], []
    for v in y:
        values.append(float(v))
        widths.append(1)
        while len(values) > 1 and values[-2] > values[-1]:
            w = widths[-2] + widths[-1]
            values[-2] = (values[-2] * widths[-2] + values[-1] * widths[-1]) / w
            widths[-2] = w
            values.pop()
            widths.pop()
    return np.array(values), np.array(widths)


def rocch(live, attack):
    """BOSARIS rocch: (pmiss, pfa) of the ROC convex hull. Ties sorted targets first (pessimistic)."""
    nt, nn = len(live), len(attack)
    scores = np.concatenate([live, attack])
    ideal = np.concatenate([np.ones(nt), np.zeros(nn)])
    ideal = ideal[np.argsort(scores, kind="mergesort")]
    _, width = pavx(ideal)
    pmiss, pfa = np.zeros(len(width) + 1), np.zeros(len(width) + 1)
    left, fa, miss = 0, nn, 0
    for i, w in enumerate(width):
        pmiss[i], pfa[i] = miss / nt, fa / nn
        left += w
        miss = ideal[:left].sum()
        fa = nt + nn - left - ideal[left:].sum()
    pmiss[-1], pfa[-1] = miss / nt, fa / nn
    return pmiss, pfa


def rocch2eer(pmiss, pfa):
    eer = 0.0
    for i in range(len(pfa) - 1):
        xy = np.array([[pfa[i], pmiss[i]], [pfa[i + 1], pmiss[i + 1]]])
        dd = np.array([1, -1]) @ xy
        if np.min(np.abs(dd)) == 0 or abs(np.linalg.det(xy)) == 0:
            seg = 0.0
        else:
            seg = 1 / np.linalg.solve(xy, np.ones(2)).sum()
        eer = max(eer, seg)
    return eer


def argmin_highest(cost, t):
    """The lowest cost (within 1e-12) at the highest threshold: (index)."""
    best = cost.min()
    return int(np.flatnonzero(cost <= best + 1e-12)[0])  # t is decreasing: the first is the highest


def needed(p):
    n = int(np.ceil(3 / p))
    while n > 1 and 3 / (n - 1) <= p:
        n -= 1
    while 3 / n > p:
        n += 1
    return n


class Check:
    def __init__(self, name):
        self.name, self.count = name, 0

    def close(self, what, got, want, tol=TOL):
        self.count += 1
        if got is None or want is None or abs(float(got) - float(want)) > tol:
            sys.exit(f"{self.name}: {what}: metrics.json {got} vs oracle {want}")

    def equal(self, what, got, want):
        self.count += 1
        if got != want:
            sys.exit(f"{self.name}: {what}: metrics.json {got!r} vs oracle {want!r}")


def threshold(v):
    return np.inf if v == "+inf" else float(v)


def check(run, scores_path):
    doc = json.load(open(os.path.join(run, "metrics.json")))
    live, attack, species = load(scores_path, bool(doc["run"].get("flip")))
    c = Check(run)
    t = candidates(live, attack)
    pooled, amax, bpcer = rates(live, attack, species, t)
    b = doc["bob"]

    pmiss, pfa = rocch(live, attack)
    c.close("eer_rocch", b["eer_rocch"]["value"], rocch2eer(pmiss, pfa))

    # pyeer / FVC2000: indices in decreasing-threshold order.
    i1 = np.flatnonzero(bpcer <= pooled)[0]  # the highest t with FNMR <= FMR
    i2 = np.flatnonzero(bpcer >= pooled)[-1]  # the lowest t with FNMR >= FMR
    if bpcer[i1] + pooled[i1] <= bpcer[i2] + pooled[i2]:
        low, high, ti = bpcer[i1], pooled[i1], t[i1]
    else:
        low, high, ti = pooled[i2], bpcer[i2], t[i2]
    e = b["eer_interval"]
    c.close("eer_low", e["low"], low)
    c.close("eer_high", e["high"], high)
    c.close("eer (pyeer)", e["value"], (low + high) / 2)
    c.equal("eer_interval threshold", threshold(e["threshold"]), ti)

    d = abs(live.mean() - attack.mean()) / np.sqrt((np.std(live) ** 2 + np.std(attack) ** 2) / 2)
    c.close("d_prime", b["d_prime"]["value"], d)

    zero = np.flatnonzero(amax == 0)
    k = zero[np.argmin(bpcer[zero])]  # first minimum: the highest threshold
    c.close("bpcer_at_zero_apcer", b["bpcer_at_zero_apcer"]["value"], bpcer[k])
    c.equal("bpcer_at_zero_apcer threshold", threshold(b["bpcer_at_zero_apcer"]["threshold"]), t[k])
    zero = np.flatnonzero(bpcer == 0)
    k = zero[::-1][np.argmin(amax[zero][::-1])]  # ties: the lowest threshold
    c.close("apcer_at_zero_bpcer", b["apcer_at_zero_bpcer"]["value"], amax[k])

    k = argmin_highest((pooled + bpcer) / 2, t)
    c.close("min-hter", b["min-hter"]["value"], (pooled[k] + bpcer[k]) / 2)
    c.equal("min-hter threshold", threshold(b["min-hter"]["threshold"]), t[k])

    points = b["epc"]["points"]
    c.equal("epc points", len(points), 101)
    for p, alpha in zip(points, np.arange(101) / 100):
        k = argmin_highest(alpha * pooled + (1 - alpha) * bpcer, t)
        c.equal(f"epc alpha {alpha} threshold", threshold(p["threshold"]), t[k])
        c.close(f"epc alpha {alpha} hter", p["hter"], (pooled[k] + bpcer[k]) / 2)
        c.close(f"epc alpha {alpha} apcer_max", p["apcer_max"], amax[k])

    y = np.concatenate([np.ones(len(live)), np.zeros(len(attack))])
    c.close("auc_pooled", doc["threshold_free"]["auc_pooled"]["value"], roc_auc_score(y, np.concatenate([live, attack])))

    at = threshold(doc["at_threshold"]["threshold"])
    if "legacy" in doc:
        ap, am, bp = (r[0] for r in rates(live, attack, species, [at]))
        c.close("legacy acer", doc["legacy"]["acer"]["value"], (am + bp) / 2)
        c.close("legacy hter", doc["legacy"]["hter"]["value"], (ap + bp) / 2)
        if "not ISO/IEC 30107-3" not in doc["legacy"]["note"]:
            sys.exit(f"{run}: the legacy block lacks its note")

    r = doc["resolution"]
    for x, tr in r["bpcer_at_apcer"].items():
        n = needed(float(x))
        short = sorted(s for s in np.unique(species) if (species == s).sum() < n)
        c.equal(f"resolution bpcer_at_apcer[{x}] needed", tr["needed"], n)
        c.equal(f"resolution bpcer_at_apcer[{x}] short", sorted(tr["short"]), short)
        c.equal(f"resolution apcer_at_bpcer[{x}] resolved", r["apcer_at_bpcer"][x]["resolved"], len(live) >= n)
    for s, cr in r["species"].items():
        n = (species == s).sum()
        c.equal(f"resolution {s} scored", cr["scored"], int(n))
        c.close(f"resolution {s} 1/n", cr["resolvable_rate"], 1 / n)
        c.close(f"resolution {s} 3/n", cr["rule_of_three"], min(3 / n, 1))
    if "folds" in doc:
        check_folds(c, doc["folds"], scores_path, bool(doc["run"].get("flip")))
    print(f"{run}: {c.count} figures agree (eer_rocch {b['eer_rocch']['value']:.6f}, d' {d:.4f}, "
          f"EER interval [{low:.6f}, {high:.6f}])")


def check_folds(c, folds, scores_path, flip):
    """`eval --folds subject:K`: sorted subjects round-robin; each fold's rates at its reported threshold."""
    rows = pd.read_csv(scores_path, dtype=str, keep_default_na=False)
    spec = folds["spec"]
    if not spec.startswith("subject:"):
        return
    k = int(spec.split(":")[1])
    fold_of = {s: str(i % k + 1) for i, s in enumerate(sorted(rows["subject"].unique()))}
    rows = rows.assign(fold=rows["subject"].map(fold_of))
    for f in folds["folds"]:
        part = rows[rows["fold"] == f["fold"]]
        c.equal(f"fold {f['fold']} presentations", f["presentations"], len(part))
        path = scores_path + f".fold{f['fold']}.csv"
        part.to_csv(path, index=False)
        live, attack, species = load(path, flip)
        os.remove(path)
        ap, am, bp = (r[0] for r in rates(live, attack, species, [threshold(f["threshold"])]))
        c.close(f"fold {f['fold']} bpcer", f["bpcer"], bp)
        c.close(f"fold {f['fold']} apcer_max", f["apcer_max"], am)
        c.close(f"fold {f['fold']} apcer_pooled", f["apcer_pooled"], ap)
    b = [f["bpcer"] for f in folds["folds"] if f["bpcer"] is not None]
    c.close("folds bpcer mean", folds["summary"]["bpcer"]["mean"], np.mean(b))
    c.close("folds bpcer std", folds["summary"]["bpcer"]["std"], np.std(b))


def synthetic(binary):
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory() as tmp:
        for case in range(6):
            n_live = int(rng.integers(5, 400))
            sizes = {"print": int(rng.integers(1, 40)), "replay": int(rng.integers(1, 300)), "mask": 17}
            digits = [1, 2, 3, 6][case % 4]  # few digits: many ties within and across classes
            lines = ["path,label,attack_type,score,status,reason"]
            for i, s in enumerate(np.round(rng.beta(5, 2, n_live), digits)):
                lines.append(f"l{i},live,,{s},ok,")
            for sp, n in sizes.items():
                for i, s in enumerate(np.round(rng.beta(2, 4 + case, n), digits)):
                    lines.append(f"{sp}{i},attack,{sp},{s},ok,")
            path = os.path.join(tmp, f"case{case}.csv")
            open(path, "w").write("\n".join(lines) + "\n")
            out = os.path.join(tmp, f"run{case}")
            cmd = [binary, "eval", "--scores", path, "--bootstrap", "0", "--legacy-metrics", "--out", out]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode not in (0, 3):
                sys.exit(f"{' '.join(cmd)} failed:\n{done.stdout}{done.stderr}")
            check(out, path)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--synthetic":
        synthetic(sys.argv[2])
    elif len(sys.argv) == 3:
        check(sys.argv[1], sys.argv[2])
    else:
        sys.exit(__doc__)
