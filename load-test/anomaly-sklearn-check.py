"""Cross-check of `npm run evaluate -- anomaly` with an independent implementation.

Runs scikit-learn's IsolationForest in the paper's setting (100 trees, 256 samples per tree,
trained and scored on the whole set) on the same files and seeds, and prints the ROC AUC per
seed. Not part of the test suite; needs `pip install scikit-learn`.

    python3 load-test/anomaly-sklearn-check.py [--seeds 1,2,3,4,5] http forestcover smtp shuttle
"""

import argparse
import gzip
import os

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "anomaly")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument("sets", nargs="+")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    for name in args.sets:
        with gzip.open(os.path.join(DATA, f"{name}.csv.gz"), "rt") as f:
            data = np.loadtxt(f, delimiter=",", skiprows=1)
        x, y = data[:, :-1], data[:, -1]
        aucs = []
        for seed in seeds:
            model = IsolationForest(n_estimators=100, max_samples=256, random_state=seed).fit(x)
            # score_samples is the opposite of the paper's anomaly score: negate it.
            aucs.append(roc_auc_score(y, -model.score_samples(x)))
        print(f"{name}: " + " ".join(f"{a:.4f}" for a in aucs) + f"  mean {np.mean(aucs):.4f}")


if __name__ == "__main__":
    main()
