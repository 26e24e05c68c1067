"""scikit-learn's libsvm models for test/unit/pgml/engines/libsvm.test.ts: SVC, NuSVC, SVR and NuSVR on
slices of breast_cancer, iris and diabetes (scikit-learn's bundled copies), with several kernels, a
tiny kernel cache, no shrinking, and max_iter small enough to stop the solver early. The features are
rounded to float32 first, as pgml-proxy's engines receive them. Each case records what libsvm itself
returned: support_, _dual_coef_, _intercept_ (= -rho), n_iter_, and predict / decision_function
(classifiers: decision_function_shape='ovo', libsvm's pairwise values, negated by scikit-learn for
binary problems). The probability cases (probability=True, a fixed random_state) also record the
seed scikit-learn drew for libsvm from random_state, _probA / _probB (Platt's sigmoids from libsvm's
5-fold cross-validation) and predict_proba.

    python3 scripts/make-svm-fixtures.py > test/fixtures/libsvm.json
"""
import json
import sys
import warnings

import numpy as np
import sklearn
from sklearn import datasets, svm

warnings.filterwarnings("ignore")  # the max_iter cases raise ConvergenceWarning on purpose


def data(loader, rows, test_rows):
    x, y = loader(return_X_y=True)
    rng = np.random.RandomState(0)
    order = rng.permutation(len(y))[: rows + test_rows]
    x = x[order].astype(np.float32).astype(np.float64)
    return {"x": x[:rows], "y": y[order][:rows].astype(np.float64), "test": x[rows:]}


DATA = {
    "breast_cancer": data(datasets.load_breast_cancer, 150, 20),
    "iris": data(datasets.load_iris, 120, 30),
    "diabetes": data(datasets.load_diabetes, 200, 30),
}

CASES = [
    ("svc rbf", "breast_cancer", svm.SVC, {}),
    ("svc rbf tiny cache", "breast_cancer", svm.SVC, {"cache_size": 0.01, "C": 10}),
    ("svc rbf no shrinking", "breast_cancer", svm.SVC, {"shrinking": False, "C": 10}),
    ("svc rbf max_iter 10", "breast_cancer", svm.SVC, {"max_iter": 10}),
    ("svc linear multiclass", "iris", svm.SVC, {"kernel": "linear", "C": 0.5}),
    ("svc poly multiclass", "iris", svm.SVC, {"kernel": "poly", "degree": 3, "coef0": 1.0}),
    ("svc sigmoid multiclass", "iris", svm.SVC, {"kernel": "sigmoid", "gamma": 0.05}),
    ("nusvc rbf", "breast_cancer", svm.NuSVC, {"nu": 0.3}),
    ("nusvc rbf multiclass", "iris", svm.NuSVC, {}),
    ("nusvc linear multiclass max_iter 5", "iris", svm.NuSVC, {"kernel": "linear", "max_iter": 5}),
    ("svr rbf", "diabetes", svm.SVR, {"C": 100}),
    ("svr linear", "diabetes", svm.SVR, {"kernel": "linear", "C": 10, "epsilon": 5}),
    ("svr rbf max_iter 20", "diabetes", svm.SVR, {"C": 100, "max_iter": 20}),
    ("nusvr rbf", "diabetes", svm.NuSVR, {"C": 100}),
    ("nusvr poly", "diabetes", svm.NuSVR, {"kernel": "poly", "C": 50, "nu": 0.3}),
    ("nusvr rbf max_iter 10", "diabetes", svm.NuSVR, {"max_iter": 10}),
    ("svc rbf probability", "breast_cancer", svm.SVC, {"probability": True, "random_state": 0}),
    ("svc linear multiclass probability", "iris", svm.SVC, {"kernel": "linear", "C": 0.5, "probability": True, "random_state": 7}),
    ("nusvc rbf multiclass probability", "iris", svm.NuSVC, {"probability": True, "random_state": 3}),
    ("svc poly multiclass probability tiny cache", "iris", svm.SVC, {"kernel": "poly", "degree": 2, "cache_size": 0.01, "probability": True, "random_state": 11}),
    ("svc rbf probability max_iter 10", "breast_cancer", svm.SVC, {"max_iter": 10, "probability": True, "random_state": 1}),
]


def case(name, dataset, estimator, params):
    d = DATA[dataset]
    extra = {"decision_function_shape": "ovo"} if estimator in (svm.SVC, svm.NuSVC) else {}
    model = estimator(**params, **extra).fit(d["x"], d["y"])
    resolved = model.get_params()
    probability = params.get("probability", False)
    return {
        "name": name,
        "data": dataset,
        "estimator": estimator.__name__,
        "params": {
            "kernel": resolved["kernel"], "degree": resolved["degree"], "gamma": float(model._gamma),
            "coef0": resolved["coef0"], "C": resolved.get("C", 1.0), "nu": resolved.get("nu", 0.5),
            "epsilon": resolved.get("epsilon", 0.1), "tol": resolved["tol"], "shrinking": resolved["shrinking"],
            "cache_size": resolved["cache_size"], "max_iter": resolved["max_iter"], "probability": probability,
            # BaseLibSVM.fit's draw: the seed libsvm's set_seed receives
            "random_seed": int(np.random.RandomState(params["random_state"]).randint(np.iinfo("i").max)) if probability else None,
        },
        "support": model.support_.tolist(),
        "n_support": model._n_support.tolist(),
        "dual_coef": model._dual_coef_.tolist(),
        "intercept": model._intercept_.tolist(),
        "n_iter": np.ravel(model.n_iter_).tolist(),
        "predict": model.predict(d["test"]).tolist(),
        "decision": (
            np.asarray(model.decision_function(d["test"])).reshape(len(d["test"]), -1).tolist() if extra else None
        ),
        "prob_a": model._probA.tolist() if probability else None,
        "prob_b": model._probB.tolist() if probability else None,
        "predict_proba": model.predict_proba(d["test"]).tolist() if probability else None,
    }


json.dump(
    {
        "sklearn": sklearn.__version__,
        "data": {name: {"x": d["x"].tolist(), "y": d["y"].tolist(), "test": d["test"].tolist()} for name, d in DATA.items()},
        "cases": [case(*c) for c in CASES],
    },
    sys.stdout,
)
