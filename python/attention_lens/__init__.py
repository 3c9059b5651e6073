"""Attention Lens for notebooks: ``show`` turns attention from any framework into an output that VS
Code draws with the Attention Lens views (and JupyterLab with the CLI's page); ``load`` reads the
CLI's reports."""

from ._load import load
from ._report import Report
from ._show import MIME_TYPE, AttentionView, show

__all__ = ["show", "load", "Report", "AttentionView", "MIME_TYPE"]
__version__ = "0.1.0"
