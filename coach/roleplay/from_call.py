"""A simulation built from a stored, analysed call: the customer's objection, pricing
and competitor moments become the buyer's agenda (their own words are the lines), the
customer's other statements become the buyer's background, and a shipped persona of
the same industry and language lends the voice, needs, budget and templates."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import yaml

from coach.errors import InputError, NotFoundError
from coach.roleplay.personas import OBJECTION_IDS, AgendaItem, Persona, Trigger, load_personas

log = logging.getLogger(__name__)

#: fallback objection classifier when the playbook has no triggers for an id
_KEYWORDS: dict[str, list[str]] = {
    "price": ["price", "expensive", "cost", "cheaper", "discount", "价格", "贵", "便宜", "报价"],
    "budget-timing": ["budget", "next year", "next quarter", "预算", "明年"],
    "competitor": ["competitor", "other vendor", "already use", "竞品", "别家", "其他厂家"],
    "clinical-evidence": ["clinical", "evidence", "study", "临床", "证据"],
    "integration": ["integrat", "ehr", "erp", "crm", "api", "对接", "集成"],
    "switching-cost": ["switch", "migrat", "retrain", "replace", "更换", "迁移"],
    "authority": ["my boss", "not my decision", "approve", "sign off", "领导", "审批", "拍板"],
    "procurement-process": ["tender", "procurement", "purchasing", "招标", "采购流程"],
    "roi-proof": ["roi", "payback", "return", "回报", "回本"],
    "service-coverage": ["service", "support", "repair", "维修", "售后", "服务"],
    "risk-safety": ["risk", "safe", "safety", "风险", "安全"],
    "contract-terms": ["contract", "terms", "payment", "合同", "付款", "账期"],
    "status-quo": ["fine as is", "works fine", "not now", "happy with", "现在挺好", "不需要"],
}
_RESOLVED_BY: dict[str, list[str]] = {
    "price": ["roi", "concession", "evidence"],
    "budget-timing": ["roi", "next_step", "concession"],
    "competitor": ["evidence", "roi"],
    "authority": ["next_step"],
    "procurement-process": ["next_step", "clarify"],
    "contract-terms": ["concession", "clarify", "next_step"],
    "integration": ["evidence", "next_step"],
    "switching-cost": ["evidence", "roi", "next_step"],
}


def _playbook_triggers(knowledge_dir: Path) -> dict[str, list[str]]:
    path = Path(knowledge_dir) / "playbook" / "objections.yaml"
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        log.warning("playbook unreadable (%s); using built-in objection keywords", exc)
        return {}
    entries = data.get("objections", data) if isinstance(data, dict) else data
    out: dict[str, list[str]] = {}
    for e in entries or []:
        if isinstance(e, dict) and e.get("id") in OBJECTION_IDS:
            trig = e.get("triggers") or {}
            words = [w for lang in ("en", "zh") for w in (trig.get(lang) or [])] if isinstance(trig, dict) else list(trig)
            out[e["id"]] = [str(w).lower() for w in words]
    return out


def classify_objection(text: str, moment_type: str, triggers: dict[str, list[str]]) -> str:
    if moment_type == "pricing":
        return "price"
    if moment_type == "competitor":
        return "competitor"
    low = text.lower()
    best, best_n = "status-quo", 0
    for oid in OBJECTION_IDS:
        words = triggers.get(oid, []) + _KEYWORDS.get(oid, [])
        n = sum(1 for w in words if w and w in low)
        if n > best_n:
            best, best_n = oid, n
    return best


def _load_call(db: Any, call_id: str) -> tuple[Any, dict]:
    from coach.db.models import Account, Call

    with db.session() as s:
        call = s.get(Call, call_id)
        if call is None:
            raise NotFoundError(f"unknown call {call_id!r}")
        if call.analysis is None:
            raise InputError(f"call {call_id} is not analysed yet (status {call.status})", detail="run salescoach analyze first")
        account = s.get(Account, call.account_id) if call.account_id else None
        meta = {
            "title": call.title,
            "language": call.language,
            "account": account.name if account else None,
            "industry": account.industry if account else None,
        }
        return meta, dict(call.analysis.document)


def persona_from_analysis(call_id: str, meta: dict, doc: dict, knowledge_dir: Path) -> Persona:
    utts = {u["id"]: u for u in doc.get("utterances", [])}
    moments = [
        m
        for m in doc.get("moments", [])
        if m.get("type") in ("objection", "pricing", "competitor") and utts.get(m.get("utterance_id"), {}).get("role") == "customer"
    ]
    if not moments:
        raise InputError(
            f"call {call_id} has no customer objections to practise",
            detail="its analysis found no objection, pricing or competitor moment on the customer's side",
        )
    language = "zh" if (meta.get("language") or doc.get("language") or "en").startswith("zh") else "en"
    personas = list(load_personas(knowledge_dir).values())
    if not personas:
        raise NotFoundError("no personas to lend a voice to the call's buyer", detail=f"add YAML files to {knowledge_dir}/personas")
    industry = meta.get("industry")
    base = min(
        personas,
        key=lambda p: (p.language != language, p.industry != industry, p.difficulty != "medium", p.id),
    )
    triggers = _playbook_triggers(knowledge_dir)
    agenda: list[AgendaItem] = []
    seen: set[str] = set()
    for i, m in enumerate(sorted(moments, key=lambda m: m.get("time", 0.0))):
        text = re.sub(r"\s+", " ", m.get("text", "")).strip()[:240]
        oid = classify_objection(text, m["type"], triggers)
        if oid in seen or not text:
            continue
        seen.add(oid)
        trig = Trigger(when="price_mentioned") if oid == "price" else Trigger(when="after_turns", turns=2 + 3 * len(agenda))
        agenda.append(AgendaItem(objection=oid, trigger=trig, line=text, resolved_by=_RESOLVED_BY.get(oid, ["evidence", "roi"])))
    background = [
        re.sub(r"\s+", " ", u["text"]).strip()
        for u in doc.get("utterances", [])
        if u.get("role") == "customer" and len(u.get("text", "").split()) >= 6 and u["id"] not in {m["utterance_id"] for m in moments}
    ][:4] or base.background
    data = base.model_dump()
    data.update(
        id=f"call-{call_id}".lower(),
        company=meta.get("account") or base.company,
        objection_agenda=[a.model_dump() for a in agenda],
        background=background,
        opening_line=base.opening_line,
    )
    log.info("persona from call %s: base %s, agenda %s", call_id, base.id, [a.objection for a in agenda])
    return Persona.model_validate(data)


def persona_from_call(services: Any, call_id: str) -> Persona:
    meta, doc = _load_call(services.db, call_id)
    return persona_from_analysis(call_id, meta, doc, Path(services.settings.knowledge_dir))
