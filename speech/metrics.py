"""Conversation metrics, as defined in docs/contracts/metrics.md.

* talk_ratio: rep speaking seconds / all speaking seconds (utterance durations, so
  silence is excluded); None when no rep is identified.
* longest_monologue_s / longest_customer_story_s: longest stretch (first start to last
  end) of one side's utterances not broken by the other side for more than a backchannel
  (an utterance made only of backchannel phrases: "ok", "mm-hm", "对").
* interactivity: speaker switches between consecutive utterances per minute of call
  (first start to last end).
* patience_s: mean pause between the end of a customer utterance (not a backchannel) and
  the start of the rep's next utterance directly after it (overlap counts 0).
* questions: sentences ending in "?"/"？"; unpunctuated English sentences starting with an
  interrogative; Chinese sentences with a final 吗/呢 or an interrogative word
  (什么, 怎么, 为什么, 是不是, ...). Rep questions are open (what/how/why/tell me/
  describe..., 什么/怎么/为什么/如何...) or closed (everything else).
* words_per_minute: words / speaking minutes per speaker; Chinese words come from jieba
  segmentation (so Chinese figures are words, not characters, per minute).
* filler_words_per_min: filler phrase hits in the rep's utterances per rep speaking
  minute.
"""

from __future__ import annotations

import re

from speech.phrases import Phrases
from speech.phrases.text import CJK_RE, LATIN_WORD_RE, count_words, normalize, split_sentences
from speech.types import Metrics, Utterance


def _first_words(sentence: str, phrases: Phrases) -> str:
    """Lower-cased sentence without leading lead-ins ("so", "okay", ...)."""
    s = normalize(sentence).lower()
    lead_ins = sorted(phrases.questions.get("lead_ins", []), key=len, reverse=True)
    changed = True
    while changed:
        changed = False
        s = s.lstrip(" ,.-")
        for lead in lead_ins:
            if re.match(rf"{re.escape(lead)}\b[ ,]", s):
                s = s[len(lead) :]
                changed = True
                break
    return s.strip(" ,")


def _starts_with(s: str, prefixes: list[str]) -> bool:
    return any(re.match(rf"{re.escape(p)}(?![\w'])", s) for p in prefixes)


def _is_cjk(sentence: str) -> bool:
    return len(CJK_RE.findall(sentence)) > len(LATIN_WORD_RE.findall(sentence))


def is_question(sentence: str, phrases: Phrases) -> bool:
    s = sentence.strip()
    if not s:
        return False
    if s.endswith(("?", "？")):
        return True
    q = phrases.questions
    if _is_cjk(s):
        if s.endswith(("。", "！", "!")):
            return False
        core = s.rstrip("，,。.！!～~ ")
        if core and core[-1] in "".join(q.get("final_particles", [])):
            return True
        masked = core
        for phrase in q.get("not_questions", []):
            masked = masked.replace(phrase, "")
        return any(w in masked for w in q.get("interrogatives", []))
    if s[-1] in ".!…":
        return False
    return _starts_with(_first_words(s, phrases), q.get("interrogative_starts", []))


def question_kind(sentence: str, phrases: Phrases) -> str:
    """"open" or "closed" for a sentence already known to be a question."""
    q = phrases.questions
    if _is_cjk(sentence):
        return "open" if any(w in sentence for w in q.get("open_words", [])) else "closed"
    return "open" if _starts_with(_first_words(sentence, phrases), q.get("open_starts", [])) else "closed"


def questions_in(text: str, phrases: Phrases) -> list[str]:
    return [s for s in split_sentences(text) if is_question(s, phrases)]


def count_questions(text: str, phrases: Phrases) -> int:
    return len(questions_in(text, phrases))


def is_backchannel(u: Utterance, phrases: Phrases) -> bool:
    return (u.end - u.start) <= 3.0 and phrases["backchannel"].fullmatch(u.text)


def longest_run(utts: list[Utterance], roles: dict[str, str], side: str, phrases: Phrases) -> list[Utterance]:
    """The utterances of ``side``'s longest stretch not broken by the other side for more
    than a backchannel: the one definition behind ``longest_monologue_s`` (rep) and
    ``longest_customer_story_s`` (customer), and the evidence every surface points at."""
    best: list[Utterance] = []
    best_s = 0.0
    run: list[Utterance] = []
    end = None
    for u in utts:
        if roles.get(u.speaker) == side:
            if not run:
                end = None
            run.append(u)
            end = max(end or u.end, u.end)
            if end - run[0].start > best_s:
                best, best_s = list(run), end - run[0].start
        elif not is_backchannel(u, phrases):
            run = []
    return best


def _longest_stretch(utts: list[Utterance], roles: dict[str, str], side: str, phrases: Phrases) -> float:
    run = longest_run(utts, roles, side, phrases)
    return round(max(u.end for u in run) - run[0].start, 2) if run else 0.0


def compute_metrics(
    utterances: list[Utterance],
    roles: dict[str, str],
    phrases: Phrases,
    *,
    timed: bool = True,
) -> Metrics:
    """Metrics for utterances whose speakers have ``roles`` (speaker -> rep|customer|unknown).
    ``timed=False`` (times estimated from word counts) leaves out patience and words per
    minute, which would only echo the estimate."""
    utts = sorted(utterances, key=lambda u: (u.start, u.end))
    m = Metrics()
    if not utts:
        return m
    talk: dict[str, float] = {}
    words: dict[str, int] = {}
    for u in utts:
        talk[u.speaker] = talk.get(u.speaker, 0.0) + max(u.end - u.start, 0.0)
        words[u.speaker] = words.get(u.speaker, 0) + count_words(u.text)
    total = sum(talk.values())
    rep_s = sum(s for spk, s in talk.items() if roles.get(spk) == "rep")
    has_rep = any(r == "rep" for r in roles.values())
    if has_rep and total > 0:
        m.talk_ratio = round(rep_s / total, 3)
    m.longest_monologue_s = _longest_stretch(utts, roles, "rep", phrases)
    m.longest_customer_story_s = _longest_stretch(utts, roles, "customer", phrases)
    span_min = (max(u.end for u in utts) - utts[0].start) / 60.0
    switches = sum(1 for a, b in zip(utts, utts[1:]) if a.speaker != b.speaker)
    m.interactivity = round(switches / span_min, 2) if span_min > 0 else 0.0
    if timed:
        pauses = [
            max(b.start - a.end, 0.0)
            for a, b in zip(utts, utts[1:])
            if roles.get(a.speaker) == "customer" and roles.get(b.speaker) == "rep" and not is_backchannel(a, phrases)
        ]
        m.patience_s = round(sum(pauses) / len(pauses), 2) if pauses else None
        m.words_per_minute = {
            spk: round(words[spk] / (talk[spk] / 60.0), 1) for spk in talk if talk[spk] > 0
        }
    for u in utts:
        role = roles.get(u.speaker)
        if role not in ("rep", "customer"):
            continue
        qs = questions_in(u.text, phrases)
        if role == "customer":
            m.questions_customer += len(qs)
            continue
        m.questions_rep += len(qs)
        for q in qs:
            if question_kind(q, phrases) == "open":
                m.questions_rep_open += 1
            else:
                m.questions_rep_closed += 1
    if has_rep and rep_s > 0:
        fillers = sum(phrases["filler"].count(u.text) for u in utts if roles.get(u.speaker) == "rep")
        m.filler_words_per_min = round(fillers / (rep_s / 60.0), 2)
    return m
