"""The Python half of `npm run evaluate -- fraud` (load-test/evaluate/fraud/run.ts drives it).

  fraud_eval.py train --train CSV --test CSV --name NAME --out-dir DIR [--seed N]
      CSVs of feature rows (a header of feature names, then `label`; `nan` for a missing value)
      that our TS code computed. Trains on the train rows only: LightGBM (exported as
      risk-gbdt/1 to DIR/NAME.json, scored later by our TS evaluator), and the plain
      scikit-learn baselines IsolationForest, LogisticRegression and HistGradientBoosting.
      Writes DIR/NAME-scores.json: each method's scores of the train and the test rows, and
      LightGBM's own test predictions (to check our evaluator against).
  fraud_eval.py gbdt --train CSV --out FILE --name NAME --version V [--source TEXT] [--seed N]
      `npm run train -- --model gbdt`: LightGBM alone on the rows, exported as risk-gbdt/1.
  fraud_eval.py plot --scores JSON --out PREFIX
      ROC and precision-recall curves of every method on every data set: PREFIX-roc.png and
      PREFIX-pr.png.
"""

import argparse
import json
import pathlib
import sys

import numpy as np


def read_rows(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    if header[-1] != "label":
        raise SystemExit(f"{path}: the last column must be label")
    return header[:-1], data[:, :-1], data[:, -1].astype(int)


LGB_PARAMS = {"objective": "binary", "num_leaves": 15, "learning_rate": 0.05,
              "min_data_in_leaf": 10, "feature_fraction": 0.9, "deterministic": True,
              "force_row_wise": True, "verbose": -1, "num_threads": 1}
LGB_ROUNDS = 200


def train(args):
    import lightgbm as lgb
    from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from gbdt_export import export_booster

    names, x_train, y_train = read_rows(args.train)
    test_names, x_test, y_test = read_rows(args.test)
    if test_names != names:
        raise SystemExit("the train and test files name different features")
    out = pathlib.Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    params = {**LGB_PARAMS, "seed": args.seed}
    booster = lgb.train(params, lgb.Dataset(x_train, y_train, feature_name=names),
                        num_boost_round=LGB_ROUNDS)
    artifact = export_booster(booster, names, name=args.name, version="eval",
                              params={**params, "num_boost_round": LGB_ROUNDS},
                              rows=len(y_train), positives=int(y_train.sum()),
                              source=f"{args.source} (train half)")
    (out / f"{args.name}.json").write_text(json.dumps(artifact) + "\n")
    print(f"[fraud_eval] LightGBM: {len(artifact['trees']['roots'])} trees", file=sys.stderr)
    lightgbm_test = booster.predict(x_test).tolist()

    baselines = {
        # Unsupervised, like our forest: fitted on the train rows without their labels.
        "sklearn IsolationForest": make_pipeline(
            SimpleImputer(strategy="median", keep_empty_features=True),
            IsolationForest(n_estimators=100, max_samples=256, random_state=args.seed)),
        "sklearn LogisticRegression": make_pipeline(
            SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler(),
            LogisticRegression(max_iter=5000)),
        "sklearn HistGradientBoosting": HistGradientBoostingClassifier(random_state=args.seed),
    }
    scores = {}
    # A column with no value in the train half (PaySim's payers pay once: no time since the
    # last) tells nothing; HistGradientBoosting cannot bin it, so the baselines leave it out.
    usable = ~np.all(np.isnan(x_train), axis=0)
    x_train, x_test = x_train[:, usable], x_test[:, usable]
    for name, model in baselines.items():
        print(f"[fraud_eval] {name}", file=sys.stderr)
        if "IsolationForest" in name:
            model.fit(x_train)
            # score_samples is higher for normal points: negate, so higher = more unusual.
            scores[name] = {"train": (-model.score_samples(x_train)).tolist(),
                            "test": (-model.score_samples(x_test)).tolist()}
        else:
            model.fit(x_train, y_train)
            scores[name] = {"train": model.predict_proba(x_train)[:, 1].tolist(),
                            "test": model.predict_proba(x_test)[:, 1].tolist()}
    import lightgbm
    import sklearn
    (out / f"{args.name}-scores.json").write_text(json.dumps({
        "baselines": scores,
        "lightgbm_test": lightgbm_test,
        "versions": {"lightgbm": lightgbm.__version__, "scikit-learn": sklearn.__version__,
                     "numpy": np.__version__},
    }) + "\n")


def gbdt(args):
    import lightgbm as lgb

    from gbdt_export import export_booster

    names, x, y = read_rows(args.train)
    if y.min() == y.max():
        raise SystemExit(f"{args.train}: every row has label {y[0]}; the model needs both classes")
    params = {**LGB_PARAMS, "seed": args.seed}
    booster = lgb.train(params, lgb.Dataset(x, y, feature_name=names), num_boost_round=LGB_ROUNDS)
    artifact = export_booster(booster, names, name=args.name, version=args.version,
                              params={**params, "num_boost_round": LGB_ROUNDS}, rows=len(y),
                              positives=int(y.sum()), source=args.source)
    pathlib.Path(args.out).write_text(json.dumps(artifact) + "\n")


def plot(args):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve, roc_curve

    data = json.loads(pathlib.Path(args.scores).read_text())
    sets = data["datasets"]
    for kind in ("roc", "pr"):
        fig, axes = plt.subplots(1, len(sets), figsize=(6.5 * len(sets), 5.5), squeeze=False)
        for ax, ds in zip(axes[0], sets):
            y = np.asarray(ds["labels"])
            for m in ds["methods"]:
                s = np.asarray(m["scores"], dtype=float)
                if kind == "roc":
                    fpr, tpr, _ = roc_curve(y, s)
                    ax.plot(fpr, tpr, label=f"{m['name']} (AUC {m['roc_auc']:.3f})", lw=1.4)
                else:
                    p, r, _ = precision_recall_curve(y, s)
                    ax.plot(r, p, label=f"{m['name']} (AP {m['pr_auc']:.3f})", lw=1.4,
                            drawstyle="steps-post")
            if kind == "roc":
                ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
                ax.set_xlabel("false-positive rate")
                ax.set_ylabel("true-positive rate (recall)")
            else:
                ax.axhline(y.mean(), color="grey", lw=0.8, ls=":")
                ax.set_xlabel("recall")
                ax.set_ylabel("precision")
            ax.set_title(f"{ds['name']}: test half ({len(y)} rows, {int(y.sum())} fraud)")
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1.02)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7.5, loc="lower right" if kind == "roc" else "lower left")
        fig.suptitle("ROC curves" if kind == "roc" else "Precision-recall curves")
        fig.tight_layout()
        fig.savefig(f"{args.out}-{kind}.png", dpi=110)
        plt.close(fig)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--train", required=True)
    t.add_argument("--test", required=True)
    t.add_argument("--name", required=True)
    t.add_argument("--source", default="")
    t.add_argument("--out-dir", required=True)
    t.add_argument("--seed", type=int, default=1)
    g = sub.add_parser("gbdt")
    g.add_argument("--train", required=True)
    g.add_argument("--out", required=True)
    g.add_argument("--name", required=True)
    g.add_argument("--version", required=True)
    g.add_argument("--source", default="")
    g.add_argument("--seed", type=int, default=1)
    pl = sub.add_parser("plot")
    pl.add_argument("--scores", required=True)
    pl.add_argument("--out", required=True)
    args = p.parse_args()
    {"train": train, "gbdt": gbdt, "plot": plot}[args.cmd](args)


if __name__ == "__main__":
    main()
