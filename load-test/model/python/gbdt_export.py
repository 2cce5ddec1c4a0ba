"""Our risk-gbdt/1 artifact from a trained LightGBM booster, written from the library's own model
dump (Booster.dump_model): every split and leaf as LightGBM holds them, thresholds and leaf
values as the doubles it predicts with. src/domain/gbdt/ evaluates it; the parity test
(test/unit/gbdt/parity.test.ts) checks that both give the same probabilities."""

import datetime
import re

import lightgbm

MISSING = {"None": "none", "Zero": "zero", "NaN": "nan"}


class ExportError(Exception):
    pass


def _sigmoid_scale(objective: str) -> float:
    # dump_model()["objective"] reads like "binary sigmoid:1".
    if not objective.startswith("binary"):
        raise ExportError(f"objective {objective!r}: only binary models are exported")
    m = re.search(r"sigmoid:([0-9.eE+-]+)", objective)
    return float(m.group(1)) if m else 1.0


def export_booster(booster, features, *, name, version, params, rows, positives, source):
    dump = booster.dump_model()
    if list(dump["feature_names"]) != list(features):
        raise ExportError("the booster's feature names differ from the ones given")
    t = {k: [] for k in
         ("roots", "split_feature", "threshold", "missing", "default_left", "left", "right",
          "leaf_value")}

    def walk(node):
        if "leaf_value" in node:
            t["leaf_value"].append(float(node["leaf_value"]))
            return ~(len(t["leaf_value"]) - 1)
        if node["decision_type"] != "<=":
            raise ExportError(f"split {node['decision_type']!r}: categorical splits are not supported")
        i = len(t["split_feature"])
        t["split_feature"].append(int(node["split_feature"]))
        t["threshold"].append(float(node["threshold"]))
        t["missing"].append(MISSING[node["missing_type"]])
        t["default_left"].append(bool(node["default_left"]))
        t["left"].append(0)
        t["right"].append(0)
        t["left"][i] = walk(node["left_child"])
        t["right"][i] = walk(node["right_child"])
        return i

    for tree in dump["tree_info"]:
        t["roots"].append(walk(tree["tree_structure"]))
    return {
        "format": "risk-gbdt/1",
        "name": name,
        "version": version,
        "created_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "features": list(features),
        "link": {"name": "logistic", "scale": _sigmoid_scale(dump["objective"])},
        "base_score": 0.0,
        "trees": t,
        "training": {
            "library": f"lightgbm {lightgbm.__version__}",
            "params": params,
            "rows": int(rows),
            "positives": int(positives),
            "source": source,
        },
    }
