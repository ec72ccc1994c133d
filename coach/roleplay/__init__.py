"""Role-play: a simulated buyer with a hidden agenda and an evidence-based scorecard.

personas (schema + loader) -> acts (rep turn classifier) -> state (hidden buyer state)
-> policy (next buyer act, with negotiation) -> render (template or LLM line) ->
scoring (rubrics, evidence, won-case examples); engine ties a session together,
service stores it (``RoleplayService``), voice/from_call add the other modes.
"""
