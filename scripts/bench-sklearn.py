"""Times sklearn roc_curve + roc_auc_score on the scores written by `cargo run --release --example bench_metrics_10m OUT_DIR`.

Usage: python3 scripts/bench-sklearn.py OUT_DIR   (needs numpy and scikit-learn)
"""
import sys
import time

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

d = sys.argv[1]
scores = np.fromfile(f"{d}/scores.f64", dtype="<f8")
labels = np.fromfile(f"{d}/labels.u8", dtype=np.uint8)
c0 = time.process_time()
t0 = time.perf_counter()
fpr, tpr, thr = roc_curve(labels, scores, drop_intermediate=False)
t1 = time.perf_counter()
auc = roc_auc_score(labels, scores)
t2 = time.perf_counter()
# EER the oracle way, vectorized, to compare like with like.
apcer, bpcer = fpr, 1.0 - tpr
d_ = bpcer - apcer
i = int(np.argmax(d_ <= 0))
a = d_[i - 1] / (d_[i - 1] - d_[i])
eer = apcer[i - 1] + a * (apcer[i] - apcer[i - 1])
t3 = time.perf_counter()
c3 = time.process_time()
print(f"{len(scores)} scores, {len(thr)} ROC points")
print(f"roc_curve {t1 - t0:.3f} s, roc_auc_score {t2 - t1:.3f} s, EER {t3 - t2:.3f} s, "
      f"total wall {t3 - t0:.3f} s, cpu {c3 - c0:.3f} s")
print(f"EER {eer!r}, AUC {auc!r}")
