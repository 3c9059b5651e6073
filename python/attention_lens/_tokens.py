"""Tokens in the report's shape, ``{id, text, start, end, special}`` with ``[start, end)`` in UTF-16
code units of ``text`` (what the views and VS Code count in), from token strings, from a Hugging
Face tokenizer and its ``input_ids``, or from a report's own tokens."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

# How vocabularies spell what a token stands for: SentencePiece and byte-level BPE mark a leading
# space with ▁ or Ġ (Ċ a newline); WordPiece marks a word's continuation with ##.
_MARKERS = {"\u2581": " ", "\u0120": " ", "\u010a": "\n", "\u0109": "\t"}
_SPECIAL = re.compile(r"^(<[^<>\s]+>|\[[A-Z]+\]|<\|[^|]*\|>)$")


def _surface(token: str) -> str:
    """The characters of the text a token string stands for, as far as its spelling tells."""
    if token.startswith("##"):
        return token[2:]
    return "".join(_MARKERS.get(ch, ch) for ch in token)


def _utf16(text: str, index: int) -> int:
    """A Python string index (code points) as a UTF-16 offset."""
    return index + sum(1 for ch in text[:index] if ord(ch) > 0xFFFF)


def _as_ids(input_ids: Any, batch: int) -> List[int]:
    if hasattr(input_ids, "detach"):
        input_ids = input_ids.detach()
    if hasattr(input_ids, "cpu"):
        input_ids = input_ids.cpu()
    if hasattr(input_ids, "numpy"):
        input_ids = input_ids.numpy()
    ids = np.asarray(input_ids)
    if ids.ndim == 2:
        ids = ids[batch]
    if ids.ndim != 1:
        raise ValueError(f"input_ids must be [T] or [batch, T]; got shape {ids.shape}")
    return [int(i) for i in ids]


def _place(strings: Sequence[str], special: Sequence[bool], text: Optional[str]) -> Tuple[str, List[Tuple[int, int]]]:
    """Offsets of each token in `text` (built from the tokens when None), in code points."""
    if text is None:
        # WordPiece vocabularies (no space markers anywhere) separate words with spaces.
        marked = any(m in s for s in strings for m in _MARKERS)
        pieces: List[str] = []
        for s, sp in zip(strings, special):
            if sp:
                continue
            pieces.append(_surface(s) if marked or s.startswith("##") or not pieces else " " + s)
        text = "".join(pieces)
    spans: List[Tuple[int, int]] = []
    cursor = 0
    for s, sp in zip(strings, special):
        surface = _surface(s)
        if sp or not surface:
            spans.append((cursor, cursor))
            continue
        for candidate in (surface, surface.lstrip(), surface.strip()):
            at = text.find(candidate, cursor) if candidate else -1
            # Only a match close to where the previous token ended is this token.
            if at >= 0 and not text[cursor:at].strip():
                spans.append((at, at + len(candidate)))
                cursor = at + len(candidate)
                break
        else:
            spans.append((cursor, cursor))
    return text, spans


def make_tokens(tokens: Any, text: Optional[str] = None, batch: int = 0) -> Tuple[str, List[Dict[str, Any]]]:
    """``(text, tokens)`` for a report from any accepted form of ``tokens``."""
    if isinstance(tokens, tuple) and len(tokens) == 2 and hasattr(tokens[0], "convert_ids_to_tokens"):
        tokenizer, input_ids = tokens
        ids = _as_ids(input_ids, batch)
        strings = [str(s) for s in tokenizer.convert_ids_to_tokens(ids)]
        special_ids = set(getattr(tokenizer, "all_special_ids", []) or [])
        special = [i in special_ids for i in ids]
        if text is None and hasattr(tokenizer, "decode"):
            text = tokenizer.decode([i for i, sp in zip(ids, special) if not sp])
    else:
        if hasattr(tokens, "tolist"):
            tokens = tokens.tolist()
        items = list(tokens)
        if items and all(isinstance(t, dict) for t in items):
            # A report's tokens: kept as they are, offsets included.
            if text is None:
                raise ValueError("tokens with offsets need the text they are offsets into (text=...)")
            return text, [
                {"id": int(t.get("id", -1)), "text": str(t["text"]), "start": int(t.get("start", 0)),
                 "end": int(t.get("end", 0)), "special": bool(t.get("special", False))}
                for t in items
            ]
        if not all(isinstance(t, str) for t in items):
            raise TypeError("tokens must be a list of strings, a report's tokens, or (tokenizer, input_ids)")
        strings = items
        ids = [-1] * len(strings)
        special = [bool(_SPECIAL.match(s)) for s in strings]
    text, spans = _place(strings, special, text)
    return text, [
        {"id": i, "text": s, "start": _utf16(text, a), "end": _utf16(text, b), "special": sp}
        for i, s, sp, (a, b) in zip(ids, strings, special, spans)
    ]
