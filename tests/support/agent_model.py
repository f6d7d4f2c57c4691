"""Scripting browser-use's Agent through the fake OpenAI server: what the agent sees of the page (its
`[index]<tag ... />` lines) and one step of its answer, in the shape its `agent_output` schema asks for."""

from __future__ import annotations

import re
from typing import Any

ELEMENT = re.compile(r"\[(\d+)\]<(\w+) ([^>]*)/>")
ANSWERED = re.compile(r"The applicant answered .*? with: (.+)")


def state_text(body: dict[str, Any]) -> str:
    """The last user message's text: browser-use's browser state with `[index]<tag ... />` lines."""
    for message in reversed(body["messages"]):
        if message["role"] == "user":
            content = message["content"]
            if isinstance(content, str):
                return content
            return "\n".join(part.get("text", "") for part in content if part.get("type") == "text")
    raise AssertionError("no user message in the request")


def index_of(body: dict[str, Any], element_id: str) -> int:
    for index, _tag, attributes in ELEMENT.findall(state_text(body)):
        if re.search(rf"\bid={re.escape(element_id)}\b", attributes):
            return int(index)
    raise AssertionError(f"#{element_id} is not in the agent's view of the page")


def agent_step(*actions: dict[str, Any], goal: str = "") -> dict[str, Any]:
    """One AgentOutput, the shape browser-use's json_schema `agent_output` asks for."""
    return {"evaluation_previous_goal": "", "memory": "", "next_goal": goal, "action": list(actions)}
