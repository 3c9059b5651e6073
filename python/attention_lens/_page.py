"""The CLI's ``--html`` page for a document. The page itself (views script, styles, content security
policy) is the template ``npm run build`` writes from the CLI's own page code; this fills in one
report's header, JSON and attention blocks, as the CLI does."""

from __future__ import annotations

import html
import json
import os
import re
from typing import Any, Dict

TEMPLATE = os.path.join(os.path.dirname(__file__), "page_template.html")


def _json_for_script(value: Any) -> str:
    # Inside <script>, only "</script" and "<!--" change how HTML parses the text.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _stored(precision: str, max_error: float) -> str:
    if precision == "float32":
        return "attention stored as float32 (exact)"
    return f"attention stored as {precision} (error ≤ {max_error:.2g})"


def page_html(doc: Dict[str, Any]) -> str:
    """The self-contained page; raises FileNotFoundError when the template was not built."""
    if not os.path.exists(TEMPLATE):
        raise FileNotFoundError(f"text/html needs {TEMPLATE}, which `npm run build` writes")
    with open(TEMPLATE, encoding="utf-8") as f:
        page = f.read()
    model, attention = doc["model"], doc["attention"]
    embedded = {
        "format": doc["format"],
        "model": model,
        "text": doc["text"],
        "tokens": doc["tokens"],
        "warnings": doc.get("warnings", []),
        "attention": {"precision": attention["precision"], "layout": attention["layout"], "maxError": attention["maxError"]},
    }
    shape = (f"{len(doc['tokens'])} tokens · {model['layers']} layers × {model['heads']} heads · "
             f"{'causal' if model.get('causal') else 'bidirectional'} · {_stored(attention['precision'], attention['maxError'])}")
    layers = "\n".join(
        f'<script type="application/octet-stream" class="attention-lens-layer" data-layer="{l}">{block}</script>'
        for l, block in enumerate(attention["layers"])
    )
    report = f'<script type="application/json" id="attention-lens-report">{_json_for_script(embedded)}</script>'
    parts = {
        "@@ATTENTION_LENS_MODEL@@": html.escape(str(model["id"]), quote=True),
        "@@ATTENTION_LENS_SHAPE@@": html.escape(shape, quote=True),
        "@@ATTENTION_LENS_WARNINGS@@": "\n".join(f'<p class="al-page-warning">{html.escape(w)}</p>' for w in embedded["warnings"]),
        "@@ATTENTION_LENS_REPORT@@": report,
        "@@ATTENTION_LENS_LAYERS@@": layers,
    }
    # One pass over the template: markers inside the inserted text (a report may quote anything) stay.
    return re.sub(r"@@ATTENTION_LENS_[A-Z]+@@", lambda m: parts.get(m.group(0), m.group(0)), page)
