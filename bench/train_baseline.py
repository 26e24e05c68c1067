"""Reference side of bench/train.ts: the same datasets, split and parameters in Python.

Two steps, because Debian's python3-xgboost (which wraps the same libxgboost pgml-proxy loads)
and scikit-learn may live in different interpreters:

  python-with-xgboost  train_baseline.py xgboost SPEC XGB_OUT [DATASET]  fits XGBoost, writes test predictions
  python-with-sklearn  train_baseline.py sklearn SPEC XGB_OUT [DATASET]  fits the linear models, scores
                                                                         both with sklearn.metrics, prints JSON

SPEC (written by bench/train.ts) lists each dataset's CSV (features in table column order, label
last, rows in table order), its task, its number of test rows (the last rows, as
test_sampling => 'last'), and the hyperparameters both sides use.
"""
import json
import sys
import time

import numpy as np


def load(dataset):
    data = np.loadtxt(dataset["csv"], delimiter=",", dtype=np.float32, ndmin=2)
    x, y = data[:, :-1], data[:, -1]
    n_train = len(data) - dataset["n_test"]
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def best_of(repeats, fit):
    """Minimum wall time over `repeats` fits, and the last fitted result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fit()
        best = min(best, time.perf_counter() - started)
    return best, result


def run_xgboost(spec, out_path):
    import xgboost as xgb

    out = {"version": xgb.__version__, "datasets": {}}
    for dataset in spec["datasets"]:
        x_train, y_train, x_test, _ = load(dataset)
        hp = dict(spec["xgboost"])
        rounds = hp.pop("n_estimators")
        if dataset["task"] == "regression":
            hp["objective"] = "reg:squarederror"
        elif dataset["num_classes"] == 2:
            hp["objective"] = "binary:logistic"
        else:
            hp["objective"] = "multi:softprob"
            hp["num_class"] = dataset["num_classes"]

        def fit():
            return xgb.train(hp, xgb.DMatrix(x_train, label=y_train), num_boost_round=rounds)

        fit_time, booster = best_of(spec["repeats"], fit)
        raw = booster.predict(xgb.DMatrix(x_test))
        if dataset["task"] == "regression":
            pred, proba = raw, None
        elif dataset["num_classes"] == 2:
            pred, proba = (raw > 0.5).astype(np.float32), raw
        else:
            pred, proba = raw.argmax(axis=1).astype(np.float32), None
        out["datasets"][dataset["name"]] = {
            "fit_time": fit_time,
            "pred": pred.tolist(),
            "proba": None if proba is None else proba.tolist(),
        }
    with open(out_path, "w") as f:
        json.dump(out, f)


def metrics(task, num_classes, y_true, pred, proba):
    from sklearn import metrics as m

    if task == "regression":
        return {
            "r2": m.r2_score(y_true, pred),
            "mean_absolute_error": m.mean_absolute_error(y_true, pred),
            "mean_squared_error": m.mean_squared_error(y_true, pred),
        }
    average = "binary" if num_classes == 2 else "macro"
    out = {
        "f1": m.f1_score(y_true, pred, average=average, zero_division=0),
        "precision": m.precision_score(y_true, pred, average=average, zero_division=0),
        "recall": m.recall_score(y_true, pred, average=average, zero_division=0),
        "accuracy": m.accuracy_score(y_true, pred),
        "mcc": m.matthews_corrcoef(y_true, pred),
    }
    if num_classes == 2:
        scores = pred if proba is None else proba
        out["roc_auc"] = m.roc_auc_score(y_true, scores)
        out["log_loss"] = m.log_loss(y_true, np.clip(scores, 1e-15, 1 - 1e-15), labels=[0, 1])
    return {k: float(v) for k, v in out.items()}


def run_sklearn(spec, xgb_path):
    import sklearn
    from sklearn.linear_model import LinearRegression, LogisticRegression

    with open(xgb_path) as f:
        xgb_out = json.load(f)
    result = {"sklearn_version": sklearn.__version__, "xgboost_version": xgb_out["version"], "datasets": {}}
    for dataset in spec["datasets"]:
        x_train, y_train, x_test, y_test = load(dataset)
        task, classes = dataset["task"], dataset["num_classes"]
        # float64 as scikit-learn would convert to anyway; pgml-proxy also solves in double precision.
        x_train64, x_test64 = x_train.astype(np.float64), x_test.astype(np.float64)
        if task == "regression":
            make = lambda: LinearRegression(**spec["linear"]["regression"])  # noqa: E731
        else:
            make = lambda: LogisticRegression(**spec["linear"]["classification"])  # noqa: E731
        fit_time, model = best_of(spec["repeats"], lambda: make().fit(x_train64, y_train))
        pred = model.predict(x_test64)
        proba = model.predict_proba(x_test64)[:, 1] if task == "classification" and classes == 2 else None
        xgb = xgb_out["datasets"][dataset["name"]]
        xgb_proba = None if xgb["proba"] is None else np.asarray(xgb["proba"])
        result["datasets"][dataset["name"]] = {
            "linear": {"fit_time": fit_time, "metrics": metrics(task, classes, y_test, pred, proba)},
            "xgboost": {
                "fit_time": xgb["fit_time"],
                "metrics": metrics(task, classes, y_test, np.asarray(xgb["pred"]), xgb_proba),
            },
        }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


def main():
    mode, spec_path, xgb_path = sys.argv[1:4]
    with open(spec_path) as f:
        spec = json.load(f)
    # One dataset per run lets the caller interleave these fits with its own, so load drift hits both.
    if len(sys.argv) > 4:
        spec["datasets"] = [d for d in spec["datasets"] if d["name"] == sys.argv[4]]
    if mode == "xgboost":
        run_xgboost(spec, xgb_path)
    elif mode == "sklearn":
        run_sklearn(spec, xgb_path)
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
