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
    """The trees as flat tables: each tree a block of WIDTH slots, its split nodes first, then
    its leaves, which lead to themselves (so every (tree, record) pair takes `depth` steps and
    ends on its leaf, with no bookkeeping of which pairs are done)."""

    features: tuple[str, ...]
    trees: int
    width: int  # slots per tree: its split nodes, then its leaves
    feature: np.ndarray  # per slot: the split feature (int64)
    threshold: np.ndarray  # per slot: go left when value <= threshold (+inf on leaves)
    left: np.ndarray  # per slot: the slot it goes to, left (flat index)
    right: np.ndarray
    nan_left: np.ndarray  # per slot: where a missing (NaN) value goes
    zero_left: np.ndarray  # per slot: where 0 goes at a Zero-missing split, else -1
    value: np.ndarray  # per slot: the leaf's value (0 on split nodes)
    depth: int  # the longest path from a root to a leaf

    @classmethod
    def from_json(cls, data: dict) -> TreeModel:
        if data.get("format") != FORMAT:
            raise ModelError(f"The ranking model is not in the {FORMAT} format.")
        trees = data["trees"]
        nodes = max([len(tr["feature"]) for tr in trees] + [0])
        width = nodes + max([len(tr["leaf"]) for tr in trees] + [1])
        t = len(trees)
        feature = np.zeros((t, width), dtype=np.int64)
        threshold = np.full((t, width), np.inf)
        left = np.zeros((t, width), dtype=np.int64)
        right = np.zeros((t, width), dtype=np.int64)
        nan_left = np.ones((t, width), dtype=bool)
        zero_left = np.full((t, width), -1, dtype=np.int8)
        value = np.zeros((t, width))
        depth = 0
        for i, tr in enumerate(trees):
            base = i * width
            slots = base + np.arange(width)
            left[i], right[i] = slots, slots  # leaves (and unused slots) lead to themselves
            m, leaves = len(tr["feature"]), np.asarray(tr["leaf"], dtype=np.float64)
            value[i, nodes : nodes + len(leaves)] = leaves
            if not m:  # a tree of one leaf: its root slot is that leaf
                value[i, 0], threshold[i, 0] = leaves[0], np.inf
                continue

            def slot(child: int, base: int = base) -> int:
                return base + (child if child >= 0 else nodes - child - 1)

            feature[i, :m] = tr["feature"]
            threshold[i, :m] = tr["threshold"]
            left[i, :m] = [slot(c) for c in tr["left"]]
            right[i, :m] = [slot(c) for c in tr["right"]]
            missing = np.asarray(tr["missing"])
            default = np.asarray(tr["default_left"], dtype=bool)
            # None: a missing value is read as 0; NaN and Zero: it takes the default side
            nan_left[i, :m] = np.where(missing == MISSING_NONE, threshold[i, :m] >= 0, default)
            zero_left[i, :m] = np.where(missing == MISSING_ZERO, default, -1)
            depth = max(depth, int(tr["depth"]))
        flat = (feature, threshold, left, right, nan_left, zero_left, value)
        return cls(tuple(data["features"]), t, width, *(a.ravel() for a in flat), depth)

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
        if not rows or not self.trees:
            return np.zeros(rows)
        values = np.asarray(x, dtype=np.float64).ravel()
        offset = np.tile(np.arange(rows) * len(self.features), self.trees)
        slot = np.repeat(np.arange(self.trees) * self.width, rows)  # (tree, row), tree-major
        zeros = bool((self.zero_left >= 0).any())
        for _ in range(self.depth):
            v = values[offset + self.feature[slot]]
            go_left = v <= self.threshold[slot]
            nan = np.isnan(v)
            if nan.any():
                go_left[nan] = self.nan_left[slot[nan]]
            if zeros:
                zero = (v == 0) & (self.zero_left[slot] >= 0)
                go_left[zero] = self.zero_left[slot[zero]] == 1
            slot = np.where(go_left, self.left[slot], self.right[slot])
        return self.value[slot].reshape(self.trees, rows).sum(axis=0)


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
