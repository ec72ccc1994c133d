"""The one reading of a call's emotional shifts that every surface uses (call page, report,
metrics tab, team view, flagged calls, CLI listings), so they all tell the same story.

Works on the stored analysis JSON (dicts, as ``CallAnalysis.to_json_dict`` writes it) or on
:class:`~speech.types.EmotionShift` objects.

* customer shifts: role ``customer``, or ``unknown`` when no speaker was identified as the
  customer (a one-sided or unlabelled call);
* key shifts: the customer's ``KEY_SHIFTS`` strongest, the ones shown by default;
* a negative customer shift is *recovered* when a positive customer shift follows within
  ``RECOVERY_WINDOW`` utterances.
"""

from __future__ import annotations

from typing import Any, Iterable

from pydantic import BaseModel

#: the customer's strongest shifts shown by default (the rep's are behind a toggle)
KEY_SHIFTS = 3
#: utterances after a cooling within which a warming counts as recovery
RECOVERY_WINDOW = 6
CUSTOMER_ROLES = ("customer", "unknown")


def _get(shift: Any, key: str) -> Any:
    if isinstance(shift, dict):
        return shift.get("from" if key == "from_" else key)
    return getattr(shift, key, None)


def is_customer(shift: Any) -> bool:
    return _get(shift, "role") in CUSTOMER_ROLES


def customer_shifts(shifts: Iterable[Any]) -> list[Any]:
    return [s for s in shifts if is_customer(s)]


def strongest(shifts: Iterable[Any], k: int | None = KEY_SHIFTS) -> list[Any]:
    """Strongest first (ties: earlier first); all when ``k`` is None."""
    ranked = sorted(shifts, key=lambda s: (-(_get(s, "strength") or 0.0), _get(s, "time") or 0.0))
    return ranked if k is None else ranked[:k]


def key_shifts(shifts: Iterable[Any], k: int = KEY_SHIFTS) -> list[Any]:
    """The customer's ``k`` strongest shifts, in time order (what a page shows by default)."""
    return sorted(strongest(customer_shifts(shifts), k), key=lambda s: _get(s, "time") or 0.0)


class ShiftSummary(BaseModel):
    customer: int = 0
    customer_negative: int = 0
    customer_positive: int = 0
    #: negative customer shifts with no customer warming within RECOVERY_WINDOW utterances
    customer_negative_unrecovered: int = 0
    rep: int = 0
    #: utterance ids of the key shifts
    key: list[str] = []


def summarize(shifts: Iterable[Any], utterance_ids: list[str] | None = None) -> ShiftSummary:
    """Counts for a call. ``utterance_ids`` (conversation order) enables recovery; without
    it every negative customer shift counts as unrecovered."""
    items = list(shifts)
    cust = customer_shifts(items)
    neg = [s for s in cust if _get(s, "direction") == "negative"]
    pos = [s for s in cust if _get(s, "direction") == "positive"]
    pos_ids = {_get(s, "utterance_id") for s in pos}
    index = {uid: i for i, uid in enumerate(utterance_ids or [])}
    unrec = 0
    for s in neg:
        i = index.get(_get(s, "utterance_id"))
        ids = utterance_ids or []
        window = set(ids[i + 1: i + 1 + RECOVERY_WINDOW]) if i is not None else set()
        unrec += not (window & pos_ids)
    return ShiftSummary(
        customer=len(cust), customer_negative=len(neg), customer_positive=len(pos),
        customer_negative_unrecovered=unrec, rep=len(items) - len(cust),
        key=[str(uid) for s in key_shifts(items) if (uid := _get(s, "utterance_id")) is not None],
    )


def summarize_doc(doc: dict[str, Any]) -> ShiftSummary:
    """:func:`summarize` of a stored analysis JSON document."""
    return summarize(doc.get("emotion_shifts") or [], [u.get("id") for u in doc.get("utterances") or []])
