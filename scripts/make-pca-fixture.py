"""Writes test/fixtures/pca.json: scikit-learn's PCA (svd_solver='auto') on iris's features as float32
(as the proxy holds them), fitted as float64: its components, explained variance ratios and the
transform of the first 12 rows, for a fit its rule sends to 'covariance_eigh' (150 x 4), a fraction
of variance, and one it sends to 'full' (every fifth row: 30 < 10 x 4)."""
import json

import numpy as np
import sklearn
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA

x = load_iris().data.astype(np.float32)
cases = {}


def case(name, data, n):
    d = data.astype(np.float64)
    m = PCA(n_components=n).fit(d)
    cases[name] = {
        "rows": d.shape[0], "cols": d.shape[1], "n_components": n, "solver": m._fit_svd_solver,
        "x": [float(v) for v in data.ravel()],
        "components": m.components_.tolist(), "explained_variance_ratio": m.explained_variance_ratio_.tolist(),
        "transform": m.transform(d[:12]).tolist(),
    }


case("iris_covariance_eigh", x, 2)
case("iris_fraction", x, 0.97)
case("iris30_full", x[::5], 3)
with open("test/fixtures/pca.json", "w") as f:
    json.dump({"generated_by": f"scikit-learn {sklearn.__version__}: PCA(n_components).fit(x as float64), svd_solver='auto'", "cases": cases}, f)
