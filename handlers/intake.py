"""Forwarded posts and pasted links: each distinct job link becomes one application with a card."""

from __future__ import annotations

import logging
from html import escape

from aiogram import Router
from aiogram.types import Message, MessageEntity

from automation import tracing
from automation.costs import LLMPrices
from automation.llm import UsageCounter
from automation.matching import score_job
from automation.postings import PostingFetchError, fetch_posting
from automation.queue import ApplicationQueue
from automation.urls import UnsafeUrl, check_url, job_link_hint
from handlers.cards import card_keyboard, card_text
from handlers.decisions import queue_application
from storage.applications import ApplicationRepository
from storage.models import Application, ApplicationStatus
from storage.profiles import ProfileRepository, StoredProfile
from storage.user_settings import UserSettings, UserSettingsRepository

log = logging.getLogger(__name__)
MAX_LINKS_PER_MESSAGE = 10
POSTING_TIMEOUT_S = 8.0
TAILORED_ABOVE = 80  # a match above this deserves a tailored application


def extract_links(message: Message) -> list[str]:
    """Links in text or caption: bare `url` entities and `text_link` ones, in order, without repeats."""
    text = message.text or message.caption or ""
    entities: list[MessageEntity] = list(message.entities or message.caption_entities or [])
    links: list[str] = []
    for entity in entities:
        if entity.type == "url":
            link = entity.extract_from(text)
        elif entity.type == "text_link" and entity.url:
            link = entity.url
        else:
            continue
        if "://" not in link:
            link = "https://" + link  # Telegram marks "example.com/jobs/1" as a url too
        if link not in links:
            links.append(link)
    return links


def _has_links(message: Message) -> bool:
    return any(e.type in ("url", "text_link") for e in (message.entities or message.caption_entities or []))


async def _describe(
    applications: ApplicationRepository, app: Application, allow_hosts: list[str]
) -> tuple[Application, str]:
    """Title, company and location from the posting page, and its text; the card goes out without them
    if the page cannot be read."""
    try:
        posting = await fetch_posting(app.url, allow_hosts=allow_hosts, timeout_s=POSTING_TIMEOUT_S)
    except PostingFetchError as exc:
        log.info("application %s: posting not read: %s", app.id, exc)
        return app, ""
    await applications.describe_job(
        app.job_id, title=posting.title, company=posting.company, location=posting.location,
        description=posting.description, ats=posting.ats.value if posting.ats else None,
    )
    return await applications.get(app.id) or app, posting.description


async def _score(
    applications: ApplicationRepository, app: Application, posting_text: str, stored: StoredProfile | None,
    preferences: UserSettings, llm, prices: LLMPrices,
) -> Application:
    """Score the job against the profile (LLM when configured, keywords otherwise); its LLM cost is the job's."""
    if stored is None or not posting_text:
        return app
    usage = UsageCounter()
    try:
        with tracing.for_application(app.id, app.user_id, "score"):
            match = await score_job(
                posting_text, app.title, stored.profile, model=llm, usage=usage,
                skip_below=preferences.skip_threshold,
                tailored_above=max(preferences.skip_threshold, TAILORED_ABOVE),
                profile_summary=stored.profile.summary,
            )
    finally:
        if usage.calls:
            model = getattr(llm, "model_name", None)
            await applications.add_llm_usage(
                app.id, usage.calls, usage.total_tokens, cost_usd=prices.of(model, usage), model=model
            )
    details = {"reasons": match.reasons, "missing": match.missing, "effort": match.effort.value,
               "source": match.source.value}
    return await applications.record_score(app.id, match.score, details) or app


def router() -> Router:
    r = Router(name=__name__)

    @r.message(_has_links)
    async def on_links(
        message: Message,
        applications: ApplicationRepository,
        profiles: ProfileRepository,
        user_settings: UserSettingsRepository,
        queue: ApplicationQueue,
        settings,
        llm=None,
        llm_prices: LLMPrices | None = None,
    ) -> None:
        user_id = message.from_user.id
        links = extract_links(message)
        if len(links) > MAX_LINKS_PER_MESSAGE:
            await message.answer(f"That is {len(links)} links; I take up to {MAX_LINKS_PER_MESSAGE} per message.")
            links = links[:MAX_LINKS_PER_MESSAGE]
        for link in links:
            if hint := job_link_hint(link):
                await message.answer(f"🤔 {escape(link[:200])}\n{escape(hint)}")
                continue
            try:
                checked = await check_url(link, allow_hosts=settings.url_allow_hosts)
            except UnsafeUrl as exc:
                await message.answer(f"🚫 {escape(link[:200])}\n{escape(str(exc))}")
                continue
            intake = await applications.intake(
                message.from_user.id, url=checked.url, canonical_url=checked.canonical, host=checked.host
            )
            app = intake.application
            if intake.created:
                app, posting_text = await _describe(applications, app, settings.url_allow_hosts)
                preferences = await user_settings.get(user_id)
                stored = await profiles.get(user_id)
                app = await _score(applications, app, posting_text, stored, preferences, llm,
                                 llm_prices or LLMPrices())
                app = await applications.transition(
                    app.id, ApplicationStatus.AWAITING_APPROVAL,
                    from_statuses=[ApplicationStatus.RECEIVED, ApplicationStatus.SCORED], note="asked the user",
                ) or app
                note = ""
                threshold = preferences.auto_apply_threshold
                if threshold is not None and app.score is not None and app.score >= threshold:
                    decision = await queue_application(
                        app, user_id, applications=applications, profiles=profiles,
                        user_settings=user_settings, queue=queue,
                    )
                    app = decision.application
                    note = f"Auto-apply (match ≥ {threshold}): {decision.sentence}\n\n"
                sent = await message.answer(note + card_text(app), reply_markup=card_keyboard(app))
            else:
                sent = await message.answer(
                    f"You sent this job before (#{app.id}); it is {app.status.label}.\n\n" + card_text(app),
                    reply_markup=card_keyboard(app),
                )
            await applications.set_card(app.id, sent.chat.id, sent.message_id)

    return r
