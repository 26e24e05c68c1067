"""scikit-learn's LogisticRegression(solver='lbfgs') fits for test/unit/pgml/engines/logistic.test.ts, and
scipy's L-BFGS-B on the Rosenbrock function for the optimizer's own test. Each logistic case fits the
first 75% of a repository dataset (datasets/<name>.csv, as loadSplit(name, { testSampling: 'last' })
gives it: float32 features, read back as float64), and records n_iter_, scipy's nfev and message, the
objective after every iteration (scipy's callback on scikit-learn's own call), coef_ and intercept_.
OpenBLAS runs on one thread, as the proxy's does.

    OPENBLAS_NUM_THREADS=1 python3 scripts/make-logistic-fixtures.py > test/fixtures/logistic.json
"""
import json
import os
import sys
import warnings

import numpy as np
import scipy
import scipy.optimize as optimize
import sklearn
import sklearn.linear_model._logistic as logistic_module
from sklearn.linear_model import LogisticRegression

warnings.filterwarnings("ignore")  # max_iter=100 stops digits and breast_cancer early, as the benchmark does
DATASETS = os.path.join(os.path.dirname(__file__), "..", "datasets")
CASES = [
    ("digits", {}),
    ("breast_cancer", {}),
    ("iris", {}),
    ("wine", {"C": 0.1, "fit_intercept": False}),
    # tol=0: scipy's ftol (64·ε from scikit-learn) ends it.
    ("iris", {"fit_intercept": False, "tol": 0, "max_iter": 1000}),
]


def rows(name):
    table = np.loadtxt(os.path.join(DATASETS, f"{name}.csv"), delimiter=",", skiprows=1, dtype=np.float32)
    n = int(len(table) * 0.75)
    return table[:n, :-1].astype(np.float64), table[:n, -1].astype(np.float64)


def traced_fit(name, params):
    x, y = rows(name)
    minimize = optimize.minimize
    trace = {}

    def spy(fun, x0, **kwargs):
        values = []
        last = []

        def counted(w, *args):
            result = fun(w, *args)
            last[:] = [result[0]]
            return result

        kwargs["callback"] = lambda _xk: values.append(float(last[0]))
        result = minimize(counted, x0, **kwargs)
        trace.update(nfev=int(result.nfev), nit=int(result.nit), message=str(result.message), values=values)
        return result

    logistic_module.optimize.minimize = spy
    try:
        model = LogisticRegression(**params).fit(x, y)
    finally:
        logistic_module.optimize.minimize = minimize
    return {
        "dataset": name,
        "params": params,
        "rows": len(y),
        "n_iter": int(model.n_iter_[0]),
        "nfev": trace["nfev"],
        "message": trace["message"],
        "values": trace["values"],
        "coef": model.coef_.tolist(),
        "intercept": model.intercept_.tolist(),
    }


def rosenbrock():
    values = []
    last = []

    def fun(w):
        f, g = optimize.rosen(w), optimize.rosen_der(w)
        last[:] = [f]
        return f, g

    x0 = np.array([-1.2, 1.0, -1.2, 1.0, 0.5])
    result = optimize.minimize(fun, x0, jac=True, method="L-BFGS-B", callback=lambda _xk: values.append(float(last[0])))
    return {"x0": x0.tolist(), "nit": int(result.nit), "nfev": int(result.nfev), "message": str(result.message),
            "x": result.x.tolist(), "values": values}


json.dump({
    "sklearn": sklearn.__version__,
    "scipy": scipy.__version__,
    "logistic": [traced_fit(name, params) for name, params in CASES],
    "rosenbrock": rosenbrock(),
}, sys.stdout, indent=None)
sys.stdout.write("\n")
