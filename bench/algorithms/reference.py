"""Reference side of bench/algorithms/run.ts: scikit-learn's (and LightGBM's) estimators for the
PostgresML algorithm names, fitted on the same rows with the same hyperparameters, scored with
sklearn.metrics on the same test rows (the last n_test rows of the table, as test_sampling => 'last').

  python3 reference.py SPEC CELLS_OUT     SPEC and the CSVs are written by run.ts; prints nothing
  python3 reference.py --serve SPEC       one cell a line on stdin, its result a line on stdout: run.ts fits
                                          each cell's reference right after the proxy's training of it

One cell per (dataset, algorithm): {"fit_time": seconds, "metric": value, "fit_thread": {...}} or {"error": "..."}.
fit_thread is what the fitting thread went through during fit(), as the proxy's PGML_FIT_TRACE line says it
for its engine thread (src/pgml/training/fit-trace.ts): its CPU time, its wait for a core (schedstat's
run_delay), its preemptions and blocks, the rest of the process's CPU (OpenMP's and OpenBLAS's threads).
"""
import json
import os
import resource
import sys
import time

import numpy as np


def estimator(algorithm, task, hp):
    import lightgbm
    from sklearn import cluster, decomposition, ensemble, gaussian_process, kernel_ridge, linear_model, svm

    classification = task == "classification"
    if algorithm == "lightgbm":
        return (lightgbm.LGBMClassifier if classification else lightgbm.LGBMRegressor)(verbose=-1, **hp)
    if algorithm in ("xgboost", "xgboost_random_forest"):
        # Debian's python3-xgboost (the libxgboost pgml-proxy loads) lives outside pyenv's path.
        sys.path.append("/usr/lib/python3/dist-packages")
        import xgboost

        forest = algorithm == "xgboost_random_forest"
        if classification:
            return (xgboost.XGBRFClassifier if forest else xgboost.XGBClassifier)(**hp)
        return (xgboost.XGBRFRegressor if forest else xgboost.XGBRegressor)(**hp)
    table = {
        "linear": (linear_model.LogisticRegression, linear_model.LinearRegression),
        "ridge": (linear_model.RidgeClassifier, linear_model.Ridge),
        "lasso": (None, linear_model.Lasso),
        "elastic_net": (None, linear_model.ElasticNet),
        "svm": (svm.SVC, svm.SVR),
        "gradient_boosting_trees": (ensemble.GradientBoostingClassifier, ensemble.GradientBoostingRegressor),
        "hist_gradient_boosting": (ensemble.HistGradientBoostingClassifier, ensemble.HistGradientBoostingRegressor),
        "random_forest": (ensemble.RandomForestClassifier, ensemble.RandomForestRegressor),
        "extra_trees": (ensemble.ExtraTreesClassifier, ensemble.ExtraTreesRegressor),
        "bagging": (ensemble.BaggingClassifier, ensemble.BaggingRegressor),
        "ada_boost": (ensemble.AdaBoostClassifier, ensemble.AdaBoostRegressor),
        "stochastic_gradient_descent": (linear_model.SGDClassifier, linear_model.SGDRegressor),
        "perceptron": (linear_model.Perceptron, None),
        "passive_aggressive": (linear_model.PassiveAggressiveClassifier, linear_model.PassiveAggressiveRegressor),
        "nu_svm": (svm.NuSVC, svm.NuSVR),
        "kmeans": (cluster.KMeans, None),
        "mini_batch_kmeans": (cluster.MiniBatchKMeans, None),
        "linear_svm": (svm.LinearSVC, svm.LinearSVR),
        "bayesian_ridge": (None, linear_model.BayesianRidge),
        "automatic_relevance_determination": (None, linear_model.ARDRegression),
        "huber": (None, linear_model.HuberRegressor),
        "quantile": (None, linear_model.QuantileRegressor),
        "least_angle": (None, linear_model.Lars),
        "lasso_least_angle": (None, linear_model.LassoLars),
        "orthogonal_matching_pursuit": (None, linear_model.OrthogonalMatchingPursuit),
        "ransac": (None, linear_model.RANSACRegressor),
        "theil_sen": (None, linear_model.TheilSenRegressor),
        "kernel_ridge": (None, kernel_ridge.KernelRidge),
        "gaussian_process": (gaussian_process.GaussianProcessClassifier, gaussian_process.GaussianProcessRegressor),
        "birch": (cluster.Birch, None),
        "mean_shift": (cluster.MeanShift, None),
        "affinity_propagation": (cluster.AffinityPropagation, None),
        "pca": (decomposition.PCA, None),
    }
    cls = table[algorithm][0 if classification or task in ("clustering", "decomposition") else 1]
    return cls(**hp)


def key_metric(task, num_classes, x_test, y_test, pred):
    from sklearn import metrics

    if task == "regression":
        return metrics.r2_score(y_test, pred)
    if task == "clustering":
        return metrics.silhouette_score(x_test, pred)
    if task == "decomposition":
        # pgml's cumulative_explained_variance (score.ts): the projections' variance over the test rows' total.
        return float(np.var(pred, axis=0).sum() / np.var(x_test, axis=0).sum())
    return metrics.f1_score(y_test, pred, average="binary" if num_classes == 2 else "macro", zero_division=0)


def thread_counters():
    """The calling thread's schedstat (run_delay ns, timeslices) and context switches (Linux)."""
    with open("/proc/thread-self/schedstat") as f:
        _, run_delay, timeslices = (int(v) for v in f.read().split())
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return run_delay, timeslices, usage.ru_nvcsw, usage.ru_nivcsw, usage.ru_minflt


def fit_thread(counters_before, clocks_before, clocks_after, counters_after):
    """The proxy trace's fields for one fit (fit-trace.ts), from samples taken in the same order as there."""
    thread_ms = (clocks_after[0] - clocks_before[0]) / 1e6
    return {
        "start_epoch_ms": round(clocks_before[2] / 1e6, 3),
        "end_epoch_ms": round(clocks_after[2] / 1e6, 3),
        "thread_cpu_ms": round(thread_ms, 4),
        "run_delay_ms": round((counters_after[0] - counters_before[0]) / 1e6, 4),
        "timeslices": counters_after[1] - counters_before[1],
        "voluntary_switches": counters_after[2] - counters_before[2],
        "involuntary_switches": counters_after[3] - counters_before[3],
        "minor_faults": counters_after[4] - counters_before[4],
        "other_threads_cpu_ms": round((clocks_after[1] - clocks_before[1]) / 1e6 - thread_ms, 4),
        "nice": os.getpriority(os.PRIO_PROCESS, 0),
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }


def clocks():
    return time.thread_time_ns(), time.process_time_ns(), time.time_ns()


def load_data(spec):
    data = {}
    for d in spec["datasets"]:
        table = np.loadtxt(d["csv"], delimiter=",", dtype=np.float32, ndmin=2)
        n_train = len(table) - d["n_test"]
        x, y = table[:, :-1].astype(np.float64), table[:, -1]
        data[d["name"]] = (d, x[:n_train], y[:n_train], x[n_train:], y[n_train:])
    return data


def fit_cell(data, cell):
    """One fit of one cell, as scikit-learn's fit() is timed: once, on a new estimator."""
    d, x_train, y_train, x_test, y_test = data[cell["dataset"]]
    try:
        model = estimator(cell["algorithm"], d["task"], cell["hyperparams"])
        counters_before = thread_counters()
        clocks_before = clocks()
        started = time.perf_counter()
        if d["task"] in ("clustering", "decomposition"):
            model.fit(x_train)
        else:
            model.fit(x_train, y_train)
        fit_time = time.perf_counter() - started
        thread = fit_thread(counters_before, clocks_before, clocks(), thread_counters())
        pred = model.transform(x_test) if d["task"] == "decomposition" else model.predict(x_test)
        return {"fit_time": fit_time, "metric": float(key_metric(d["task"], d["num_classes"], x_test, y_test, pred)), "fit_thread": thread}
    except Exception as error:  # noqa: BLE001 - recorded in the table as the cell's outcome
        return {"error": f"{type(error).__name__}: {error}"}


def versions():
    import lightgbm
    import sklearn

    return {"sklearn": sklearn.__version__, "lightgbm": lightgbm.__version__}


def serve(spec_path):
    """--serve SPEC: one cell a line on stdin (as in SPEC's cells), its result a line on stdout; versions first."""
    with open(spec_path) as f:
        data = load_data(json.load(f))
    print(json.dumps(versions()), flush=True)
    for line in sys.stdin:
        print(json.dumps(fit_cell(data, json.loads(line))), flush=True)


def main():
    if sys.argv[1] == "--serve":
        return serve(sys.argv[2])
    spec_path, out_path = sys.argv[1:3]
    with open(spec_path) as f:
        spec = json.load(f)
    data = load_data(spec)
    cells = {f'{cell["dataset"]}/{cell["algorithm"]}': fit_cell(data, cell) for cell in spec["cells"]}
    with open(out_path, "w") as f:
        json.dump({**versions(), "cells": cells}, f)


if __name__ == "__main__":
    main()
