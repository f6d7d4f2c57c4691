"""Prometheus instruments for the work the automation does: fills, waits for the user, browsers,
LLM calls and tokens, 2captcha solves, apply results. They live in prometheus-client's default
registry; each process serves them on its monitoring listener (bot/monitoring.py)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Filling a form takes seconds to minutes (the generic agent); waiting for the user minutes to a day.
FILL_BUCKETS = (1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200)
WAIT_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600)

FILL_SECONDS = Histogram(
    "nyx_fill_seconds",
    "Time to fill one application form (adapter or agent), until it is read back",
    buckets=FILL_BUCKETS,
)
PROMPT_WAIT_SECONDS = Histogram(
    "nyx_prompt_wait_seconds",
    "Time a worker waited for the user's answer to a prompt, by kind and outcome",
    ["kind", "outcome"],
    buckets=WAIT_BUCKETS,
)
BROWSERS_IN_USE = Gauge("nyx_browsers_in_use", "Chromium sessions open in this process")
APPLY_RESULTS = Counter("nyx_apply_runs_total", "Apply task runs by how they ended", ["result"])
LLM_CALLS = Counter("nyx_llm_calls_total", "LLM calls by outcome (ok, failed)", ["outcome"])
LLM_TOKENS = Counter("nyx_llm_tokens_total", "LLM tokens spent, by direction (input, output)", ["direction"])
CAPTCHA_SOLVES = Counter(
    "nyx_captcha_solves_total",
    "CAPTCHAs sent to 2captcha (each solved one is paid for), by kind and outcome",
    ["kind", "outcome"],
)


def count_llm_call(*, ok: bool, input_tokens: int = 0, output_tokens: int = 0) -> None:
    LLM_CALLS.labels("ok" if ok else "failed").inc()
    if input_tokens:
        LLM_TOKENS.labels("input").inc(input_tokens)
    if output_tokens:
        LLM_TOKENS.labels("output").inc(output_tokens)
