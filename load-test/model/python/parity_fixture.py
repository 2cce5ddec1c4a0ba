"""Writes test/fixtures/gbdt/parity.json: a small LightGBM model exported as risk-gbdt/1, rows
that reach every kind of split (NaN and zero inputs included, so each missing-value rule is
used), and LightGBM's own predicted probabilities for them. Run again only to refresh it:

    "$(bash scripts/ml-venv.sh)" load-test/model/python/parity_fixture.py
"""

import json
import pathlib

import lightgbm as lgb
import numpy as np

from gbdt_export import export_booster

FEATURES = ["log_amount", "account.count_1h", "attributes.score", "attributes.kind=a"]
PARAMS = {"objective": "binary", "num_leaves": 15, "learning_rate": 0.1, "min_data_in_leaf": 5,
          "seed": 7, "deterministic": True, "verbose": -1, "num_threads": 1}


def rows(rng, n):
    x = np.column_stack([
        rng.normal(3, 1.5, n),
        rng.integers(0, 8, n).astype(float),
        rng.normal(0, 1, n),
        rng.integers(0, 2, n).astype(float),
    ])
    x[rng.random(n) < 0.15, 2] = np.nan  # an absent attribute: a "nan" missing type
    x[rng.random(n) < 0.10, 0] = np.nan
    return x


def main():
    rng = np.random.default_rng(7)
    x = rows(rng, 2000)
    logit = 1.2 * np.nan_to_num(x[:, 0], nan=5) - 4 + 0.6 * x[:, 1] - 1.5 * x[:, 3]
    logit += np.where(np.isnan(x[:, 2]), 2.0, x[:, 2])
    y = (rng.random(len(x)) < 1 / (1 + np.exp(-logit))).astype(int)
    test = rows(rng, 300)
    # Exact zeros and NaNs in every column, including ones LightGBM saw no NaN for in training.
    test[:10, :] = 0.0
    test[10:20, :] = np.nan
    test[20:40, 1] = 0.0
    models = []
    # The second model treats zeros as missing: its splits carry the "zero" missing type.
    for version, extra in (("1", {}), ("zero-as-missing", {"zero_as_missing": True})):
        params = {**PARAMS, **extra}
        booster = lgb.train(params, lgb.Dataset(x, y, feature_name=FEATURES), num_boost_round=40)
        artifact = export_booster(booster, FEATURES, name="parity-gbdt", version=version,
                                  params=params, rows=len(x), positives=int(y.sum()),
                                  source="parity_fixture.py")
        artifact["created_at"] = "2026-12-02T00:00:00Z"
        models.append({
            "artifact": artifact,
            "raw": [float(v) for v in booster.predict(test, raw_score=True)],
            "probabilities": [float(v) for v in booster.predict(test)],
        })
        print(f"{version}: {len(artifact['trees']['roots'])} trees, "
              f"{len(artifact['trees']['split_feature'])} splits, missing types "
              f"{sorted(set(artifact['trees']['missing']))}")
    out = {"rows": [[None if np.isnan(v) else float(v) for v in r] for r in test],
           "models": models}
    path = pathlib.Path(__file__).resolve().parents[3] / "test/fixtures/gbdt/parity.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out) + "\n")
    print(f"wrote {path}: {len(test)} rows")


if __name__ == "__main__":
    main()
