"""A BERT encoder as an ONNX graph, built from its safetensors weights with onnx.helper.

The graph is the sentence-transformers pipeline of all-MiniLM-L6-v2: BERT (word + position +
token-type-0 embeddings, LayerNorm, N layers of self-attention and a GELU feed-forward, each
followed by a residual LayerNorm), mean pooling over the attention mask, L2 normalisation.
Inputs `input_ids` and `attention_mask` (int64, batch x tokens); output `embedding` (float32,
batch x hidden). Built in memory: no file to trust besides the checked safetensors.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17  # LayerNormalization
HEADS = 12
EPS = 1e-12


class _Graph:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self._n = 0

    def const(self, name: str, value: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, kind: str, inputs: list[str], **attrs: object) -> str:
        self._n += 1
        out = f"{kind.lower()}_{self._n}"
        self.nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    def linear(self, x: str, w: dict[str, np.ndarray], prefix: str) -> str:
        weight = self.const(f"{prefix}.wt", w[f"{prefix}.weight"].T.astype(np.float32))
        bias = self.const(f"{prefix}.b", w[f"{prefix}.bias"].astype(np.float32))
        return self.op("Add", [self.op("MatMul", [x, weight]), bias])

    def norm(self, x: str, w: dict[str, np.ndarray], prefix: str) -> str:
        scale = self.const(f"{prefix}.g", w[f"{prefix}.weight"].astype(np.float32))
        bias = self.const(f"{prefix}.beta", w[f"{prefix}.bias"].astype(np.float32))
        return self.op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=EPS)


def bert_graph(w: dict[str, np.ndarray]) -> bytes:
    """The serialized ONNX model of the BERT sentence encoder whose weights are `w`."""
    g = _Graph()
    hidden = w["embeddings.word_embeddings.weight"].shape[1]
    layers = 1 + max(int(k.split(".")[2]) for k in w if k.startswith("encoder.layer."))
    head = hidden // HEADS
    words = g.const("word_emb", w["embeddings.word_embeddings.weight"].astype(np.float32))
    positions = g.const("pos_emb", w["embeddings.position_embeddings.weight"].astype(np.float32))
    kind0 = g.const("type_emb0", w["embeddings.token_type_embeddings.weight"][0].astype(np.float32))
    length = g.op("Shape", ["input_ids"], start=1, end=2)  # [tokens]
    first = g.const("first_row", np.array([0], np.int64))
    axis0 = g.const("axis0", np.array([0], np.int64))
    x = g.op("Add", [g.op("Gather", [words, "input_ids"], axis=0), kind0])
    x = g.op("Add", [x, g.op("Slice", [positions, first, length, axis0])])
    x = g.norm(x, w, "embeddings.LayerNorm")
    # additive mask, batch x 1 x 1 x tokens: 0 where a token is, -1e4 on padding
    maskf = g.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    axes12 = g.const("axes12", np.array([1, 2], np.int64))
    inverted = g.op("Sub", [g.const("f1", np.array(1.0, np.float32)), maskf])
    bias = g.op(
        "Mul", [g.op("Unsqueeze", [inverted, axes12]), g.const("neg", np.array(-1e4, np.float32))]
    )
    split = g.const("split_shape", np.array([0, 0, HEADS, head], np.int64))
    merge = g.const("merge_shape", np.array([0, 0, hidden], np.int64))
    scale = g.const("scale", np.array(1.0 / np.sqrt(head), np.float32))
    sqrt2 = g.const("sqrt2", np.array(np.sqrt(2.0), np.float32))
    half = g.const("half", np.array(0.5, np.float32))
    for i in range(layers):
        p = f"encoder.layer.{i}"

        def heads(t: str, perm: list[int]) -> str:
            return g.op("Transpose", [g.op("Reshape", [t, split])], perm=perm)

        q = heads(g.linear(x, w, f"{p}.attention.self.query"), [0, 2, 1, 3])
        k = heads(g.linear(x, w, f"{p}.attention.self.key"), [0, 2, 3, 1])
        v = heads(g.linear(x, w, f"{p}.attention.self.value"), [0, 2, 1, 3])
        scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, k]), scale]), bias])
        ctx = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])
        ctx = g.op("Reshape", [g.op("Transpose", [ctx], perm=[0, 2, 1, 3]), merge])
        attended = g.linear(ctx, w, f"{p}.attention.output.dense")
        x = g.norm(g.op("Add", [x, attended]), w, f"{p}.attention.output.LayerNorm")
        h = g.linear(x, w, f"{p}.intermediate.dense")
        gelu = g.op(
            "Add",
            [g.op("Erf", [g.op("Div", [h, sqrt2])]), g.const(f"one{i}", np.array(1.0, np.float32))],
        )
        h = g.op("Mul", [g.op("Mul", [h, gelu]), half])
        out = g.linear(h, w, f"{p}.output.dense")
        x = g.norm(g.op("Add", [x, out]), w, f"{p}.output.LayerNorm")
    # mean over the real tokens, then unit length
    weights = g.op("Unsqueeze", [maskf, g.const("axis2", np.array([2], np.int64))])
    total = g.op(
        "ReduceSum",
        [g.op("Mul", [x, weights]), g.const("axis1", np.array([1], np.int64))],
        keepdims=0,
    )
    count = g.op("ReduceSum", [maskf, g.const("axis1b", np.array([1], np.int64))], keepdims=1)
    mean = g.op("Div", [total, g.op("Max", [count, g.const("tiny", np.array(1e-9, np.float32))])])
    norm = g.op("ReduceL2", [mean], axes=[1], keepdims=1)  # axes an attribute up to opset 17
    norm = g.op("Max", [norm, g.const("tiny2", np.array(1e-12, np.float32))])
    g.nodes.append(helper.make_node("Div", [mean, norm], ["embedding"]))
    graph = helper.make_graph(
        g.nodes,
        "sentence_encoder",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", hidden])],
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    return model.SerializeToString()
