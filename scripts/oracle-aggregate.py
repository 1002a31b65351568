#!/usr/bin/env python3
"""Independent check of frame -> video aggregation (`eval --group-by ... --aggregate ...`).

Reads a --group-by run folder's scores.csv with pandas, groups the scored frames by the run's group
columns plus label and attack type (a video never mixes labels), applies the run's aggregate with
numpy/scipy (mean, numpy median, min, max, scipy.stats.trim_mean), and compares with metrics.json:
- the number of videos and of videos without a scored frame;
- BPCER and per-species APCER (k and n) at the run's threshold (bona fide iff score >= t);
- the AUC of the videos and of the frames (sklearn.metrics.roc_auc_score, ties count 1/2), to 1e-12.

  .venv-ref/bin/python scripts/oracle-aggregate.py RUN_DIR [SCORES_CSV]
SCORES_CSV: the file an `eval --scores` run read (default: the run's own scores.csv).
"""
import json, sys
import numpy as np
import pandas as pd
from scipy.stats import trim_mean
from sklearn.metrics import roc_auc_score

run = sys.argv[1]
doc = json.load(open(f"{run}/metrics.json"))
summary = doc["aggregation"]["summary"]
scores = sys.argv[2] if len(sys.argv) > 2 else f"{run}/scores.csv"
frames = pd.read_csv(scores, dtype=str, keep_default_na=False)
frames["value"] = pd.to_numeric(frames["score"].where(frames["status"] == "ok"), errors="coerce")
how = summary["aggregate"]
stat = {"mean": np.mean, "median": np.median, "min": np.min, "max": np.max}.get(how)
if how.startswith("trimmed:"):
    p = float(how.split(":")[1])
    stat = lambda s: trim_mean(s, p)
keys = summary["group_by"] + ["label", "attack_type"]
videos = (
    frames.groupby(keys, sort=False)["value"]
    .apply(lambda s: stat(s.dropna().to_numpy()) if s.notna().any() else np.nan)
    .reset_index()
)
failures = []

def check(what, got, want, tol=0.0):
    ok = got == want if tol == 0.0 else abs(got - want) <= tol
    print(f"  {'ok  ' if ok else 'FAIL'} {what}: {got} vs {want}")
    if not ok:
        failures.append(what)

print(f"{run}: {len(frames)} frames -> {len(videos)} videos by the {how} over {'+'.join(summary['group_by'])}")
check("videos", doc["run"]["presentations"], len(videos))
check("videos without a scored frame", summary["videos_without_scored_frame"], int(videos["value"].isna().sum()))
t = doc["run"]["threshold"]
scored = videos.dropna(subset=["value"])
live = scored[scored["label"] == "live"]
b = doc["at_threshold"]["bona_fide"]["bpcer"]
check("BPCER k/n", (b["k"], b["n"]), (int((live["value"] < t).sum()), len(live)))
for species, r in doc["at_threshold"]["species"].items():
    a = scored[(scored["label"] != "live") & (scored["attack_type"] == species)]
    check(f"APCER {species} k/n", (r["apcer"]["k"], r["apcer"]["n"]), (int((a["value"] >= t).sum()), len(a)))
check("video AUC", doc["threshold_free"]["auc_pooled"]["value"],
      roc_auc_score(scored["label"] == "live", scored["value"]), 1e-12)
f = frames.dropna(subset=["value"])
check("frame AUC", doc["aggregation"]["frame_level"]["threshold_free"]["auc_pooled"]["value"],
      roc_auc_score(f["label"] == "live", f["value"]), 1e-12)
print("all checks passed" if not failures else f"FAILED: {', '.join(failures)}")
sys.exit(1 if failures else 0)
