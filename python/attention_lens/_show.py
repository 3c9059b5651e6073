"""``show``: attention from any framework as a notebook output the Attention Lens renderer draws."""

from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from ._encode import encode_attention
from ._page import page_html
from ._report import FORMAT, Report
from ._tokens import make_tokens

MIME_TYPE = "application/vnd.attention-lens.v1+json"


def _to_numpy(x: Any) -> np.ndarray:
    """A numpy array from a numpy array or anything torch-shaped (detach, cpu, float, numpy)."""
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "cpu"):
        x = x.cpu()
    # numpy has no bfloat16, and float16 would only be widened later anyway.
    if hasattr(x, "float") and hasattr(x, "numpy"):
        x = x.float()
    if hasattr(x, "numpy"):
        return np.asarray(x.numpy())
    return np.asarray(x)


def _stack(attentions: Any, batch: int) -> np.ndarray:
    """[layers, heads, T, T] from HF ``outputs.attentions`` or one array."""
    if isinstance(attentions, (tuple, list)):
        if not attentions:
            raise ValueError("attentions is empty: was the model run with output_attentions=True?")
        layers = []
        for l, layer in enumerate(attentions):
            a = _to_numpy(layer)
            if a.ndim == 4:
                if not 0 <= batch < a.shape[0]:
                    raise IndexError(f"batch {batch} is outside 0..{a.shape[0] - 1}")
                a = a[batch]
            if a.ndim != 3 or a.shape[1] != a.shape[2]:
                raise ValueError(f"layer {l} must be [batch, heads, T, T] or [heads, T, T]; got shape {a.shape}")
            layers.append(a.astype(np.float32, copy=False))
        shapes = {a.shape for a in layers}
        if len(shapes) != 1:
            raise ValueError(f"layers differ in shape: {sorted(shapes)}")
        return np.stack(layers)
    a = _to_numpy(attentions)
    if a.ndim == 5:
        a = a[:, batch]
    if a.ndim != 4 or a.shape[2] != a.shape[3]:
        raise ValueError(f"attentions must be a tuple of [batch, heads, T, T] or an array [layers, heads, T, T]; got shape {a.shape}")
    return a.astype(np.float32, copy=False)


def _model_info(model: Any) -> Dict[str, Any]:
    if model is None:
        return {"id": "attention"}
    if isinstance(model, str):
        return {"id": model}
    if isinstance(model, dict):
        return {"id": "attention", **model}
    config = getattr(model, "config", None)
    if config is not None:
        # A transformers model: its name, and its architecture for the caption.
        name = getattr(config, "_name_or_path", None) or getattr(config, "model_type", None) or type(model).__name__
        info: Dict[str, Any] = {"id": str(name)}
        archs = getattr(config, "architectures", None)
        if archs:
            info["architecture"] = str(archs[0])
        return info
    raise TypeError("model must be a name, a dict of model facts, or a transformers model")


def show(attentions: Any, tokens: Any = None, *, text: Optional[str] = None, model: Any = None,
         precision: str = "auto", batch: int = 0) -> "AttentionView":
    """Attention as a notebook output: Hugging Face ``outputs.attentions`` (a tuple of [batch, heads,
    T, T] torch or numpy arrays; ``batch`` picks the sequence) or an array [layers, heads, T, T], with
    tokens as strings, a report's tokens, or ``(tokenizer, input_ids)``. A loaded ``Report`` may be
    passed alone."""
    if isinstance(attentions, Report):
        return AttentionView(attentions, precision=precision)
    if tokens is None:
        raise TypeError("show needs the tokens: a list of strings or (tokenizer, input_ids)")
    stacked = _stack(attentions, batch)
    full_text, token_list = make_tokens(tokens, text, batch)
    return AttentionView(Report(model=_model_info(model), text=full_text, tokens=token_list, attention=stacked), precision=precision)


class AttentionView:
    """A notebook output: the Attention Lens views in VS Code, the CLI's page elsewhere."""

    def __init__(self, report: Report, precision: str = "auto"):
        self.report = report
        self.precision = precision
        self._document: Optional[Dict[str, Any]] = None

    def document(self) -> Dict[str, Any]:
        """The ``attention-lens/v1`` document of the MIME type, attention in the compact encoding."""
        if self._document is None:
            r = self.report
            doc: Dict[str, Any] = {
                "format": FORMAT,
                "model": r.model,
                "text": r.text,
                "tokens": r.tokens,
                "attention": encode_attention(r.attention, bool(r.model.get("causal")), self.precision),
            }
            if r.warnings:
                doc["warnings"] = list(r.warnings)
            self._document = doc
        return self._document

    def html(self) -> str:
        """The CLI's self-contained ``--html`` page for this attention."""
        return page_html(self.document())

    def save_html(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.html())

    def __repr__(self) -> str:
        layers, heads, T, _ = self.report.shape
        kind = "causal" if self.report.model.get("causal") else "bidirectional"
        return f"<Attention Lens: {self.report.model.get('id')}, {T} tokens, {layers} layers × {heads} heads, {kind}>"

    def _repr_mimebundle_(self, include=None, exclude=None) -> Dict[str, Any]:
        bundle: Dict[str, Any] = {MIME_TYPE: self.document(), "text/plain": repr(self)}
        try:
            bundle["text/html"] = _iframe(self.html())
        except FileNotFoundError as error:
            # A source checkout before `npm run build`: the renderer's output still works.
            bundle["text/plain"] = f"{repr(self)}\n({error})"
        if include:
            bundle = {k: v for k, v in bundle.items() if k in include}
        if exclude:
            bundle = {k: v for k, v in bundle.items() if k not in exclude}
        return bundle


def _iframe(page: str) -> str:
    # The page is a whole document with its own content security policy: a frame keeps it whole and
    # apart from the notebook's page (and from other outputs' element ids).
    escaped = page.replace("&", "&amp;").replace('"', "&quot;")
    return (
        '<iframe title="Attention Lens" sandbox="allow-scripts" '
        'style="width: 100%; height: 1200px; border: 0; resize: vertical;" '
        f'srcdoc="{escaped}"></iframe>'
    )
