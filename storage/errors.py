"""The project's root of errors: `NyxError`, and `UserFacingError`, whose message is fit for the chat.

Every module keeps its own subclasses (`storage.applications.IllegalTransition`,
`automation.postings.PostingFetchError`, `handlers.profile.FieldError`, ...), all rooted here.
The root lives in storage, with no imports at all, because storage is the floor: it may import
nothing above it, yet its errors need the root too, and every layer above may import storage.
The bot's one error handler (`bot/error_handler.py`) tells the user a `UserFacingError`'s message
as it is, anything else as a generic apology, and logs the rest.
"""

from __future__ import annotations


class NyxError(Exception):
    """An error Nyx raises on purpose; the base of every module's own error classes."""


class UserFacingError(NyxError):
    """An error whose message is written for the user: a sentence or two of plain text (not HTML)
    saying what happened and what to do; it may be shown in the chat as it is."""
