"""What the profile puts into a control of a known meaning: the universal filler's answers.

Owns turning a `field_meaning.Meaning` into a value from the profile and the applicant's files
(names in any split, contact, place parts, company and title, links by site, years), the
self-identification answers (the decline option whenever the profile declines), and the legal and
logistics questions the profile settles: work authorisation per country, sponsorship, "are you
located in X", the current country, relocation, remote preference, notice period, salary only when
set. Marketing consents, honeypots and unknown meanings get nothing. No LLM, no browser.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from automation.adapters.base import ApplicantFiles, EmptyReason, FillSource
from automation.adapters.profile_values import (
    eeo_answer,
    hispanic_answer,
    link_for,
    race_answer,
    saved_answer,
)
from automation.field_meaning import ControlFacts, Meaning, meaning_of
from automation.questions import Question, best_option, option_key, question_key
from storage.models import DECLINE, RemotePreference

if TYPE_CHECKING:
    from storage.models import Profile

Value = str | Path | None

# Countries in the EU, as automation.questions names them: a work authorisation for "EU" covers them.
EU_MEMBERS = frozenset({"de", "fr", "nl", "ie", "es", "it", "pt", "pl", "se", "dk", "fi", "at", "be"})
COUNTRY_NAMES = {
    "us": "United States",
    "uk": "United Kingdom",
    "ca": "Canada",
    "de": "Germany",
    "fr": "France",
    "nl": "Netherlands",
    "ie": "Ireland",
    "es": "Spain",
    "it": "Italy",
    "pt": "Portugal",
    "pl": "Poland",
    "se": "Sweden",
    "no": "Norway",
    "dk": "Denmark",
    "fi": "Finland",
    "ch": "Switzerland",
    "at": "Austria",
    "be": "Belgium",
    "au": "Australia",
    "nz": "New Zealand",
    "in": "India",
    "sg": "Singapore",
    "jp": "Japan",
    "cn": "China",
    "br": "Brazil",
    "mx": "Mexico",
    "il": "Israel",
    "ae": "United Arab Emirates",
    "za": "South Africa",
    "ar": "Argentina",
}
OPTION_KINDS = frozenset({"select", "radio", "checkbox", "combobox", "listbox"})


@dataclass(frozen=True)
class MeaningAnswer:
    """What the universal filler puts into one control, or why nothing."""

    meaning: Meaning
    value: Value
    reason: EmptyReason | None = None  # set when value is None


def facts_of(question: Question) -> ControlFacts:
    """What the page reader says about a control, as the classifier reads it."""
    return ControlFacts(
        kind=question.kind,
        label=question.label,
        name=f"{question.name} {question.host}".strip(),
        id=question.id,
        autocomplete=question.autocomplete,
        placeholder=question.placeholder,
        legend=question.legend,
        nearby=question.nearby,
        input_type=question.input_type,
        hidden=question.hidden,
        options=tuple(choice.label for choice in question.choices),
    )


def meaning_of_question(question: Question) -> Meaning:
    return meaning_of(facts_of(question))


def answer_by_meaning(
    question: Question,
    profile: Profile,
    files: ApplicantFiles,
    links_used: set[str],
    options: Sequence[str] | None = None,
) -> MeaningAnswer:
    """The profile's value for the control's meaning. `options`: a combobox's options read from its menu."""
    meaning = meaning_of_question(question)
    listed = list(options) if options is not None else [choice.label for choice in question.choices]
    if meaning.left_alone:
        return MeaningAnswer(
            meaning, None, EmptyReason.LEFT_ALONE if meaning is not Meaning.UNKNOWN else EmptyReason.NO_ANSWER
        )
    value = _value(meaning, question, listed, profile, files, links_used)
    if isinstance(value, EmptyReason):
        return MeaningAnswer(meaning, None, value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return MeaningAnswer(meaning, None, EmptyReason.NO_ANSWER)
    return MeaningAnswer(meaning, value)


@dataclass(frozen=True)
class Decision:
    """What goes into a control before any LLM or person: the universal filler's value, else a saved answer."""

    meaning: Meaning
    value: Value
    source: FillSource | None
    reason: EmptyReason | None


def decide(
    question: Question,
    profile: Profile,
    files: ApplicantFiles,
    links_used: set[str],
    options: Sequence[str] | None = None,
) -> Decision:
    """The universal filler's answer by meaning, else the saved answer to the same words (not for what is
    left alone: marketing consents and honeypots)."""
    by_meaning = answer_by_meaning(question, profile, files, links_used, options)
    if by_meaning.value is not None:
        return Decision(by_meaning.meaning, by_meaning.value, FillSource.UNIVERSAL, None)
    if by_meaning.reason is not EmptyReason.LEFT_ALONE and question.kind != "file":
        saved = saved_answer(question.label, profile)
        if saved is not None:
            return Decision(by_meaning.meaning, saved, FillSource.SAVED, None)
    return Decision(by_meaning.meaning, None, None, by_meaning.reason)


def _value(
    meaning: Meaning,
    question: Question,
    options: list[str],
    profile: Profile,
    files: ApplicantFiles,
    links_used: set[str],
) -> Value | EmptyReason:
    if meaning is Meaning.CONSENT_REQUIRED:
        if not question.required:
            return EmptyReason.OPTIONAL
        if question.kind in ("select", "listbox"):  # the one policy offered, else not ours to pick
            return options[0] if len(options) == 1 else EmptyReason.NO_ANSWER
        return "Yes"
    if meaning.is_eeo:
        return _eeo(meaning, question, options, profile)
    if meaning in _PLAIN:
        return _PLAIN[meaning](profile)
    if meaning in _LINKS:
        return link_for(_LINKS[meaning], profile.links, links_used)
    if meaning is Meaning.RESUME:
        return files.resume
    if meaning is Meaning.COVER_LETTER:
        return files.cover_letter
    if meaning is Meaning.START_DATE:
        return profile.notice_period if question.kind in ("text", "textarea") else None
    if meaning is Meaning.COUNTRY:
        return _country(profile, options)
    if meaning is Meaning.WORK_AUTHORIZATION:
        return _yes_no(_authorised(question.label, profile))
    if meaning is Meaning.SPONSORSHIP:
        return _yes_no(_needs_sponsorship(question.label, profile))
    if meaning is Meaning.LOCATED_IN:
        return _yes_no(_located_in(question.label, profile))
    if meaning is Meaning.RELOCATION:
        return _yes_no(profile.willing_to_relocate)
    if meaning is Meaning.REMOTE:
        return _remote(profile, options)
    return None


_PLAIN: dict[Meaning, Callable[[Profile], str | None]] = {
    Meaning.FIRST_NAME: lambda p: p.first_name,
    Meaning.PREFERRED_NAME: lambda p: p.first_name,
    Meaning.LAST_NAME: lambda p: p.last_name,
    Meaning.FULL_NAME: lambda p: p.full_name,
    Meaning.EMAIL: lambda p: str(p.email),
    Meaning.EMAIL_CONFIRM: lambda p: str(p.email),
    Meaning.PHONE: lambda p: p.phone,
    Meaning.LOCATION: lambda p: p.location,
    Meaning.CITY: lambda p: _place_parts(p)[0] if _place_parts(p) else None,
    Meaning.REGION: lambda p: _place_parts(p)[1] if len(_place_parts(p)) == 3 else None,
    Meaning.CURRENT_COMPANY: lambda p: p.current_company,
    Meaning.CURRENT_TITLE: lambda p: p.headline,
    Meaning.YEARS_EXPERIENCE: lambda p: None if p.years_experience is None else f"{p.years_experience:g}",
    Meaning.NOTICE_PERIOD: lambda p: p.notice_period,
    Meaning.SALARY: lambda p: p.salary_expectation,
}
_LINKS = {
    Meaning.LINKEDIN: "linkedin",
    Meaning.GITHUB: "github",
    Meaning.TWITTER: "twitter",
    Meaning.PORTFOLIO: "portfolio",
    Meaning.WEBSITE: "website",
    Meaning.OTHER_LINK: "other",
}
_EEO_TOPIC = {Meaning.GENDER: "gender", Meaning.VETERAN: "veteran", Meaning.DISABILITY: "disability"}


def _eeo(meaning: Meaning, question: Question, options: list[str], profile: Profile) -> Value | EmptyReason:
    """The stated answer, or the decline option when the profile declines (DECLINED when there is none)."""
    if (saved := saved_answer(question.label, profile)) is not None:
        return saved
    if meaning is Meaning.PRONOUNS:
        return EmptyReason.NO_ANSWER
    topic = "race" if meaning in (Meaning.RACE, Meaning.HISPANIC) else _EEO_TOPIC[meaning]
    declines = option_key(getattr(profile.eeo, topic)) == DECLINE
    if not options:
        return EmptyReason.DECLINED if declines else getattr(profile.eeo, topic)
    if meaning is Meaning.HISPANIC:
        answer = hispanic_answer(options, profile)
    elif meaning is Meaning.RACE:
        answer = race_answer(options, profile)
    else:
        answer = eeo_answer(topic, options, profile)
    return answer if answer is not None else EmptyReason.DECLINED


def _place_parts(profile: Profile) -> list[str]:
    return [part.strip() for part in (profile.location or "").split(",") if part.strip()]


def profile_countries(profile: Profile) -> frozenset[str]:
    """The countries the profile's location names ("San Francisco, CA, United States" -> {"us"})."""
    return question_key(profile.location).countries if profile.location else frozenset()


def _country(profile: Profile, options: Sequence[str]) -> str | None:
    """The profile's country: as an option says it when there are options, else as the location says it."""
    countries = profile_countries(profile)
    if len(countries) != 1:
        return None
    code = next(iter(countries))
    names = [_place_parts(profile)[-1], COUNTRY_NAMES.get(code, "")]
    if options:
        for name in filter(None, names):
            index = best_option(name, options)
            if index is not None:
                return options[index]
        same = [option for option in options if question_key(option).countries == countries]
        return same[0] if len(same) == 1 else None
    return names[0]


def _covered(countries: frozenset[str], authorised: frozenset[str]) -> bool:
    return all(country in authorised or (country in EU_MEMBERS and "eu" in authorised) for country in countries)


def _authorised_in(profile: Profile) -> frozenset[str]:
    """The countries of `work_authorization` (["US", "EU"], ["United Kingdom"]) as country codes."""
    found: set[str] = set()
    for entry in profile.work_authorization:
        code = entry.strip().lower()
        found |= {code} if code in COUNTRY_NAMES or code == "eu" else question_key(entry).countries
    return frozenset(found)


def _authorised(label: str, profile: Profile) -> bool | None:
    """Yes for a question about countries `work_authorization` covers; anything else is the user's to say
    (a country missing from the list may only be missing from the profile)."""
    countries, authorised = question_key(label).countries, _authorised_in(profile)
    return True if countries and authorised and _covered(countries, authorised) else None


def _needs_sponsorship(label: str, profile: Profile) -> bool | None:
    """No sponsorship where `work_authorization` covers the countries named; `needs_sponsorship` when the
    question names none; the user's to say for a country the profile does not cover."""
    countries, authorised = question_key(label).countries, _authorised_in(profile)
    if countries:
        return False if authorised and _covered(countries, authorised) else None
    return profile.needs_sponsorship


def _located_in(label: str, profile: Profile) -> bool | None:
    asked, home = question_key(label).countries, profile_countries(profile)
    if not asked or not home:
        return None
    return bool(asked & home) or ("eu" in asked and bool(home & EU_MEMBERS))


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("Yes" if value else "No")


def _remote(profile: Profile, options: Sequence[str]) -> str | None:
    preference = profile.remote_preference
    if preference is None:
        return None
    if options:
        wanted = {RemotePreference.ONSITE: "On-site", RemotePreference.ANY: "Any"}.get(preference, preference.value)
        index = best_option(wanted, options)
        if index is not None:
            return options[index]
    return "No" if preference is RemotePreference.ONSITE else "Yes"


def standard_answer(
    question: Question, profile: Profile, files: ApplicantFiles, links_used: set[str] | None = None
) -> Value:
    """What a vendor adapter puts into a control it has no vendor rule for: `decide`'s value."""
    return decide(question, profile, files, links_used if links_used is not None else set()).value
