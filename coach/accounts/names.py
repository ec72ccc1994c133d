"""Close matches of an account name, for "did you mean ...?" in errors."""

from __future__ import annotations

import difflib


def suggest_names(name: str, names: list[str], n: int = 3) -> list[str]:
    """Close matches of ``name`` among ``names`` (case-insensitive difflib)."""
    lowered = {x.lower(): x for x in names}
    return [lowered[m] for m in difflib.get_close_matches(name.strip().lower(), list(lowered), n=n, cutoff=0.5)]
