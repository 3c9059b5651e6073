"""``load``: the CLI's reports back into memory, from JSON (``--out report.json``) or safetensors
(``--out report.safetensors``), with numpy alone."""

from __future__ import annotations

import json
import struct
from typing import Any, Dict

import numpy as np

from ._encode import decode_attention
from ._report import FORMAT, Report

_DTYPES = {"F32": "<f4", "F16": "<f2"}


def load(path: str) -> Report:
    """Reads an ``attention-lens/v1`` report: JSON, or safetensors (by the file's first bytes)."""
    with open(path, "rb") as f:
        head = f.read(16)
    if head.lstrip()[:1] == b"{":
        return _from_json(path)
    return _from_safetensors(path)


def _from_document(doc: Dict[str, Any], path: str) -> Report:
    if doc.get("format") != FORMAT:
        raise ValueError(f"{path} is not an {FORMAT} report (format is {doc.get('format')!r})")
    model, tokens = doc["model"], doc["tokens"]
    attention = doc["attention"]
    if isinstance(attention, dict):
        values = decode_attention(attention, int(model["heads"]), len(tokens))
    else:
        values = np.asarray(attention, dtype=np.float32)
        if values.ndim != 4:
            values = values.reshape(int(model["layers"]), int(model["heads"]), len(tokens), len(tokens))
    return Report(model=model, text=doc["text"], tokens=tokens, attention=values, warnings=list(doc.get("warnings", [])))


def _from_json(path: str) -> Report:
    with open(path, encoding="utf-8") as f:
        return _from_document(json.load(f), path)


def _from_safetensors(path: str) -> Report:
    # safetensors: an 8-byte little-endian header length, a JSON header, then the raw tensor bytes.
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) < 8:
            raise ValueError(f"{path} is neither a JSON nor a safetensors report")
        (size,) = struct.unpack("<Q", raw)
        try:
            header = json.loads(f.read(size).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path} is neither a JSON nor a safetensors report ({error})") from None
        data = f.read()
    meta = header.pop("__metadata__", {}) or {}
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path} is a safetensors file but not an {FORMAT} report (metadata format is {meta.get('format')!r})")
    model = json.loads(meta["model"])
    tokens = json.loads(meta["tokens"])
    names = sorted((k for k in header if k.startswith("attention.")), key=lambda k: int(k.split(".", 1)[1]))
    if not names:
        raise ValueError(f"{path} holds no attention.<layer> tensors")
    layers = []
    for name in names:
        entry = header[name]
        dtype = _DTYPES.get(entry["dtype"])
        if dtype is None:
            raise ValueError(f"{name} is {entry['dtype']}; attention reports hold F32 or F16")
        start, end = entry["data_offsets"]
        tensor = np.frombuffer(data[start:end], dtype=dtype).reshape(entry["shape"]).astype(np.float32)
        layers.append(tensor)
    warnings = json.loads(meta["warnings"]) if "warnings" in meta else []
    return Report(model=model, text=meta.get("text", ""), tokens=tokens, attention=np.stack(layers), warnings=warnings)
