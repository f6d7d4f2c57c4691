"""Profiles and the files (résumé, cover letter) they point to, stored in PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from storage.files import UploadedFile, insert_file
from storage.models import Profile, StoredFile
from storage.resilience import ResilientPool


@dataclass(frozen=True)
class ProfileImport:
    """The PROFILE_FILE last seeded into a user's profile: its hash, its content, its résumé's hash."""

    path: str
    sha256: str
    profile: Profile
    resume_sha256: str | None


@dataclass(frozen=True)
class StoredProfile:
    profile: Profile
    source: str
    resume: StoredFile | None
    cover_letter: StoredFile | None


class ProfileRepository:
    def __init__(self, pool: ResilientPool) -> None:
        self._pool = pool

    async def save(
        self,
        user_id: int,
        profile: Profile,
        *,
        source: str,
        resume: UploadedFile | None,
        cover_letter: UploadedFile | None = None,
    ) -> None:
        """Replace the user's profile and its files in one transaction."""
        async with self._pool.acquire() as conn, conn.transaction():
            resume_id = await self._store_file(conn, user_id, resume)
            cover_id = await self._store_file(conn, user_id, cover_letter)
            await conn.execute(
                """INSERT INTO profiles (user_id, data, resume_file_id, cover_letter_file_id, source)
                   VALUES ($1, $2, $3, $4, $5)
                   ON CONFLICT (user_id) DO UPDATE
                     SET data = EXCLUDED.data, resume_file_id = EXCLUDED.resume_file_id,
                         cover_letter_file_id = EXCLUDED.cover_letter_file_id,
                         source = EXCLUDED.source, updated_at = now()""",
                user_id,
                profile.model_dump(mode="json"),
                resume_id,
                cover_id,
                source,
            )

    async def update_fields(self, user_id: int, profile: Profile, *, source: str) -> None:
        """Replace the profile's data, keeping the files already on record."""
        await self._pool.execute(
            """INSERT INTO profiles (user_id, data, source) VALUES ($1, $2, $3)
               ON CONFLICT (user_id) DO UPDATE
                 SET data = EXCLUDED.data, source = EXCLUDED.source, updated_at = now()""",
            user_id,
            profile.model_dump(mode="json"),
            source,
        )

    async def replace_resume(self, user_id: int, resume: UploadedFile) -> None:
        """Attach a new résumé to an existing profile; LookupError if the user has no profile."""
        async with self._pool.acquire() as conn, conn.transaction():
            file_id = await self._store_file(conn, user_id, resume)
            updated = await conn.fetchval(
                """UPDATE profiles SET resume_file_id = $2, updated_at = now()
                   WHERE user_id = $1 RETURNING user_id""",
                user_id,
                file_id,
            )
            if updated is None:
                raise LookupError("no profile")

    async def last_import(self, user_id: int) -> ProfileImport | None:
        row = await self._pool.fetchrow(
            "SELECT path, sha256, data, resume_sha256 FROM profile_imports WHERE user_id = $1", user_id
        )
        if row is None:
            return None
        return ProfileImport(row["path"], row["sha256"], Profile.model_validate(row["data"]), row["resume_sha256"])

    async def record_import(self, user_id: int, imported: ProfileImport) -> None:
        await self._pool.execute(
            """INSERT INTO profile_imports (user_id, path, sha256, data, resume_sha256) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (user_id) DO UPDATE SET path = EXCLUDED.path, sha256 = EXCLUDED.sha256,
                 data = EXCLUDED.data, resume_sha256 = EXCLUDED.resume_sha256, imported_at = now()""",
            user_id,
            imported.path,
            imported.sha256,
            imported.profile.model_dump(mode="json"),
            imported.resume_sha256,
        )

    @staticmethod
    async def _store_file(conn: asyncpg.Connection, user_id: int, upload: UploadedFile | None) -> int | None:
        return None if upload is None else await insert_file(conn, user_id, upload)

    async def get(self, user_id: int) -> StoredProfile | None:
        row = await self._pool.fetchrow(
            "SELECT data, source, resume_file_id, cover_letter_file_id FROM profiles WHERE user_id = $1",
            user_id,
        )
        if row is None:
            return None
        return StoredProfile(
            profile=Profile.model_validate(row["data"]),
            source=row["source"],
            resume=await self._file(row["resume_file_id"]),
            cover_letter=await self._file(row["cover_letter_file_id"]),
        )

    async def _file(self, file_id: int | None) -> StoredFile | None:
        if file_id is None:
            return None
        row = await self._pool.fetchrow("SELECT id, filename, content_type, content FROM files WHERE id = $1", file_id)
        return StoredFile(**dict(row)) if row else None
