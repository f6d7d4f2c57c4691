"""Stored files (résumés, cover letters, screenshots): one way to write them, and the files kept for
an application (the filled form's screenshot, the cover letter approved for it)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import cast

import asyncpg

from storage.models import StoredFile
from storage.resilience import ResilientPool


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    content: bytes


async def insert_file(conn: asyncpg.Connection, user_id: int, upload: UploadedFile) -> int:
    """Store the file's bytes with their SHA-256; returns the new row's id."""
    return cast(
        int,
        await conn.fetchval(
            """INSERT INTO files (user_id, filename, content_type, content, sha256)
           VALUES ($1, $2, $3, $4, $5) RETURNING id""",
            user_id,
            upload.filename,
            upload.content_type,
            upload.content,
            hashlib.sha256(upload.content).hexdigest(),
        ),
    )


_APPLICATION_FILE_COLUMNS = ("screenshot_file_id", "cover_letter_file_id")


class FileRepository:
    """An application's files: each kind is one file, a newer one replaces (and deletes) the older."""

    def __init__(self, pool: ResilientPool) -> None:
        self._pool = pool

    async def attach_screenshot(self, application_id: int, user_id: int, png: bytes) -> None:
        """Keep the latest screenshot of the filled form (the previous one is replaced)."""
        upload = UploadedFile(f"application-{application_id}.png", "image/png", png)
        await self._replace(application_id, user_id, "screenshot_file_id", upload)

    async def screenshot(self, application_id: int, user_id: int) -> bytes | None:
        return cast(
            "bytes | None",
            await self._pool.fetchval(
                """SELECT f.content FROM applications a JOIN files f ON f.id = a.screenshot_file_id
               WHERE a.id = $1 AND a.user_id = $2""",
                application_id,
                user_id,
            ),
        )

    async def attach_cover_letter(self, application_id: int, user_id: int, letter: UploadedFile) -> None:
        """Keep the cover letter approved for this application (a later approval replaces it)."""
        await self._replace(application_id, user_id, "cover_letter_file_id", letter)

    async def cover_letter(self, application_id: int, user_id: int) -> StoredFile | None:
        """The cover letter approved for this application, if one was."""
        row = await self._pool.fetchrow(
            """SELECT f.id, f.filename, f.content_type, f.content FROM applications a
               JOIN files f ON f.id = a.cover_letter_file_id WHERE a.id = $1 AND a.user_id = $2""",
            application_id,
            user_id,
        )
        return StoredFile(**dict(row)) if row else None

    async def _replace(self, application_id: int, user_id: int, column: str, upload: UploadedFile) -> None:
        """Point the application's `column` at a new file row and delete the one it pointed at."""
        if column not in _APPLICATION_FILE_COLUMNS:
            raise ValueError(f"applications has no file column {column!r}")
        async with self._pool.acquire() as conn, conn.transaction():
            file_id = await insert_file(conn, user_id, upload)
            previous = await conn.fetchval(
                f"""UPDATE applications a SET {column} = $2
                    FROM (SELECT {column} AS file_id FROM applications WHERE id = $1 FOR UPDATE) old
                    WHERE a.id = $1 RETURNING old.file_id""",
                application_id,
                file_id,
            )
            if previous is not None:
                await conn.execute("DELETE FROM files WHERE id = $1", previous)
