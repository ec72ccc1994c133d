"""Features provided by optional or not-yet-installed modules answer 503, not 500."""

from __future__ import annotations

import importlib
from types import ModuleType

from coach.errors import SalesCoachError


class FeatureUnavailableError(SalesCoachError):
    """A feature whose module is not available in this installation."""

    http_status = 503
    code = "unavailable"


def require_feature(module: str, feature: str) -> ModuleType:
    """Import ``module`` or raise :class:`FeatureUnavailableError` naming ``feature``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise FeatureUnavailableError(
            f"{feature} is not available in this installation", detail=f"module {module} could not be imported: {exc}"
        ) from exc
