"""LLM layer: providers (local / openai / fake), safe prompting, context budget and a
failure-tolerant call helper.

    from coach.llm import build_chat_model, generate, stream, data_block, SAFETY_INSTRUCTION
    model = services.llm                                  # = build_chat_model(settings.llm)
    result = generate(model, [SystemMessage(SAFETY_INSTRUCTION + ...),
                              HumanMessage(data_block(case.body, kind="case", ref=case.id))],
                      context_tokens=settings.llm.context_tokens)
    if not result.ok:
        ...  # return the grounded plan with result.error as a note

The heavy runtime (llama-cpp-python) is only imported when the local model is used.
"""

from coach.llm.budget import BudgetFit, estimate_tokens, fit_to_budget, token_counter
from coach.llm.generate import LLMResult, TokenStream, generate, stream
from coach.llm.registry import build_chat_model, model_name, supports_tools
from scripts_gen.prompt_safety import SAFETY_INSTRUCTION, data_block, neutralise

__all__ = [
    "BudgetFit", "LLMResult", "SAFETY_INSTRUCTION", "TokenStream", "build_chat_model", "data_block",
    "estimate_tokens", "fit_to_budget", "generate", "model_name", "neutralise", "stream",
    "supports_tools", "token_counter",
]
