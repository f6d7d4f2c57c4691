"""Forwarded posts and pasted links: each distinct job link becomes one application with a card.

What happens to a link (checked, stored, described, scored, auto-applied) is the workflow's
(automation/workflow.py); this handler finds the links in the message and shows each result.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import Message, MessageEntity, User
from langchain_core.language_models import BaseChatModel

from automation.costs import LLMPrices
from automation.queue import ApplicationQueue
from automation.workflow import take_link
from handlers.cards import card_keyboard, card_text
from handlers.wording import link_refused, link_taken_note, too_many_links
from storage.applications import ApplicationRepository
from storage.profiles import ProfileRepository
from storage.user_settings import UserSettingsRepository

MAX_LINKS_PER_MESSAGE = 10


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


async def on_links(
    message: Message,
    event_from_user: User,
    applications: ApplicationRepository,
    profiles: ProfileRepository,
    user_settings: UserSettingsRepository,
    queue: ApplicationQueue,
    settings,
    llm: BaseChatModel | None = None,
    llm_prices: LLMPrices | None = None,
) -> None:
    links = extract_links(message)
    if len(links) > MAX_LINKS_PER_MESSAGE:
        await message.answer(too_many_links(len(links), MAX_LINKS_PER_MESSAGE))
        links = links[:MAX_LINKS_PER_MESSAGE]
    for link in links:
        intake = await take_link(
            link,
            event_from_user.id,
            applications=applications,
            profiles=profiles,
            user_settings=user_settings,
            queue=queue,
            allow_hosts=settings.url_allow_hosts,
            llm=llm,
            llm_prices=llm_prices,
        )
        if intake.application is None:
            await message.answer(link_refused(intake))
            continue
        app = intake.application
        sent = await message.answer(link_taken_note(intake) + card_text(app), reply_markup=card_keyboard(app))
        await applications.set_card(app.id, sent.chat.id, sent.message_id, app.status)


def router() -> Router:
    """The handler above on a router of its own (a fresh one for each dispatcher)."""
    r = Router(name=__name__)
    r.message.register(on_links, _has_links)
    return r
