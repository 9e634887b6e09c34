"""Op-table rows for the losses of nn.functional (collected by ``test_ops.py``)."""

from __future__ import annotations

from op_cases import Row  # noqa: F401

ROWS: list[Row] = []
