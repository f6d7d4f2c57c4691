"""The job card carries a match score: keywords without an LLM, one structured LLM call with one,
and auto-apply above the user's threshold."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.support import ALLOWED_USER
from tests.support.chat import PROFILE, RESUME, WAIT, card_for

SKILLED = {**PROFILE, "skills": ["Python", "PostgreSQL", "asyncio"], "headline": "Backend Engineer"}


async def load(fake, user, profile) -> None:
    await user.send_document("profile.yaml", yaml.safe_dump(profile).encode(), "application/x-yaml")
    await fake.wait_for_message(lambda m: "Profile saved" in m.body)
    await user.send_document("cv.pdf", RESUME, "application/pdf")
    await fake.wait_for_message(lambda m: "Résumé saved" in m.body)


async def test_keyword_score_without_an_llm(nyx, fake_telegram, job_site, db):
    user = fake_telegram.user(ALLOWED_USER)
    await load(fake_telegram, user, SKILLED)
    await user.send(job_site.posting_url)
    card = await card_for(fake_telegram, user, job_site.posting_url)
    assert "Match: " in card.body and "/100" in card.body
    row = await db.fetchrow("SELECT score, score_reasons FROM applications")
    assert json.loads(row["score_reasons"])["source"] == "keywords" and 0 <= row["score"] <= 100
    trail = [r[0] for r in await db.fetch("SELECT to_status FROM application_events ORDER BY id")]
    assert trail == ["received", "scored", "awaiting_approval"]


class TestWithAnLLM:
    @pytest.fixture
    def settings_overrides(self, fake_openai):
        return {
            "llm_base_url": fake_openai.base_url,
            "llm_api_key": fake_openai.api_key or "sk-test",
            "llm_model": "fake-model",
        }

    async def test_llm_score_and_reasons_on_the_card(self, nyx, fake_telegram, fake_openai, job_site, db):
        user = fake_telegram.user(ALLOWED_USER)
        await load(fake_telegram, user, SKILLED)
        fake_openai.queue({"score": 87, "reasons": ["Python and PostgreSQL match"], "missing": ["Kubernetes"]})
        await user.send(job_site.posting_url)
        card = await card_for(fake_telegram, user, job_site.posting_url)
        assert "Match: <b>87/100</b>" not in card.body and "Match: 87/100" in card.body
        assert "Python and PostgreSQL match" in card.body and "Missing: Kubernetes" in card.body
        assert len(fake_openai.completions) == 1
        assert "ada@example.org" not in fake_openai.completions[0].prompt

    @pytest.mark.browser
    async def test_auto_apply_above_the_threshold(self, nyx, fake_telegram, fake_openai, job_site, db):
        user = fake_telegram.user(ALLOWED_USER)
        await load(fake_telegram, user, SKILLED)
        await db.execute("INSERT INTO user_settings (user_id, auto_apply_threshold) VALUES ($1, 80)", ALLOWED_USER)
        fake_openai.queue({"score": 91, "reasons": ["Strong fit"], "missing": []})
        await user.send(job_site.posting_url)
        review = await fake_telegram.wait_for_message(lambda m: "Review before submitting" in m.body, timeout=WAIT)
        assert any("Auto-apply (match ≥ 80)" in m.body for m in fake_telegram.messages(user.chat_id))
        assert job_site.submissions == [] and review.buttons(), "auto-apply still waits for the review"
