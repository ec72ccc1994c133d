"""Pre-visit scripts as the API and UI see them; the writing itself lives in :mod:`scripts_gen`."""
