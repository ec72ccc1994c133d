"""Personal data: PII redaction of text before it is stored or sent to a non-local LLM."""
