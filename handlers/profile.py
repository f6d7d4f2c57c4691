"""/profile and profile or résumé documents sent to the bot."""

from __future__ import annotations

import io
from html import escape
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import Message

from storage.models import Profile
from storage.profile_import import (
    MAX_PROFILE_BYTES,
    MAX_RESUME_BYTES,
    RESUME_TYPES,
    ProfileError,
    parse_profile,
    resume_upload,
)
from storage.profiles import ProfileRepository

PROFILE_SUFFIXES = (".yaml", ".yml", ".json")

NO_PROFILE = (
    "You have no profile yet. Send me a YAML or JSON file like this:\n"
    "<pre>first_name: Ada\nlast_name: Lovelace\nemail: ada@example.com\nphone: +44 20 7946 0000\n"
    "location: London, UK\nlinks:\n  linkedin: https://linkedin.com/in/ada\nanswers:\n"
    "  Are you legally authorised to work in the UK?: \"Yes\"</pre>\n"
    "and your résumé as a PDF or DOCX document."
)


def describe(profile: Profile, resume_name: str | None) -> str:
    links = ", ".join(f"{k}: {v}" for k, v in profile.links.model_dump().items() if v) or "—"
    lines = [
        "<b>Your profile</b>",
        f"Name: {escape(profile.full_name)}",
        f"E-mail: {escape(str(profile.email))}",
        f"Phone: {escape(profile.phone or '—')}",
        f"Location: {escape(profile.location or '—')}",
        f"Links: {escape(links)}",
        f"Résumé: {escape(resume_name) if resume_name else '— (send a PDF or DOCX)'}",
        f"Saved answers: {len(profile.answers)}",
    ]
    return "\n".join(lines)


async def _download(bot: Bot, file_id: str) -> bytes:
    buffer = io.BytesIO()
    await bot.download(file_id, destination=buffer)
    return buffer.getvalue()


def router() -> Router:
    r = Router(name=__name__)

    @r.message(Command("profile"))
    async def on_profile(message: Message, profiles: ProfileRepository) -> None:
        stored = await profiles.get(message.from_user.id)
        if stored is None:
            await message.answer(NO_PROFILE)
            return
        await message.answer(describe(stored.profile, stored.resume.filename if stored.resume else None))

    @r.message(F.document)
    async def on_document(message: Message, bot: Bot, profiles: ProfileRepository) -> None:
        document = message.document
        name = document.file_name or "document"
        suffix = Path(name).suffix.lower()
        user_id = message.from_user.id
        try:
            if suffix in PROFILE_SUFFIXES:
                if (document.file_size or 0) > MAX_PROFILE_BYTES:
                    raise ProfileError(f"The profile file is larger than {MAX_PROFILE_BYTES // 1024} KiB.")
                profile = parse_profile(await _download(bot, document.file_id), name)
                # A profile sent in the chat keeps the résumé already on file.
                await profiles.update_fields(user_id, profile, source=f"telegram:{name}")
                stored = await profiles.get(user_id)
                resume_name = stored.resume.filename if stored and stored.resume else None
                await message.answer("Profile saved ✅\n\n" + describe(profile, resume_name))
            elif suffix in RESUME_TYPES:
                if (document.file_size or 0) > MAX_RESUME_BYTES:
                    raise ProfileError(f"The résumé is larger than {MAX_RESUME_BYTES // (1024 * 1024)} MiB.")
                upload = resume_upload(name, await _download(bot, document.file_id))
                try:
                    await profiles.replace_resume(user_id, upload)
                except LookupError:
                    raise ProfileError("Send your profile (YAML or JSON) first, then the résumé.") from None
                await message.answer(f"Résumé saved ✅ ({escape(upload.filename)}). It will be uploaded with your applications.")
            else:
                await message.answer(
                    "I can read a profile (.yaml, .yml, .json) or a résumé (.pdf, .docx). "
                    f"{escape(name)} is neither."
                )
        except ProfileError as exc:
            await message.answer(f"⚠️ {escape(str(exc))}\nNothing was changed.")

    return r

