"""The compact attention encoding of the CLI's ``--html`` page, shared with notebook outputs: one
base64 block per layer, float32 (exact), float16 or uint8, with only the lower triangle stored for a
causal model. The size thresholds and rounding follow the CLI, so a notebook and a page made from
the same attention hold the same numbers."""

from __future__ import annotations

import base64
from typing import Any, Dict, List

import numpy as np

PRECISIONS = ("float32", "float16", "uint8")
# Largest |stored - original| for a probability: float16 keeps 11 significant bits (half step below
# 1 is 2^-12); uint8 steps are 1/255.
MAX_ERROR = {"float32": 0.0, "float16": 2.0 ** -12, "uint8": 1.0 / 510}
# Past these many stored values float32 (then float16) makes the output needlessly large.
FLOAT32_LIMIT = 2 ** 21
FLOAT16_LIMIT = 2 ** 24


def choose_precision(stored_values: int, precision: str = "auto") -> str:
    """``precision`` itself, or for "auto" the CLI's choice by size."""
    if precision == "auto":
        return "float32" if stored_values <= FLOAT32_LIMIT else "float16" if stored_values <= FLOAT16_LIMIT else "uint8"
    if precision not in PRECISIONS:
        raise ValueError(f'precision must be "auto" or one of {", ".join(PRECISIONS)}; got {precision!r}')
    return precision


def _lower_triangle(layer: np.ndarray) -> np.ndarray:
    T = layer.shape[-1]
    rows, cols = np.tril_indices(T)
    return layer[:, rows, cols].reshape(-1)


def _to_bytes(values: np.ndarray, precision: str) -> bytes:
    if precision == "float32":
        return values.astype("<f4").tobytes()
    if precision == "float16":
        return values.astype("<f2").tobytes()
    scaled = values.astype(np.float64) * 255
    # Round half up, clamped to [0, 255]; NaN becomes 0, as the CLI's quantizer does.
    q = np.where(scaled >= 255, 255, np.where(scaled > 0, np.floor(scaled + 0.5), 0))
    return q.astype(np.uint8).tobytes()


def encode_attention(attention: np.ndarray, causal: bool, precision: str = "auto") -> Dict[str, Any]:
    """``attention`` [layers, heads, T, T] as the document's compact ``attention`` member."""
    layers, heads, T, _ = attention.shape
    layout = "causal" if causal else "full"
    per_layer = heads * (T * (T + 1) // 2 if causal else T * T)
    chosen = choose_precision(per_layer * layers, precision)
    blocks: List[str] = []
    for layer in attention:
        values = _lower_triangle(layer) if causal else layer.reshape(-1)
        blocks.append(base64.b64encode(_to_bytes(values, chosen)).decode("ascii"))
    return {"encoding": "base64", "precision": chosen, "layout": layout, "maxError": MAX_ERROR[chosen], "layers": blocks}


def decode_attention(member: Dict[str, Any], heads: int, T: int) -> np.ndarray:
    """The compact ``attention`` member back to float32 [layers, heads, T, T]."""
    precision = member.get("precision")
    if precision not in PRECISIONS:
        raise ValueError(f"unknown attention precision {precision!r}")
    causal = member.get("layout") == "causal"
    out = np.zeros((len(member["layers"]), heads, T, T), dtype=np.float32)
    rows, cols = np.tril_indices(T)
    for l, block in enumerate(member["layers"]):
        raw = base64.b64decode(block)
        dtype = {"float32": "<f4", "float16": "<f2", "uint8": np.uint8}[precision]
        values = np.frombuffer(raw, dtype=dtype).astype(np.float32)
        if precision == "uint8":
            values = values / np.float32(255)
        if causal:
            out[l][:, rows, cols] = values.reshape(heads, -1)
        else:
            out[l] = values.reshape(heads, T, T)
    return out
