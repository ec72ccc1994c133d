"""Every REST endpoint documents a typed response: its success response in the OpenAPI
document is a named model (``ui/api/schemas.py`` and the feature rooms' ``schemas``),
not a bare ``object``; the call detail carries the CallAnalysis contract."""

from __future__ import annotations

from ui.api import build_api


def _openapi(services) -> dict:
    return build_api(services, jobs=None).openapi()


def test_every_json_endpoint_has_a_named_response_model(services) -> None:
    spec = _openapi(services)
    untyped = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            ok = {code: r for code, r in op["responses"].items() if code.startswith("2")}
            assert ok, f"{method.upper()} {path} documents no success response"
            for code, resp in ok.items():
                content = resp.get("content", {})
                if "application/json" not in content:
                    assert any(c.startswith(("audio/", "application/octet-stream")) for c in content) or path.endswith("/file"), \
                        f"{method.upper()} {path} {code}: no JSON and not a file"
                    continue
                schema = content["application/json"]["schema"]
                if "$ref" not in schema:
                    untyped.append(f"{method.upper()} {path} {code}: {schema}")
    assert not untyped, "responses without a model:\n" + "\n".join(untyped)


def test_call_detail_response_carries_the_analysis_contract(services) -> None:
    spec = _openapi(services)
    schemas = spec["components"]["schemas"]
    detail = schemas["CallDetail"]["properties"]["analysis"]
    refs = [s.get("$ref", "") for s in detail.get("anyOf", [detail])]
    assert any(r.endswith("/CallAnalysis") for r in refs)
    assert {"utterances", "metrics", "emotion_shifts"} <= set(schemas["CallAnalysis"]["properties"])
    assert "sections" in schemas["Script"]["properties"] and "improvements" in schemas["Report"]["properties"]
