"""Python side of bench/train-wall.ts: the whole training as a Python user would write it.

  train_wall_baseline.py URL TABLE LABEL ALGORITHM PARAMS_JSON TEST_SIZE

Fetches the table with psycopg (SELECT * in table order, as pgml.train reads it), keeps the last
round(rows × TEST_SIZE) rows for testing (test_sampling => 'last'), fits native XGBoost or
scikit-learn's LogisticRegression with the same parameters, scores the test rows, and prints one
JSON object: the wall time of all of it and the metrics pgml.train reports under the same names.
"""
import json
import sys
import time

import numpy as np
import psycopg
from sklearn import metrics as m

try:
    import xgboost as xgb
except ImportError:
    # Debian's python3-xgboost (the same libxgboost pgml-proxy loads) lives outside pyenv's path.
    sys.path.append("/usr/lib/python3/dist-packages")
    import xgboost as xgb


def main():
    url, table, label, algorithm, params_json, test_size = sys.argv[1:7]
    params = json.loads(params_json)
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        cur = conn.execute(f"SELECT * FROM {table}")
        names = [d.name for d in cur.description]
        data = np.array(cur.fetchall(), dtype=np.float32)
    fetched = time.perf_counter()
    y = data[:, names.index(label)]
    x = np.delete(data, names.index(label), axis=1)
    n_test = round(len(data) * float(test_size))
    x_train, y_train, x_test, y_test = x[:-n_test], y[:-n_test], x[-n_test:], y[-n_test:]

    fit_started = time.perf_counter()
    if algorithm == "xgboost":
        hp = dict(params)
        rounds = hp.pop("n_estimators")
        hp["objective"] = "binary:logistic"
        booster = xgb.train(hp, xgb.DMatrix(x_train, label=y_train), num_boost_round=rounds)
        fit_time = time.perf_counter() - fit_started
        proba = booster.predict(xgb.DMatrix(x_test))
    else:
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(**params).fit(x_train, y_train)
        fit_time = time.perf_counter() - fit_started
        proba = model.predict_proba(x_test)[:, 1]
    pred = (proba > 0.5).astype(np.float32)
    scores = {
        "accuracy": m.accuracy_score(y_test, pred),
        "f1": m.f1_score(y_test, pred),
        "precision": m.precision_score(y_test, pred, zero_division=0),
        "recall": m.recall_score(y_test, pred),
        "roc_auc": m.roc_auc_score(y_test, proba),
        "mcc": m.matthews_corrcoef(y_test, pred),
    }
    wall = time.perf_counter() - started
    json.dump(
        {
            "wall": wall,
            "fetch": fetched - started,
            "fit_time": fit_time,
            "xgboost_version": xgb.__version__,
            "metrics": {k: float(v) for k, v in scores.items()},
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
