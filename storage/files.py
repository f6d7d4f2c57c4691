"""Stored files (résumés, cover letters, screenshots): one way to write them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    content: bytes


async def insert_file(conn: asyncpg.Connection, user_id: int, upload: UploadedFile) -> int:
    """Store the file's bytes with their SHA-256; returns the new row's id."""
    return await conn.fetchval(
        """INSERT INTO files (user_id, filename, content_type, content, sha256)
           VALUES ($1, $2, $3, $4, $5) RETURNING id""",
        user_id,
        upload.filename,
        upload.content_type,
        upload.content,
        hashlib.sha256(upload.content).hexdigest(),
    )
