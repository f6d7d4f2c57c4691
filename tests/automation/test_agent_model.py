"""The agent's chat model leaves no connection for the garbage collector to close.

browser-use builds a new AsyncOpenAI client for every step of the agent. Left alone, each keeps its
pooled connection until the garbage collector finds it; the OpenAI SDK then closes that connection
from a task it schedules, and by then the socket's descriptor may belong to another connection of the
same event loop, which waits forever (a Bot API call or a PostgreSQL connect, seen as a timeout).
"""

from __future__ import annotations

import gc
import warnings

from browser_use.llm.messages import UserMessage

from automation import tracing
from tests.fakes.openai_api import FakeOpenAI


async def test_the_agents_steps_leave_no_connection_for_the_garbage_collector(fake_openai: FakeOpenAI):
    gc.collect()  # what earlier tests left behind is not this test's business
    fake_openai.queue("Next I fill in the e-mail field.", "Next I upload the résumé.")
    async with tracing.agent_chat_model(
        model="fake-model", base_url=fake_openai.base_url, api_key=fake_openai.api_key, max_retries=0
    ) as llm:
        await llm.ainvoke([UserMessage(content="Fill the form.")])
        await llm.ainvoke([UserMessage(content="Go on.")])
    del llm
    # The endpoint drops idle connections, as real ones do once their keep-alive runs out.
    await fake_openai.stop()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
    assert [str(w.message) for w in caught if "unclosed" in str(w.message)] == []
