#!/usr/bin/env python3
"""Independent check of quality strata (`eval --segment-by COLUMN:quartiles|deciles|quantiles=N|bins=...`).

For each stratum of a run's metrics.json, recomputes from the score file with numpy and pandas:
- the edges: numpy.quantile(values, numpy.linspace(0, 1, N + 1)) over every row with a numeric value,
  repeated edges dropped, compared bit for bit (bins=: the given edges);
- each row's bucket: pandas.cut(values, edges, right=True, include_lowest=True); NaN/empty = missing,
  beyond the edges = outside; bucket counts compared exactly;
- per bucket, BPCER and each species' APCER (k and n) at the run's threshold (bona fide iff score >= t,
  non-responses left out), compared with the run's segments exactly.

  .venv-ref/bin/python scripts/oracle-strata.py RUN_DIR [SCORES_CSV]
SCORES_CSV: the file an `eval --scores` run read (default: the run's own scores.csv).
"""
import json, sys
import numpy as np
import pandas as pd

run = sys.argv[1]
doc = json.load(open(f"{run}/metrics.json"))
rows = pd.read_csv(sys.argv[2] if len(sys.argv) > 2 else f"{run}/scores.csv", dtype=str, keep_default_na=False)
scored = rows["status"] == "ok"
score = pd.to_numeric(rows["score"].where(scored), errors="coerce")
live = rows["label"] == "live"
t = doc["run"]["threshold"]
failures = []

def check(what, got, want):
    ok = got == want
    print(f"  {'ok  ' if ok else 'FAIL'} {what}: {got} vs {want}")
    if not ok:
        failures.append(what)

def edge(e):
    return {"+inf": np.inf, "-inf": -np.inf}.get(e, e)

for s in doc["strata"]:
    column, spec = s["column"], s["spec"].split(":", 1)[1]
    values = pd.to_numeric(rows[column], errors="coerce")
    if spec.startswith("bins="):
        edges = [float(e) for e in spec[len("bins="):].split(",")]
    else:
        n = {"quartiles": 4, "deciles": 10}.get(spec) or int(spec.split("=")[1])
        edges = list(dict.fromkeys(np.quantile(values.dropna().to_numpy(), np.linspace(0, 1, n + 1)).tolist()))
    print(f"{s['spec']}: edges {edges}")
    check(f"{column} edges", [edge(e) for e in s["edges"]], edges)
    if len(edges) > 1:
        codes = pd.cut(values, edges, right=True, include_lowest=True, labels=False)
    else:
        codes = pd.Series(np.where(values == edges[0], 0, np.nan))
    labels = [b["label"] for b in s["buckets"]]
    bucket = pd.Series(np.where(values.isna(), "missing", "outside"), dtype=object)
    inside = codes.notna()
    bucket[inside] = [labels[int(c)] for c in codes[inside]]
    check(f"{column} bucket counts", [b["presentations"] for b in s["buckets"]],
          [int((bucket == l).sum()) for l in labels])
    check(f"{column} missing/outside", (s["missing"], s["outside"]),
          (int((bucket == "missing").sum()), int((bucket == "outside").sum())))
    segments = doc["segments"]["columns"][column]
    for label, seg in segments.items():
        here = (bucket == label) & score.notna()
        at = seg["at_threshold"]
        b = at["bona_fide"]["bpcer"]
        lv = here & live
        want = (int((score[lv] < t).sum()), int(lv.sum()))
        check(f"{column}={label} BPCER k/n", (b.get("k", 0), b.get("n", 0)), want)
        for species, r in at["species"].items():
            sp = here & ~live & (rows["attack_type"] == species)
            want = (int((score[sp] >= t).sum()), int(sp.sum()))
            check(f"{column}={label} APCER {species} k/n", (r["apcer"].get("k", 0), r["apcer"].get("n", 0)), want)
print("all checks passed" if not failures else f"FAILED: {', '.join(failures)}")
sys.exit(1 if failures else 0)
