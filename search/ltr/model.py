"""The LambdaMART model of the second stage, evaluated by a NumPy walk of its trees.

bench/train_ltr.py fits it with LightGBM and writes LightGBM's own tree dump, cut down to what
prediction reads, as search/ltr/model.json: the feature names, and per tree the split feature,
threshold, children (a negative child -c-1 is leaf c), where a missing value goes, and the leaf
values. A record's score is the sum over trees of the leaf it reaches, as LightGBM's predict
gives (bench/train_ltr.py checks they agree). The walk is vectorised over every tree and record
at once, one step of depth at a time, so LightGBM and its OpenMP runtime are needed for
training only. Plain JSON: nothing executable is loaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_FILE = Path(__file__).with_name("model.json")
FORMAT = "ltr-trees-v1"
# LightGBM's missing_type of a numerical split: None (NaN read as 0), Zero (0 and NaN are
# missing), NaN (NaN is missing); missing values go to the default side.
MISSING_NONE, MISSING_ZERO, MISSING_NAN = 0, 1, 2


class ModelError(ValueError):
    """The model file can't be used (another format, other features)."""


@dataclass(frozen=True)
class TreeModel:
    features: tuple[str, ...]
    feature: np.ndarray  # trees x nodes: split feature (int)
    threshold: np.ndarray  # trees x nodes (float64)
    left: np.ndarray  # trees x nodes: child when <= threshold (negative: -leaf-1)
    right: np.ndarray
    default_left: np.ndarray  # trees x nodes (bool)
    missing: np.ndarray  # trees x nodes: MISSING_*
    leaf: np.ndarray  # trees x leaves (float64)
    depth: int  # the longest path from a root to a leaf

    @classmethod
    def from_json(cls, data: dict) -> TreeModel:
        if data.get("format") != FORMAT:
            raise ModelError(f"The ranking model is not in the {FORMAT} format.")
        trees = data["trees"]
        t = len(trees)
        nodes = max([len(tr["feature"]) for tr in trees] + [1])
        leaves = max([len(tr["leaf"]) for tr in trees] + [1])
        feature = np.zeros((t, nodes), dtype=np.int64)
        threshold = np.zeros((t, nodes))
        left = np.full((t, nodes), -1, dtype=np.int64)
        right = np.full((t, nodes), -1, dtype=np.int64)
        default_left = np.zeros((t, nodes), dtype=bool)
        missing = np.zeros((t, nodes), dtype=np.int64)
        leaf = np.zeros((t, leaves))
        depth = 0
        for i, tr in enumerate(trees):
            m = len(tr["feature"])
            feature[i, :m] = tr["feature"]
            threshold[i, :m] = tr["threshold"]
            left[i, :m] = tr["left"]
            right[i, :m] = tr["right"]
            default_left[i, :m] = tr["default_left"]
            missing[i, :m] = tr["missing"]
            leaf[i, : len(tr["leaf"])] = tr["leaf"]
            depth = max(depth, int(tr["depth"]))
        return cls(
            tuple(data["features"]),
            feature,
            threshold,
            left,
            right,
            default_left,
            missing,
            leaf,
            depth,
        )

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> TreeModel:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))

    def check(self, features: tuple[str, ...]) -> None:
        """ModelError unless the model reads exactly these features, in this order."""
        if self.features != features:
            raise ModelError("The ranking model was trained on other features than the engine's.")

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The model's score of each row of `x` (rows x features; NaN: missing)."""
        rows = x.shape[0]
        t = self.feature.shape[0]
        if not rows or not t:
            return np.zeros(rows)
        x = np.asarray(x, dtype=np.float64)
        tree = np.repeat(np.arange(t), rows)  # (tree, row) pairs, tree-major
        row = np.tile(np.arange(rows), t)
        node = np.zeros(t * rows, dtype=np.int64)
        for _ in range(self.depth):
            inner = node >= 0
            if not inner.any():
                break
            ti, ri, ni = tree[inner], row[inner], node[inner]
            value = x[ri, self.feature[ti, ni]]
            kind = self.missing[ti, ni]
            nan = np.isnan(value)
            value = np.where(nan & (kind != MISSING_NAN), 0.0, value)
            absent = (nan & (kind == MISSING_NAN)) | ((kind == MISSING_ZERO) & (value == 0.0))
            go_left = np.where(absent, self.default_left[ti, ni], value <= self.threshold[ti, ni])
            node[inner] = np.where(go_left, self.left[ti, ni], self.right[ti, ni])
        return self.leaf[tree, -node - 1].reshape(t, rows).sum(axis=0)


def from_lightgbm_dump(dump: dict, features: tuple[str, ...]) -> dict:
    """The model.json of a LightGBM `Booster.dump_model()` (numerical splits only)."""
    trees = []
    for info in dump["tree_info"]:
        tree = {
            "feature": [],
            "threshold": [],
            "left": [],
            "right": [],
            "default_left": [],
            "missing": [],
            "leaf": [],
        }
        codes = {"None": MISSING_NONE, "Zero": MISSING_ZERO, "NaN": MISSING_NAN}

        def walk(node: dict, depth: int, tree: dict = tree, codes: dict = codes) -> tuple[int, int]:
            """(child code of `node`, its subtree's depth)."""
            if "leaf_index" in node or "split_index" not in node:
                tree["leaf"].append(float(node.get("leaf_value", 0.0)))
                return -len(tree["leaf"]), depth
            if node["decision_type"] != "<=":
                raise ModelError("Only numerical splits are supported.")
            i = len(tree["feature"])
            for key in tree:
                if key != "leaf":
                    tree[key].append(0)
            tree["feature"][i] = int(node["split_feature"])
            tree["threshold"][i] = float(node["threshold"])
            tree["default_left"][i] = bool(node["default_left"])
            tree["missing"][i] = codes[node["missing_type"]]
            tree["left"][i], dl = walk(node["left_child"], depth + 1)
            tree["right"][i], dr = walk(node["right_child"], depth + 1)
            return i, max(dl, dr)

        _, depth = walk(info["tree_structure"], 0)
        tree["depth"] = depth
        trees.append(tree)
    return {"format": FORMAT, "features": list(features), "trees": trees}
