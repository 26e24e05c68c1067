"""Reference side of bench/algorithms/run.ts: scikit-learn's (and LightGBM's) estimators for the
PostgresML algorithm names, fitted on the same rows with the same hyperparameters, scored with
sklearn.metrics on the same test rows (the last n_test rows of the table, as test_sampling => 'last').

  python3 reference.py SPEC CELLS_OUT     SPEC and the CSVs are written by run.ts; prints nothing

One cell per (dataset, algorithm): {"fit_time": seconds, "metric": value} or {"error": "..."}.
"""
import json
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


def main():
    spec_path, out_path = sys.argv[1:3]
    with open(spec_path) as f:
        spec = json.load(f)
    data = {}
    for d in spec["datasets"]:
        table = np.loadtxt(d["csv"], delimiter=",", dtype=np.float32, ndmin=2)
        n_train = len(table) - d["n_test"]
        x, y = table[:, :-1].astype(np.float64), table[:, -1]
        data[d["name"]] = (d, x[:n_train], y[:n_train], x[n_train:], y[n_train:])
    cells = {}
    for cell in spec["cells"]:
        d, x_train, y_train, x_test, y_test = data[cell["dataset"]]
        key = f'{cell["dataset"]}/{cell["algorithm"]}'
        try:
            model = estimator(cell["algorithm"], d["task"], cell["hyperparams"])
            started = time.perf_counter()
            if d["task"] in ("clustering", "decomposition"):
                model.fit(x_train)
            else:
                model.fit(x_train, y_train)
            fit_time = time.perf_counter() - started
            pred = model.transform(x_test) if d["task"] == "decomposition" else model.predict(x_test)
            cells[key] = {"fit_time": fit_time, "metric": float(key_metric(d["task"], d["num_classes"], x_test, y_test, pred))}
        except Exception as error:  # noqa: BLE001 - recorded in the table as the cell's outcome
            cells[key] = {"error": f"{type(error).__name__}: {error}"}
    import lightgbm
    import sklearn

    with open(out_path, "w") as f:
        json.dump({"sklearn": sklearn.__version__, "lightgbm": lightgbm.__version__, "cells": cells}, f)


if __name__ == "__main__":
    main()
