"""What a form control asks for, decided from what the page says about it, without an LLM.

Owns the `Meaning` of a control and how it is read: the HTML `autocomplete` token first (the
WHATWG autofill names), then the control's label, its name and id, its placeholder, and last
its fieldset legend and the text near it, in English and the common German, French and Spanish
wording. Hidden, off-screen or trap-named controls are honeypots; consents are told apart from
marketing, future-contact, cookie and talent-pool ones. Pure Python: `ControlFacts` is what the
page reader (`page_js.read_questions`) returns about a control.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field


class Meaning(str, enum.Enum):
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    FULL_NAME = "full_name"
    MIDDLE_NAME = "middle_name"
    PREFERRED_NAME = "preferred_name"
    EMAIL = "email"
    EMAIL_CONFIRM = "email_confirm"
    PHONE = "phone"
    PHONE_COUNTRY = "phone_country"
    LOCATION = "location"
    CITY = "city"
    REGION = "region"
    COUNTRY = "country"  # also "what is your current country of residence?"
    POSTAL_CODE = "postal_code"
    STREET_ADDRESS = "street_address"
    CURRENT_COMPANY = "current_company"
    CURRENT_TITLE = "current_title"
    LINKEDIN = "linkedin"
    GITHUB = "github"
    TWITTER = "twitter"
    PORTFOLIO = "portfolio"
    WEBSITE = "website"
    OTHER_LINK = "other_link"
    YEARS_EXPERIENCE = "years_experience"
    RESUME = "resume"
    COVER_LETTER = "cover_letter"
    GENDER = "gender"
    RACE = "race"
    HISPANIC = "hispanic"
    VETERAN = "veteran"
    DISABILITY = "disability"
    PRONOUNS = "pronouns"
    WORK_AUTHORIZATION = "work_authorization"
    SPONSORSHIP = "sponsorship"
    LOCATED_IN = "located_in"  # "Are you currently located in Canada?"
    RELOCATION = "relocation"
    REMOTE = "remote"
    NOTICE_PERIOD = "notice_period"
    START_DATE = "start_date"
    SALARY = "salary"
    CONSENT_REQUIRED = "consent_required"  # privacy notice, terms, processing for this application
    CONSENT_OPTIONAL = "consent_optional"  # marketing, future contact, talent pool, cookies: left alone
    HONEYPOT = "honeypot"
    UNKNOWN = "unknown"

    @property
    def is_eeo(self) -> bool:
        return self in EEO_MEANINGS

    @property
    def left_alone(self) -> bool:
        """Never filled by the universal filler, whatever the profile says."""
        return self in (Meaning.CONSENT_OPTIONAL, Meaning.HONEYPOT, Meaning.UNKNOWN)


EEO_MEANINGS = frozenset(
    {Meaning.GENDER, Meaning.RACE, Meaning.HISPANIC, Meaning.VETERAN, Meaning.DISABILITY, Meaning.PRONOUNS}
)
# Meanings a yes/no or option question can carry (the others are typed values).
QUESTION_MEANINGS = EEO_MEANINGS | frozenset(
    {
        Meaning.WORK_AUTHORIZATION,
        Meaning.SPONSORSHIP,
        Meaning.LOCATED_IN,
        Meaning.RELOCATION,
        Meaning.REMOTE,
        Meaning.NOTICE_PERIOD,
        Meaning.START_DATE,
        Meaning.SALARY,
        Meaning.YEARS_EXPERIENCE,
        Meaning.COUNTRY,
    }
)


@dataclass(frozen=True)
class ControlFacts:
    """Everything the page says about one control (or one radio/checkbox group)."""

    kind: str = "text"  # text | textarea | select | radio | checkbox | file | combobox | phone-country
    label: str = ""
    name: str = ""
    id: str = ""
    autocomplete: str = ""
    placeholder: str = ""
    legend: str = ""  # the fieldset's legend or the group's heading
    nearby: str = ""  # text just before the control (a button's "Attach résumé" for a hidden file input)
    input_type: str = ""  # the <input>'s type attribute
    hidden: bool = False  # off-screen, aria-hidden, or zero-sized while a sibling is visible
    options: Sequence[str] = field(default_factory=tuple)


# --------------------------------------------------------------------------- autocomplete tokens

# WHATWG autofill field names -> meaning (https://html.spec.whatwg.org/multipage/form-control-infrastructure.html).
AUTOCOMPLETE: dict[str, Meaning] = {
    "name": Meaning.FULL_NAME,
    "given-name": Meaning.FIRST_NAME,
    "additional-name": Meaning.MIDDLE_NAME,
    "family-name": Meaning.LAST_NAME,
    "nickname": Meaning.PREFERRED_NAME,
    "email": Meaning.EMAIL,
    "tel": Meaning.PHONE,
    "tel-national": Meaning.PHONE,
    "tel-country-code": Meaning.PHONE_COUNTRY,
    "organization": Meaning.CURRENT_COMPANY,
    "organization-title": Meaning.CURRENT_TITLE,
    "street-address": Meaning.STREET_ADDRESS,
    "address-line1": Meaning.STREET_ADDRESS,
    "address-level2": Meaning.CITY,
    "address-level1": Meaning.REGION,
    "country": Meaning.COUNTRY,
    "country-name": Meaning.COUNTRY,
    "postal-code": Meaning.POSTAL_CODE,
    "url": Meaning.WEBSITE,
    "sex": Meaning.GENDER,
}
# Tokens that say the control is not ours to fill (passwords, payment cards, one-time codes, …).
AUTOCOMPLETE_FOREIGN = re.compile(
    r"^(new-password|current-password|one-time-code|cc-.*|transaction-.*|bday.*|photo"
    r"|username|impp|honorific-.*|address-line[23]|address-level[34]|language)$"
)


def _autocomplete_meaning(token: str) -> Meaning | None:
    """The last token of `autocomplete` ("section-a shipping given-name" -> given-name), if it is a field name."""
    words = [word for word in token.lower().split() if word != "webauthn"]
    if not words or words[-1] in ("on", "off"):
        return None
    if AUTOCOMPLETE_FOREIGN.match(words[-1]):
        return Meaning.UNKNOWN
    return AUTOCOMPLETE.get(words[-1])


# --------------------------------------------------------------------------- reading text


def plain(text: str) -> str:
    """Lower case, no accents, words split at camelCase, _ and punctuation: "cEmail_2" -> "c email 2"."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text or "")
    text = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("’", "'")
    return " ".join(re.sub(r"[^a-z0-9+']+", " ", text).split())


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(rf"(?:\b{pattern}\b)" for pattern in patterns))


HONEYPOT_NAME = _words(
    r"honey ?pot",
    r"hp",
    r"hp (?:field|check)",
    r"leave (?:this )?(?:field )?(?:blank|empty)",
    r"do not (?:fill|enter|complete)",
    r"trap",
    r"bot (?:check|field|trap)",
    r"no ?spam",
    r"anti ?spam",
    r"if you are (?:a )?human",
)

# Consents. Marketing / future contact / talent pool / cookies are never ticked by the filler.
CONSENT = _words(
    r"consent\w*",
    r"gdpr",
    r"privacy",
    r"data protection",
    r"agree\w*",
    r"accept\w*",
    r"terms",
    r"acknowledg\w*",
    r"datenschutz\w*",
    r"einwillig\w*",
    r"zustimm\w*",
    r"einverstanden",
    r"consentement",
    r"j'accepte",
    r"accepte",
    r"confidentialite",
    r"donnees personnelles",
    r"consentimiento",
    r"acepto",
    r"privacidad",
    r"proteccion de datos",
    r"i (?:have )?read",
    r"i understand",
    r"i confirm",
    r"certify",
)
CONSENT_OPTIONAL = _words(
    r"marketing",
    r"newsletters?",
    r"promotion\w*",
    r"advertis\w*",
    r"cookies?",
    r"talent (?:pool|community|network)",
    r"talentpool",
    r"job alerts?",
    r"future (?:job |career |employment )?(?:opportunit\w*|roles?|positions?|openings?|"
    r"vacanc\w*|consideration)",
    r"other (?:roles|positions|opportunit\w*|vacanc\w*)",
    r"keep (?:my|your) "
    r"(?:data|information|details|cv|resume|application) (?:on file|for)",
    r"retain (?:my|your)",
    r"contact (?:me|you) (?:about|regarding|for|with|in the future)",
    r"(?:news|updates) (?:about|from)",
    r"sms",
    r"text messages?",
    r"whatsapp",
    r"zukunftig\w*",
    r"kunftig\w*",
    r"weitere stellen",
    r"futures? offres?",
    r"autres offres",
    r"futuras (?:vacantes|ofertas|oportunidades)",
    r"otras (?:vacantes|ofertas)",
)

EXCLUDED_NAMES = _words(
    r"referr\w*",
    r"reference\w*",
    r"emergency",
    r"manager",
    r"recruiter",
    r"hiring",
    r"school",
    r"university",
    r"college",
    r"institution",
    r"degree",
    r"spouse",
    r"parent",
    r"father",
    r"mother",
    r"contact person",
    r"supervisor",
    r"employee",
    r"who referred",
    r"empfehl\w*",
    r"referent\w*",
    r"user ?name",
    r"login",
    r"password",
    r"pass ?word",
    r"file ?name",
    r"project",
    r"team",
    r"event",
    r"(?:phone|telephone|number) type",
    r"type of (?:phone|telephone|number)",
)

# (meaning, pattern on the plain label), checked in order: the first that matches wins.
LABEL_MEANINGS: tuple[tuple[Meaning, re.Pattern[str]], ...] = (
    # Self-identification before anything that might share a word with it ("veteran status").
    (Meaning.HISPANIC, _words(r"hispanic", r"latin[oax]", r"latinx")),
    (
        Meaning.RACE,
        _words(r"race", r"racial", r"ethnic\w*", r"ethnie", r"etnia", r"origen etnico", r"origine ethnique"),
    ),
    (Meaning.VETERAN, _words(r"veterans?", r"military (?:service|status)", r"armed forces")),
    (
        Meaning.DISABILITY,
        _words(
            r"disabilit\w*",
            r"disabled",
            r"behinderung",
            r"schwerbehindert\w*",
            r"handicap\w*",
            r"discapacidad",
            r"diversidad funcional",
        ),
    ),
    (Meaning.PRONOUNS, _words(r"pronouns?", r"pronomen", r"pronoms?", r"pronombres?")),
    (Meaning.GENDER, _words(r"gender\w*", r"sex", r"geschlecht", r"genre", r"sexe", r"genero", r"sexo")),
    # Legal and logistics.
    (
        Meaning.SPONSORSHIP,
        _words(
            r"sponsor\w*",
            r"parrainage",
            r"patrocinio",
            r"(?:require|need)\w* (?:\w+ ){0,3}visas?",
            r"visum (?:benotig\w*|sponsor\w*)",
            r"besoin d'un visa",
            r"necesit\w* (?:una )?visa",
        ),
    ),
    (
        Meaning.WORK_AUTHORIZATION,
        _words(
            r"authori[sz]\w* to (?:work|be employed)",
            r"authori[sz]ation to work",
            r"work authori[sz]ation",
            r"right to work",
            r"eligib\w* to work",
            r"eligible for employment",
            r"entitled to work",
            r"legally (?:able|allowed|permitted|eligible) to work",
            r"permitted to work",
            r"allowed to work",
            r"work permit",
            r"arbeitserlaubnis",
            r"arbeitsgenehmigung",
            r"aufenthaltstitel",
            r"autorise\w* a travailler",
            r"permis de travail",
            r"droit de travailler",
            r"autorizacion (?:para|de) trabaj\w*",
            r"permiso de trabajo",
            r"autorizad\w* (?:para|a) trabajar",
        ),
    ),
    (
        Meaning.RELOCATION,
        _words(
            r"relocat\w*",
            r"umzug\w*",
            r"umzieh\w*",
            r"demenag\w*",
            r"reubica\w*",
            r"mudarte",
            r"mudarse",
            r"traslad\w*",
        ),
    ),
    (
        Meaning.REMOTE,
        _words(
            r"remote (?:work )?preference",
            r"work(?:ing)? (?:arrangement|model|setup) preference",
            r"prefer(?:ence)? (?:to work )?(?:remote|hybrid|on ?site)",
            r"(?:remote|hybrid|on ?site) or (?:remote|hybrid|on ?site|office)",
            r"open to (?:working )?remote\w*",
            r"home ?office",
            r"teletravail",
            r"trabajo remoto",
            r"teletrabajo",
        ),
    ),
    (
        Meaning.NOTICE_PERIOD,
        _words(
            r"notice period",
            r"period of notice",
            r"notice",
            r"kundigungsfrist",
            r"preavis",
            r"periodo de preaviso",
            r"preaviso",
        ),
    ),
    (
        Meaning.START_DATE,
        _words(
            r"start date",
            r"when can you start",
            r"earliest (?:possible )?(?:start|date)",
            r"available to start",
            r"availability to start",
            r"date of availability",
            r"eintrittsdatum",
            r"eintrittstermin",
            r"fruhest\w* (?:eintritt|start)",
            r"date de (?:debut|disponibilite)",
            r"disponibilite",
            r"fecha de (?:inicio|incorporacion)",
            r"disponibilidad",
        ),
    ),
    (
        Meaning.SALARY,
        _words(
            r"salar\w*",
            r"compensation",
            r"pay expectations?",
            r"remunerat\w*",
            r"gehalt\w*",
            r"gehaltsvorstellung\w*",
            r"salaire",
            r"pretentions? salariales?",
            r"remuneration",
            r"pretension salarial",
            r"expectativa salarial",
            r"sueldo",
        ),
    ),
    (
        Meaning.YEARS_EXPERIENCE,
        re.compile(
            r"^(?:(?:how many|total|number of) )?(?:years|yrs) (?:of )?(?:(?:professional|relevant|work|total|overall"
            r"|industry) )?(?:work )?experience$|^(?:total |overall )?(?:years of )?experience \(?(?:in )?years\)?$"
            r"|^how many years of (?:professional |relevant |work )?experience do you have$"
            r"|^berufserfahrung(?: in jahren)?$|^annees d'experience$|^anos de experiencia$"
        ),
    ),
    # Files.
    (
        Meaning.COVER_LETTER,
        _words(
            r"cover ?letter",
            r"motivation(?:al)? letter",
            r"letter of motivation",
            r"anschreiben",
            r"motivationsschreiben",
            r"lettre de motivation",
            r"carta de (?:presentacion|motivacion)",
        ),
    ),
    (Meaning.RESUME, _words(r"resume", r"cv", r"curriculum(?: vitae)?", r"lebenslauf", r"curriculo")),
    # Links by site.
    (Meaning.LINKEDIN, _words(r"linked ?in")),
    (Meaning.GITHUB, _words(r"git ?hub")),
    (Meaning.TWITTER, _words(r"twitter", r"x\.com", r"x (?:handle|profile)")),
    (Meaning.PORTFOLIO, _words(r"portfolio", r"portafolio", r"dribbble", r"behance")),
    (
        Meaning.WEBSITE,
        _words(
            r"web ?site",
            r"personal (?:site|page|homepage)",
            r"home ?page",
            r"blog",
            r"webseite",
            r"site (?:web|personnel)",
            r"sitio web",
            r"pagina web",
        ),
    ),
    (Meaning.OTHER_LINK, _words(r"other (?:links?|urls?|profiles?)", r"urls?", r"links?")),
    # Contact.
    (
        Meaning.EMAIL_CONFIRM,
        _words(
            r"(?:confirm|re ?enter|repeat|retype|verify|verification) (?:your )?e ?mail\w*",
            r"e ?mail\w* (?:again|confirmation|bestatig\w*|wiederhol\w*)",
            r"confirm(?:er|ar|ation)? (?:du |el |votre |tu |de )?(?:l'|su )?"
            r"(?:e ?mail|courriel|correo)\w*",
        ),
    ),
    (Meaning.EMAIL, _words(r"e ?mail\w*", r"courriel", r"correo(?: electronico)?", r"mail")),
    (
        Meaning.PHONE_COUNTRY,
        _words(
            r"(?:phone |dial(?:ling)? |calling |country )(?:country )?code",
            r"dial code",
            r"landervorwahl",
            r"vorwahl",
            r"indicatif",
            r"codigo de pais",
            r"prefijo",
        ),
    ),
    (
        Meaning.PHONE,
        _words(
            r"phone",
            r"telephone",
            r"mobile",
            r"cell(?:ular)?",
            r"tel",
            r"telefon\w*",
            r"handy",
            r"mobilnummer",
            r"mobiltelefon",
            r"portable",
            r"telefono",
            r"movil",
            r"celular",
        ),
    ),
    # Names.
    (
        Meaning.PREFERRED_NAME,
        _words(
            r"preferred (?:first )?name",
            r"nick ?name",
            r"known as",
            r"rufname",
            r"nom d'usage",
            r"nombre preferido",
            r"name you go by",
        ),
    ),
    (
        Meaning.MIDDLE_NAME,
        _words(r"middle (?:name|initial)", r"zweiter vorname", r"deuxieme prenom", r"segundo nombre"),
    ),
    (
        Meaning.FULL_NAME,
        _words(
            r"full name",
            r"your name",
            r"legal name",
            r"complete name",
            r"vollstandiger name",
            r"vor und nachname",
            r"nom complet",
            r"nom et prenom",
            r"prenom et nom",
            r"nombre completo",
            r"nombre y apellidos?",
        ),
    ),
    (
        Meaning.FIRST_NAME,
        _words(r"first ?name", r"given ?name", r"fore ?name", r"f ?name", r"vorname", r"prenom", r"nombre"),
    ),
    (
        Meaning.LAST_NAME,
        _words(
            r"last ?name",
            r"family ?name",
            r"sur ?name",
            r"l ?name",
            r"nachname",
            r"familienname",
            r"nom de famille",
            r"apellidos?",
            r"nom",
        ),
    ),
    # Work.
    (
        Meaning.CURRENT_TITLE,
        _words(
            r"(?:current|present|recent|most recent) (?:job )?(?:title|role|position)",
            r"job ?title",
            r"headline",
            r"(?:aktuelle )?(?:position|berufsbezeichnung)",
            r"poste actuel",
            r"intitule du poste",
            r"cargo(?: actual)?",
            r"puesto actual",
        ),
    ),
    (
        Meaning.CURRENT_COMPANY,
        _words(
            r"(?:current|present|recent|most recent) (?:company|employer|organi[sz]ation)",
            r"company(?: name)?",
            r"employer",
            r"org",
            r"organi[sz]ation",
            r"(?:aktueller )?arbeitgeber",
            r"unternehmen",
            r"firma",
            r"entreprise(?: actuelle)?",
            r"employeur",
            r"empresa(?: actual)?",
        ),
    ),
    # Address and place.
    (
        Meaning.POSTAL_CODE,
        _words(
            r"zip(?: ?code)?", r"postal ?code", r"post ?code", r"plz", r"postleitzahl", r"code postal", r"codigo postal"
        ),
    ),
    (
        Meaning.STREET_ADDRESS,
        _words(
            r"street(?: address)?",
            r"address(?: line)?(?: 1)?",
            r"strasse",
            r"anschrift",
            r"adresse",
            r"direccion",
            r"domicilio",
        ),
    ),
    (Meaning.REGION, _words(r"state", r"province", r"region", r"county", r"bundesland", r"provincia", r"estado")),
    (Meaning.COUNTRY, _words(r"country(?: of residence)?", r"land", r"pays", r"pais")),
    (Meaning.CITY, _words(r"city", r"town", r"stadt", r"ville", r"ciudad", r"localidad", r"ort")),
    (
        Meaning.LOCATION,
        _words(
            r"location",
            r"where are you (?:currently )?(?:based|located)",
            r"standort",
            r"wohnort",
            r"localisation",
            r"lieu de residence",
            r"ubicacion",
            r"based in",
        ),
    ),
)

# "Are you currently located in Canada?", "Do you live in the EU?", "Wohnen Sie in Deutschland?"
LOCATED_IN = re.compile(
    r"^(?:(?:and|also|currently|so) )?(?:are you|do you) (?:currently |presently |now )?(?:(?:located|based|living|residing|resident) in|live in"
    r"|reside in|based out of)\b|\b(?:wohnen|leben) sie (?:derzeit |aktuell )?in\b|\bresidez vous (?:en|au|aux|a)\b"
    r"|\bhabitez vous (?:en|au|aux|a)\b|\b(?:resides|vives) (?:actualmente )?en\b"
)
# "What is your current country of residence?", "In which country do you live?"
CURRENT_COUNTRY = re.compile(
    r"\bcountry of (?:residence|domicile)\b|\b(?:which|what) country (?:do you|are you)\b"
    r"|\bcurrent country\b|\bwohnsitzland\b|\bpays de residence\b|\bpais de residencia\b"
)
# A question about something else that mentions a profile word ("How did you hear about our company?").
QUESTION_START = re.compile(
    r"^(?:how|why|what|which|when|where|who|do|did|does|have|has|are|is|were|was|would|will"
    r"|can|could|please (?:describe|explain|tell)|describe|explain|tell)\b"
)
# Short fields are named ("Company"); a long label that merely mentions a company is a question.
MAX_FIELD_LABEL_WORDS = 6


def meaning_of(facts: ControlFacts) -> Meaning:
    """The control's meaning; UNKNOWN when nothing says it clearly."""
    names = plain(f"{facts.name} {facts.id}")
    if facts.hidden or HONEYPOT_NAME.search(names) or HONEYPOT_NAME.search(plain(facts.label)):
        return Meaning.HONEYPOT
    if facts.input_type in ("password", "search", "date", "time", "color", "range"):
        return Meaning.UNKNOWN if facts.input_type != "date" else _date_meaning(facts)
    by_token = _autocomplete_meaning(facts.autocomplete)
    if by_token is not None:
        return by_token
    label = plain(facts.label)
    if facts.kind == "checkbox" and len(facts.options) <= 1:
        consent = _consent_meaning(" ".join((label, plain(facts.legend), *map(plain, facts.options))))
        if consent is not None:
            return consent
    if facts.kind == "file":
        return _file_meaning(facts)
    if (
        facts.kind in ("select", "listbox")
        and facts.options
        and all(_consent_meaning(plain(option)) is Meaning.CONSENT_REQUIRED for option in facts.options)
    ):
        return Meaning.CONSENT_REQUIRED  # a data-consent gate: choose which privacy policy you accept
    for text in (label, plain(facts.placeholder), names):
        if text and (meaning := _text_meaning(text, facts)) is not None:
            return meaning
    context = plain(f"{facts.legend} {facts.nearby}")
    if context and facts.kind in ("select", "radio", "checkbox", "combobox", "listbox"):
        meaning = _text_meaning(context, facts)
        if meaning is not None and (meaning.is_eeo or meaning in QUESTION_MEANINGS):
            return meaning
    return Meaning.UNKNOWN


def _text_meaning(text: str, facts: ControlFacts) -> Meaning | None:
    if text in ("name", "your name", "naam"):
        return Meaning.FULL_NAME
    if LOCATED_IN.search(text):
        return Meaning.LOCATED_IN
    if CURRENT_COUNTRY.search(text):
        return Meaning.COUNTRY
    words = len(text.split())
    for meaning, pattern in LABEL_MEANINGS:
        if not pattern.search(text):
            continue
        if meaning in QUESTION_MEANINGS or meaning in (Meaning.RESUME, Meaning.COVER_LETTER):
            if meaning in (Meaning.RESUME, Meaning.COVER_LETTER) and facts.kind != "file" and words > 4:
                continue  # "Is there anything in your résumé you want to add?" is a question
            return meaning
        limit = MAX_FIELD_LABEL_WORDS + (4 if meaning in (Meaning.LOCATION, Meaning.CITY) else 0)
        if words > limit or EXCLUDED_NAMES.search(text) or _asks_about(text, meaning):
            return None
        return meaning
    return None


def _asks_about(text: str, meaning: Meaning) -> bool:
    """A question that only mentions a profile word: "How did you hear about us? (LinkedIn, website…)"."""
    if not QUESTION_START.match(text):
        return False
    asks_for = re.compile(r"^(?:what is|what's|whats|please (?:enter|provide)|enter|provide) (?:your )?")
    return not asks_for.match(text) and meaning not in (Meaning.LOCATION, Meaning.CITY)


def _consent_meaning(text: str) -> Meaning | None:
    if CONSENT_OPTIONAL.search(text):
        return Meaning.CONSENT_OPTIONAL
    if CONSENT.search(text):
        return Meaning.CONSENT_REQUIRED
    return None


# "Apply with your résumé / LinkedIn": a vendor's shortcut that reads a file to fill the form, not its résumé field.
APPLY_WITH = re.compile(r"\bapply with\b|\bautofill\b|\bparse\b")


def _file_meaning(facts: ControlFacts) -> Meaning:
    texts = (plain(facts.label), plain(f"{facts.name} {facts.id}"), plain(facts.nearby), plain(facts.legend))
    if any(APPLY_WITH.search(text) for text in texts):
        return Meaning.UNKNOWN
    for text in texts:
        if LABEL_MEANINGS_BY[Meaning.COVER_LETTER].search(text):
            return Meaning.COVER_LETTER
        if LABEL_MEANINGS_BY[Meaning.RESUME].search(text):
            return Meaning.RESUME
    return Meaning.UNKNOWN


def _date_meaning(facts: ControlFacts) -> Meaning:
    meaning = _text_meaning(plain(facts.label), facts)
    return Meaning.START_DATE if meaning is Meaning.START_DATE else Meaning.UNKNOWN


LABEL_MEANINGS_BY = dict(LABEL_MEANINGS)
