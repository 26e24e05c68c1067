"""Python side of bench/predict-batch.ts, in two steps because psycopg and Debian's
python3-xgboost (the same libxgboost pgml-proxy loads) may live in different interpreters:

  python-with-psycopg  predict_batch_baseline.py fetch URL CSV_OUT   fetches f1..f30 of all rows, prints JSON timing
  python-with-xgboost  predict_batch_baseline.py predict CSV TRAIN_ROWS  fits 100 trees on the first rows, predicts all, prints JSON timing
"""
import json
import sys
import time


def fetch(url, out):
    import psycopg

    cols = ", ".join(f"f{i}" for i in range(1, 31))
    start = time.perf_counter()
    with psycopg.connect(url) as conn:
        rows = conn.execute(f"SELECT {cols} FROM t ORDER BY id").fetchall()
    seconds = time.perf_counter() - start
    with open(out, "w") as f:
        for row in rows:
            f.write(",".join(repr(v) for v in row) + "\n")
    print(json.dumps({"rows": len(rows), "fetch_seconds": seconds}))


def predict(csv, train_rows):
    import numpy as np
    import xgboost

    x = np.loadtxt(csv, delimiter=",", dtype=np.float32, ndmin=2)
    y = x[:, 0] * 2 - x[:, 1] + x[:, 2] * x[:, 3] + 0.5 * x[:, 29]
    booster = xgboost.train({}, xgboost.DMatrix(x[:train_rows], label=y[:train_rows]), num_boost_round=100)
    start = time.perf_counter()
    out = booster.predict(xgboost.DMatrix(x))
    seconds = time.perf_counter() - start
    print(json.dumps({"rows": len(out), "predict_seconds": seconds}))


if __name__ == "__main__":
    if sys.argv[1] == "fetch":
        fetch(sys.argv[2], sys.argv[3])
    else:
        predict(sys.argv[2], int(sys.argv[3]))
