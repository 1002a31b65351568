#!/usr/bin/env python3
"""Writes a synthetic score file for benchmarks: `path,label,attack_type,subject,score`, N rows, half bona
fide, attacks in 3 species, 2000 subjects, scores with 6 decimals (live scores drawn higher).

Usage: python3 scripts/gen-scores.py N OUT.csv [SEED]
"""
import sys

import numpy as np

n, out = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
live = rng.random(n) < 0.5
species = np.array(["print", "replay", "mask"])[rng.integers(0, 3, n)]
subject = rng.integers(1, 2001, n)
score = np.clip(np.where(live, rng.normal(0.7, 0.18, n), rng.normal(0.3, 0.18, n)), 0, 1)
with open(out, "w") as f:
    f.write("path,label,attack_type,subject,score\n")
    chunk = 1_000_000
    for s in range(0, n, chunk):
        e = min(n, s + chunk)
        lines = [
            f"img/{i:08d}.jpg,{'live' if live[i] else 'attack'},{'' if live[i] else species[i]},s{subject[i]:04d},{score[i]:.6f}\n"
            for i in range(s, e)
        ]
        f.writelines(lines)
