"""Compatibility re-export: the one redaction lives in the pure layer (`etsy/redact.py`)."""

from ..etsy.redact import MASK, redact  # noqa: F401
