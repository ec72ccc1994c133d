"""Metadata filters shared by the vector store (Chroma ``where``) and BM25 (a mask)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from retrieval.errors import InputError
from retrieval.cases import OUTCOMES, norm_key


@dataclass(frozen=True)
class Filters:
    outcome: str | None = None
    industry: str | None = None
    product: str | None = None
    region: str | None = None
    min_deal_size: float | None = None
    max_deal_size: float | None = None

    @classmethod
    def build(cls, **kw: Any) -> "Filters":
        """Validated, normalised filters (empty strings mean 'no filter')."""
        clean: dict[str, Any] = {}
        for key in ("outcome", "industry", "product", "region"):
            value = kw.get(key)
            clean[key] = norm_key(value) or None if value is not None else None
        if clean["outcome"] is not None and clean["outcome"] not in OUTCOMES:
            raise InputError(f"outcome filter must be 'won' or 'lost', got {kw.get('outcome')!r}")
        for key in ("min_deal_size", "max_deal_size"):
            value = kw.get(key)
            if value is not None:
                try:
                    clean[key] = float(value)
                except (TypeError, ValueError):
                    raise InputError(f"{key} must be a number, got {value!r}") from None
            else:
                clean[key] = None
        lo, hi = clean["min_deal_size"], clean["max_deal_size"]
        if lo is not None and hi is not None and lo > hi:
            raise InputError(f"min_deal_size ({lo:g}) is larger than max_deal_size ({hi:g})")
        unknown = set(kw) - set(clean)
        if unknown:
            raise InputError("unknown filter(s): " + ", ".join(sorted(unknown)))
        return cls(**clean)

    @property
    def active(self) -> bool:
        return any(v is not None for v in self.__dict__.values())

    def equalities(self) -> dict[str, str]:
        """metadata key -> normalised value (chunk metadata carries f_* keys)."""
        out: dict[str, str] = {}
        if self.outcome:
            out["outcome"] = self.outcome
        for key in ("industry", "product", "region"):
            value = getattr(self, key)
            if value:
                out[f"f_{key}"] = value
        return out

    def chroma_where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = [{k: v} for k, v in self.equalities().items()]
        if self.min_deal_size is not None:
            clauses.append({"deal_size": {"$gte": self.min_deal_size}})
        if self.max_deal_size is not None:
            clauses.append({"deal_size": {"$lte": self.max_deal_size}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def matches(self, meta: dict[str, Any]) -> bool:
        """Same semantics as :meth:`chroma_where`, for records already in memory."""
        if any(meta.get(k) != v for k, v in self.equalities().items()):
            return False
        size = meta.get("deal_size")
        if self.min_deal_size is not None and (size is None or size < self.min_deal_size):
            return False
        if self.max_deal_size is not None and (size is None or size > self.max_deal_size):
            return False
        return True
