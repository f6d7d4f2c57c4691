"""The meaning of a form control from what the page says about it (no browser, no LLM)."""

from __future__ import annotations

import pytest

from automation.field_meaning import ControlFacts, Meaning, meaning_of

M = Meaning


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        # English
        ("First Name", M.FIRST_NAME),
        ("Given name *", M.FIRST_NAME),
        ("Last Name", M.LAST_NAME),
        ("Surname", M.LAST_NAME),
        ("Family name", M.LAST_NAME),
        ("Full name", M.FULL_NAME),
        ("Name", M.FULL_NAME),
        ("Middle name", M.MIDDLE_NAME),
        ("Preferred First Name", M.PREFERRED_NAME),
        ("Email", M.EMAIL),
        ("E-mail address", M.EMAIL),
        ("Confirm your email", M.EMAIL_CONFIRM),
        ("Re-enter email", M.EMAIL_CONFIRM),
        ("Phone", M.PHONE),
        ("Mobile number", M.PHONE),
        ("Country code", M.PHONE_COUNTRY),
        ("Current location", M.LOCATION),
        ("Where are you currently located?", M.LOCATION),
        ("City", M.CITY),
        ("What city do you currently reside in?", M.CITY),
        ("State / Province", M.REGION),
        ("Country", M.COUNTRY),
        ("What is your current country of residence?", M.COUNTRY),
        ("ZIP code", M.POSTAL_CODE),
        ("Street address", M.STREET_ADDRESS),
        ("Current company", M.CURRENT_COMPANY),
        ("Current employer", M.CURRENT_COMPANY),
        ("Current job title", M.CURRENT_TITLE),
        ("LinkedIn Profile", M.LINKEDIN),
        ("What is your LinkedIn URL?", M.LINKEDIN),
        ("GitHub URL", M.GITHUB),
        ("Twitter", M.TWITTER),
        ("Portfolio", M.PORTFOLIO),
        ("Website", M.WEBSITE),
        ("Personal site", M.WEBSITE),
        ("Other links", M.OTHER_LINK),
        ("Years of experience", M.YEARS_EXPERIENCE),
        ("How many years of professional experience do you have?", M.YEARS_EXPERIENCE),
        ("Gender", M.GENDER),
        ("Race/Ethnicity", M.RACE),
        ("Are you Hispanic/Latino?", M.HISPANIC),
        ("Veteran Status", M.VETERAN),
        ("Disability Status", M.DISABILITY),
        ("Pronouns", M.PRONOUNS),
        (
            "Are you legally authorized to work in the United Kingdom for any UK employer now and in the future?",
            M.WORK_AUTHORIZATION,
        ),
        ("Do you have the right to work in the EU?", M.WORK_AUTHORIZATION),
        ("Will you now or in the future require sponsorship for a visa to work in the US?", M.SPONSORSHIP),
        ("Will you require visa sponsorship?", M.SPONSORSHIP),
        ("Are you currently located in Canada?", M.LOCATED_IN),
        ("Do you live in Germany?", M.LOCATED_IN),
        ("Are you willing to relocate?", M.RELOCATION),
        ("What is your notice period?", M.NOTICE_PERIOD),
        ("Earliest start date", M.START_DATE),
        ("When can you start?", M.START_DATE),
        ("What are your salary expectations?", M.SALARY),
        ("Desired compensation", M.SALARY),
        ("Remote work preference", M.REMOTE),
        # German
        ("Vorname", M.FIRST_NAME),
        ("Nachname", M.LAST_NAME),
        ("E-Mail-Adresse", M.EMAIL),
        ("E-Mail wiederholen", M.EMAIL_CONFIRM),
        ("Telefonnummer", M.PHONE),
        ("Wohnort", M.LOCATION),
        ("Postleitzahl", M.POSTAL_CODE),
        ("Straße und Hausnummer", M.STREET_ADDRESS),
        ("Land", M.COUNTRY),
        ("Aktueller Arbeitgeber", M.CURRENT_COMPANY),
        ("Geschlecht", M.GENDER),
        ("Gehaltsvorstellung", M.SALARY),
        ("Kündigungsfrist", M.NOTICE_PERIOD),
        ("Benötigen Sie eine Arbeitserlaubnis?", M.WORK_AUTHORIZATION),
        ("Frühester Eintrittstermin", M.START_DATE),
        ("Wohnen Sie in Deutschland?", M.LOCATED_IN),
        ("Lebenslauf", M.RESUME),
        # French
        ("Prénom", M.FIRST_NAME),
        ("Nom de famille", M.LAST_NAME),
        ("Nom", M.LAST_NAME),
        ("Courriel", M.EMAIL),
        ("Téléphone portable", M.PHONE),
        ("Ville", M.CITY),
        ("Code postal", M.POSTAL_CODE),
        ("Pays", M.COUNTRY),
        ("Prétentions salariales", M.SALARY),
        ("Préavis", M.NOTICE_PERIOD),
        ("Êtes-vous autorisé à travailler en France ?", M.WORK_AUTHORIZATION),
        ("Entreprise actuelle", M.CURRENT_COMPANY),
        ("Lettre de motivation", M.COVER_LETTER),
        # Spanish
        ("Nombre", M.FIRST_NAME),
        ("Apellidos", M.LAST_NAME),
        ("Nombre completo", M.FULL_NAME),
        ("Correo electrónico", M.EMAIL),
        ("Teléfono", M.PHONE),
        ("Ciudad", M.CITY),
        ("País", M.COUNTRY),
        ("Código postal", M.POSTAL_CODE),
        ("Expectativa salarial", M.SALARY),
        ("Empresa actual", M.CURRENT_COMPANY),
        ("¿Necesitas patrocinio de visa?", M.SPONSORSHIP),
        ("Género", M.GENDER),
        ("Discapacidad", M.DISABILITY),
        # Not profile fields
        ("How did you hear about this job?", M.UNKNOWN),
        ("Why do you want to work at our company?", M.UNKNOWN),
        ("Name of your referrer", M.UNKNOWN),
        ("Do you have a LinkedIn profile you'd like to share?", M.UNKNOWN),
        ("Are you at least 18 years of age?", M.UNKNOWN),
        ("Do you currently hold a valid visa?", M.UNKNOWN),
        ("Emergency contact phone", M.UNKNOWN),
        ("Tell us about a project you are proud of", M.UNKNOWN),
    ],
)
def test_label(label: str, expected: Meaning) -> None:
    assert meaning_of(ControlFacts(label=label)) is expected


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("given-name", M.FIRST_NAME),
        ("family-name", M.LAST_NAME),
        ("section-apply shipping email", M.EMAIL),
        ("tel-national", M.PHONE),
        ("organization", M.CURRENT_COMPANY),
        ("postal-code", M.POSTAL_CODE),
        ("country-name", M.COUNTRY),
        ("cc-number", M.UNKNOWN),
        ("off", M.CITY),
    ],
)
def test_autocomplete_token_first(token: str, expected: Meaning) -> None:
    # The label says city; a WHATWG token, where present, decides.
    assert meaning_of(ControlFacts(label="City", autocomplete=token)) is expected


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (ControlFacts(name="org", label="org"), M.CURRENT_COMPANY),  # Lever's current company
        (ControlFacts(name="cEmail"), M.EMAIL),
        (ControlFacts(name="fname"), M.FIRST_NAME),
        (ControlFacts(name="candidate[last_name]"), M.LAST_NAME),
        (ControlFacts(placeholder="Your LinkedIn profile URL"), M.LINKEDIN),
        (
            ControlFacts(kind="select", label="Please choose one", legend="Voluntary Self-Identification: Disability"),
            M.DISABILITY,
        ),
        (ControlFacts(kind="file", name="file", nearby="Attach résumé/CV"), M.RESUME),
        (ControlFacts(kind="file", id="cover_letter", label="Attach"), M.COVER_LETTER),
        (ControlFacts(kind="file", id="file-input", name="resume-upload", label="Choose a file"), M.RESUME),
        (
            ControlFacts(kind="file", id="file-input", name="apply-with-resume-container", label="Choose a file"),
            M.UNKNOWN,
        ),  # SmartRecruiters' "apply with your résumé" shortcut, not the résumé field
    ],
)
def test_names_placeholders_and_context(facts: ControlFacts, expected: Meaning) -> None:
    assert meaning_of(facts) is expected


@pytest.mark.parametrize(
    "facts",
    [
        ControlFacts(label="Email", hidden=True),  # off-screen or aria-hidden copy of a real field
        ControlFacts(name="honeypot", label="Website"),
        ControlFacts(name="hp_field"),
        ControlFacts(label="Leave this field blank"),
    ],
)
def test_honeypots(facts: ControlFacts) -> None:
    assert meaning_of(facts) is M.HONEYPOT


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("I have read and accept the privacy policy", M.CONSENT_REQUIRED),
        ("I consent to the processing of my personal data for this application", M.CONSENT_REQUIRED),
        ("Ich habe die Datenschutzerklärung gelesen und bin einverstanden", M.CONSENT_REQUIRED),
        ("J'accepte la politique de confidentialité", M.CONSENT_REQUIRED),
        ("Acepto la política de privacidad", M.CONSENT_REQUIRED),
        ("Send me marketing e-mails and newsletters", M.CONSENT_OPTIONAL),
        ("Keep my details on file for future opportunities", M.CONSENT_OPTIONAL),
        ("I agree to join the talent pool", M.CONSENT_OPTIONAL),
        ("Accept cookies", M.CONSENT_OPTIONAL),
        ("Ich möchte über zukünftige Stellen informiert werden", M.CONSENT_OPTIONAL),
    ],
)
def test_consents(label: str, expected: Meaning) -> None:
    assert meaning_of(ControlFacts(kind="checkbox", label=label, options=(label,))) is expected
