"""scikit-learn's side of fit-cpu.ts: CPU time (time.process_time, every thread) of one estimator's fit on
the same training rows (the first 75% of a repository CSV, or of a path ending in .csv; label last).

  python3 bench/algorithms/sklearn-fit-cpu.py <dataset or .csv path> <estimator, e.g. svm.LinearSVC> [fits] [json params]

X is float32 (the proxy's rows); DTYPE=float64 converts it first, as bench/algorithms/reference.py does.

One JSON line: min and median CPU ms over the fits.
"""
import importlib
import json
import os
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")
dataset, estimator = sys.argv[1], sys.argv[2]
fits = int(sys.argv[3]) if len(sys.argv) > 3 else 10
params = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
path = dataset if dataset.endswith(".csv") else os.path.join(os.path.dirname(__file__), "../../datasets", f"{dataset}.csv")
table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
n = int(len(table) * 0.75)
x, y = table[:n, :-1].astype(os.environ.get("DTYPE", "float32")), table[:n, -1]
module, name = estimator.rsplit(".", 1)
cls = getattr(importlib.import_module(f"sklearn.{module}"), name)
cpu = []
for _ in range(fits):
    model = cls(**params)
    start = time.process_time()
    model.fit(x, y)
    cpu.append((time.process_time() - start) * 1000)
cpu.sort()
print(json.dumps({
    "bench": "sklearn-fit-cpu", "estimator": estimator, "dataset": dataset, "dtype": str(x.dtype), "fits": fits,
    "cpu_min_ms": round(cpu[0], 3), "cpu_median_ms": round(cpu[len(cpu) // 2], 3),
    "load_average": [round(v, 1) for v in os.getloadavg()],
}))
