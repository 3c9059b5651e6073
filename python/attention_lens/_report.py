"""An ``attention-lens/v1`` report held in memory: what ``show`` draws and ``load`` returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List

import numpy as np

FORMAT = "attention-lens/v1"


@dataclass
class Report:
    """Model facts, text, tokens and attention as float32 ``[layers, heads, T, T]``."""

    model: Dict[str, Any]
    text: str
    tokens: List[Dict[str, Any]]
    attention: np.ndarray
    warnings: List[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.attention = np.asarray(self.attention, dtype=np.float32)
        if self.attention.ndim != 4 or self.attention.shape[2] != self.attention.shape[3]:
            raise ValueError(f"attention must be [layers, heads, T, T]; got shape {self.attention.shape}")
        layers, heads, T, _ = self.attention.shape
        if T != len(self.tokens):
            raise ValueError(f"attention covers {T} tokens but {len(self.tokens)} tokens were given")
        self.model = {**self.model, "layers": int(layers), "heads": int(heads)}
        self.model.setdefault("causal", is_causal(self.attention))

    @property
    def shape(self) -> tuple:
        return tuple(self.attention.shape)

    def show(self, *, precision: str = "auto"):
        """The notebook output for this report (see ``attention_lens.show``)."""
        from ._show import AttentionView

        return AttentionView(self, precision=precision)


def is_causal(attention: np.ndarray) -> bool:
    """True when every weight above the diagonal is exactly zero: a causal model's attention."""
    T = attention.shape[-1]
    if T < 2:
        return False
    upper = np.triu(np.ones((T, T), dtype=bool), k=1)
    return bool(not np.any(attention[..., upper]))
