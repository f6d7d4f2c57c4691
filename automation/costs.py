"""What LLM calls cost: tokens priced per model (LLM_PRICES), since OpenAI-compatible endpoints send no prices.

Prices are US dollars per million tokens, input and output, keyed by the model's name as the endpoint
knows it. A model without a price costs "unknown" (None), never zero: its tokens are still counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from automation.llm import UsageCounter

MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class LLMPrices:
    """USD per million tokens, (input, output), per model name."""

    per_million: Mapping[str, tuple[Decimal, Decimal]] = field(default_factory=dict)

    def cost(self, model: str | None, input_tokens: int, output_tokens: int) -> Decimal | None:
        price = self.per_million.get(model or "")
        if price is None:
            return None
        return (price[0] * input_tokens + price[1] * output_tokens) / MILLION

    def of(self, model: str | None, usage: UsageCounter) -> Decimal | None:
        return self.cost(model, usage.input_tokens, usage.output_tokens)
