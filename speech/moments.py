"""Key moments: objections, pricing, competitors and next steps, found with the
per-language phrase lists of ``speech/phrases`` (overridable by ``phrases_file``).

One moment per utterance and type, with the first phrase that matched. Objections are
only taken from the customer's side (a rep saying "a common concern is price" is not an
objection); the other types from anyone. Competitors match the names in the phrase
lists' ``competitors`` (plus ``extra_competitors``, e.g. ``speech.vocabulary``) and cue
words such as "another vendor" / "竞品".
"""

from __future__ import annotations

from speech.phrases import Phrases
from speech.types import Moment, MomentType, Utterance

#: moment type -> phrase lists consulted, in order
SOURCES: dict[MomentType, tuple[str, ...]] = {
    "objection": ("objection",),
    "pricing": ("pricing",),
    "competitor": ("competitors", "competitor"),
    "next_step": ("next_step",),
}


def find_moments(utterances: list[Utterance], phrases: Phrases) -> list[Moment]:
    """Moments in time order. ``utterances`` should carry roles (``rep`` utterances give
    no objections)."""
    out: list[Moment] = []
    for u in sorted(utterances, key=lambda u: (u.start, u.end)):
        for mtype, keys in SOURCES.items():
            if mtype == "objection" and u.role == "rep":
                continue
            phrase = next((p for key in keys if (p := phrases[key].find(u.text))), None)
            if phrase:
                out.append(Moment(type=mtype, utterance_id=u.id, time=round(u.start, 3), text=u.text, phrase=phrase))
    return out
