"""PLACEHOLDER until the metrics branch lands: column metadata lookups."""

from __future__ import annotations


def quality_columns() -> tuple[str, ...]:
    return ("fid", "fd_classifier", "w1")


def estimate_columns() -> tuple[str, ...]:
    return ("w_estimate", "js_estimate")
