"""The profile's value for a standard control, the way many vendors name them.

First and last name, e-mail and phone by the control's id (`first_name`, `email`, ...: Greenhouse's
naming, which other forms share), the location by id or label, résumé and cover letter by id, links
by id or a short label ("LinkedIn Profile"), anything else from the saved answers. Shared by the
adapters so that none imports another.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from automation.adapters.base import ApplicantFiles, normalised
from automation.adapters.profile_values import saved_answer
from automation.page_js import Control

if TYPE_CHECKING:
    from storage.models import Profile

STANDARD_FIELDS: dict[str, Callable[[Profile], str | None]] = {
    "first_name": lambda profile: profile.first_name,
    "last_name": lambda profile: profile.last_name,
    "email": lambda profile: str(profile.email),
    "phone": lambda profile: profile.phone,
}
LOCATION_IDS = frozenset({"candidate-location", "candidate_location", "location", "job_application_location"})
LOCATION_LABELS = frozenset({"location", "location (city)", "city", "current location"})

# (pattern on id or label, Links attributes to try in order)
LINK_FIELDS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"linked\s*in", re.IGNORECASE), ("linkedin",)),
    (re.compile(r"git\s*hub", re.IGNORECASE), ("github",)),
    (re.compile(r"portfolio", re.IGNORECASE), ("portfolio", "website")),
    (re.compile(r"website|personal site|homepage|blog", re.IGNORECASE), ("website", "portfolio")),
)
# "LinkedIn Profile" is a link field; "Were you referred through LinkedIn? Explain." is a question.
MAX_LINK_LABEL_WORDS = 5


def intended_value(control: Control, profile: Profile, files: ApplicantFiles) -> str | None:
    """What the profile says belongs in this control, or None if it says nothing."""
    if control.is_file:
        path = file_for(control.id, files)
        return path.name if path else None
    if not (control.is_free_text or control.tag == "select"):
        return None
    if control.id in STANDARD_FIELDS:
        return STANDARD_FIELDS[control.id](profile)
    if control.id in LOCATION_IDS or normalised(control.label) in LOCATION_LABELS:
        return profile.location
    if control.role == "combobox":
        return None  # react-select: needs an option chosen, not text typed
    return link_value(control, profile) or saved_answer(control.label, profile)


def file_for(field_id: str, files: ApplicantFiles) -> Path | None:
    return {"resume": files.resume, "cover_letter": files.cover_letter}.get(field_id)


def link_value(control: Control, profile: Profile) -> str | None:
    if len(control.label.split()) > MAX_LINK_LABEL_WORDS:
        return None
    for pattern, attributes in LINK_FIELDS:
        if pattern.search(control.id) or pattern.search(control.label):
            links = profile.links
            return next((value for name in attributes if (value := getattr(links, name, None))), None)
    return None
