"""Reading a profile from a YAML or JSON document, with messages a user can act on."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import mimetypes
from pathlib import Path

import yaml
from pydantic import ValidationError

from storage.answers import AnswerRepository, AnswerSource
from storage.errors import UserFacingError
from storage.files import UploadedFile
from storage.models import Profile
from storage.profiles import ProfileImport, ProfileRepository

log = logging.getLogger(__name__)

MAX_PROFILE_BYTES = 256 * 1024
MAX_RESUME_BYTES = 10 * 1024 * 1024
RESUME_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".doc": "application/msword",
    ".txt": "text/plain",
    ".rtf": "application/rtf",
    ".odt": "application/vnd.oasis.opendocument.text",
}


class ProfileError(UserFacingError, ValueError):
    """The profile cannot be used; the message says what to fix."""


def parse_profile(content: bytes, filename: str) -> Profile:
    if len(content) > MAX_PROFILE_BYTES:
        raise ProfileError(f"The profile file is larger than {MAX_PROFILE_BYTES // 1024} KiB.")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise ProfileError("The profile file is not UTF-8 text.") from None
    try:
        data = json.loads(text) if filename.lower().endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ProfileError(f"The profile file could not be read: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise ProfileError("The profile file must hold a mapping of fields (first_name, last_name, email, …).")
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"]) or "profile"
            problems.append(f"{where}: {'missing' if error['type'] == 'missing' else error['msg']}")
        raise ProfileError("The profile has problems — " + "; ".join(problems)) from None


def read_resume(path: Path) -> UploadedFile:
    """Load a résumé from disk for storage; the file must exist and be a document."""
    if not path.is_file():
        raise ProfileError(f"The résumé file {path} does not exist.")
    return resume_upload(path.name, path.read_bytes())


def resume_upload(filename: str, content: bytes) -> UploadedFile:
    suffix = Path(filename).suffix.lower()
    if suffix not in RESUME_TYPES:
        raise ProfileError(f"A résumé must be one of {', '.join(sorted(RESUME_TYPES))}; got {filename!r}.")
    if not content:
        raise ProfileError("The résumé file is empty.")
    if len(content) > MAX_RESUME_BYTES:
        raise ProfileError(f"The résumé is larger than {MAX_RESUME_BYTES // (1024 * 1024)} MiB.")
    content_type = RESUME_TYPES.get(suffix) or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return UploadedFile(filename=Path(filename).name, content_type=content_type, content=content)


def load_profile_file(path: Path) -> tuple[Profile, UploadedFile | None]:
    """A profile file and the résumé it names (relative paths are relative to the profile file)."""
    if not path.is_file():
        raise ProfileError(f"The profile file {path} does not exist.")
    profile = parse_profile(path.read_bytes(), path.name)
    resume = None
    if profile.resume_path:
        resume_path = Path(profile.resume_path).expanduser()
        if not resume_path.is_absolute():
            resume_path = path.parent / resume_path
        resume = read_resume(resume_path)
    return profile, resume


async def seed_profile(
    path: Path, user_id: int, profiles: ProfileRepository, answers: AnswerRepository
) -> list[str] | None:
    """Seed a user's profile from PROFILE_FILE once; afterwards only what the file itself changed.

    The file's hash (and its résumé's) is kept: an unchanged file changes nothing, so edits made in
    the chat survive restarts. A changed file updates only the fields it changed (a new résumé only
    when the résumé's bytes changed). Returns the fields written, None when the file was seeded whole.
    """
    # Files on disk, read off the event loop.
    profile, resume = await asyncio.to_thread(load_profile_file, path)
    content = await asyncio.to_thread(path.read_bytes)
    imported = ProfileImport(
        path=str(path),
        sha256=hashlib.sha256(content).hexdigest(),
        profile=profile,
        resume_sha256=hashlib.sha256(resume.content).hexdigest() if resume is not None else None,
    )
    last, current = await profiles.last_import(user_id), await profiles.get(user_id)
    if last is None or current is None:
        await profiles.save(user_id, profile, source=f"file:{path}", resume=resume)
        for question, answer in profile.answers.items():
            await answers.save(user_id, question, answer, AnswerSource.PROFILE)
        await profiles.record_import(user_id, imported)
        log.info("seeded the profile of user %d from %s", user_id, path)
        return None
    if (last.sha256, last.resume_sha256) == (imported.sha256, imported.resume_sha256):
        return []
    changed = [name for name in Profile.model_fields if getattr(last.profile, name) != getattr(profile, name)]
    if changed:
        update = {name: getattr(profile, name) for name in changed if name != "answers"}
        new_answers = {q: a for q, a in profile.answers.items() if last.profile.answers.get(q) != a}
        if "answers" in changed:
            update["answers"] = {**current.profile.answers, **new_answers}
        await profiles.update_fields(user_id, current.profile.model_copy(update=update), source=f"file:{path}")
        for question, answer in new_answers.items():
            await answers.save(user_id, question, answer, AnswerSource.PROFILE)
    if resume is not None and imported.resume_sha256 != last.resume_sha256:
        await profiles.replace_resume(user_id, resume)
        changed.append("résumé")
    await profiles.record_import(user_id, imported)
    log.info(
        "PROFILE_FILE %s changed: updated %s of user %d (nothing else)", path, ", ".join(changed) or "nothing", user_id
    )
    return changed
