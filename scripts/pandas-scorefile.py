#!/usr/bin/env python3
"""The pandas + scikit-learn pipeline `eval --scores` is measured against (issue 11): read_csv, ROC curve
and AUC, EER the oracle way, APCER per species and BPCER at a threshold with a per-species groupby.

Usage: python3 scripts/pandas-scorefile.py SCORES.csv [THRESHOLD]
"""
import sys

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score, roc_curve

df = pd.read_csv(sys.argv[1], dtype={"attack_type": "category", "label": "category", "subject": "category"})
t = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
scored = df[df["score"].notna()]
y = (scored["label"] == "live").to_numpy()
s = scored["score"].to_numpy()
fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
auc = roc_auc_score(y, s)
apcer, bpcer = fpr, 1.0 - tpr
d = bpcer - apcer
i = int(np.argmax(d <= 0))
a = d[i - 1] / (d[i - 1] - d[i])
eer = apcer[i - 1] + a * (apcer[i] - apcer[i - 1])
attacks = scored[~y]
per_species = (attacks["score"] >= t).groupby(attacks["attack_type"], observed=True).mean()
bpcer_t = float((s[y] < t).mean())
print(f"{len(df)} rows, {len(thr)} ROC points, AUC {auc:.6f}, EER {eer:.6f}, BPCER@{t} {bpcer_t:.6f}")
print("APCER per species:", per_species.round(6).to_dict())
