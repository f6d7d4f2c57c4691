"""How well a job posting fits the user: a score 0-100, the reasons, what is missing, and the effort it deserves.

With a chat model the score is the LLM's judgement (one structured-output call, validated and
clamped). Without one, or when the call fails or answers nonsense, it is a keyword score: the
skills and significant words of the posting found in the user's résumé text and saved answers.
Both say why in plain words ("matches: python, postgres", "missing: kubernetes").
"""

from __future__ import annotations

import enum
import logging
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from automation.llm import LLMError, UsageCounter, ask_structured
from automation.questions import QuestionClass, classify
from storage.models import Profile

log = logging.getLogger(__name__)

NEUTRAL_SCORE = 50  # when there is nothing to compare, neither skip nor chase the job
MAX_REASONS = 5
MAX_MISSING = 10
MAX_REASON_CHARS = 200
MAX_MISSING_CHARS = 60
MAX_LISTED_TERMS = 8
MAX_POSTING_FOR_LLM = 12_000
MAX_SUMMARY_FOR_LLM = 8_000
MAX_TEXT_FOR_KEYWORDS = 50_000
TOP_KEYWORDS = 15
# Weights of the keyword score's parts; parts the posting gives nothing for are left out.
SKILLS_WEIGHT, KEYWORDS_WEIGHT, TITLE_WEIGHT = 0.6, 0.25, 0.15


class Effort(str, enum.Enum):
    SKIP = "skip"  # a poor fit: not worth applying
    QUICK = "quick"  # apply with the profile as it is
    TAILORED = "tailored"  # a strong fit: worth tailoring the application


class MatchSource(str, enum.Enum):
    LLM = "llm"
    KEYWORDS = "keywords"


@dataclass(frozen=True)
class JobMatch:
    score: int  # 0-100
    reasons: list[str]
    missing: list[str]
    effort: Effort
    source: MatchSource = MatchSource.KEYWORDS


def effort_for(score: int, *, skip_below: int, tailored_above: int) -> Effort:
    """Skip below `skip_below`, tailor above `tailored_above` (both exclusive), apply quickly in between."""
    if not 0 <= skip_below <= tailored_above <= 100:
        raise ValueError("thresholds must satisfy 0 <= skip_below <= tailored_above <= 100")
    if score < skip_below:
        return Effort.SKIP
    return Effort.TAILORED if score > tailored_above else Effort.QUICK


async def score_job(
    posting_text: str,
    title: str | None,
    profile: Profile,
    *,
    model: BaseChatModel | None = None,
    skip_below: int,
    tailored_above: int,
    profile_summary: str | None = None,
    usage: UsageCounter | None = None,
) -> JobMatch:
    """Score the posting for the user: one LLM call when a model is given, the keyword score otherwise."""
    effort_for(0, skip_below=skip_below, tailored_above=tailored_above)  # refuse bad thresholds up front
    keywords = keyword_match(posting_text, title, profile, profile_summary=profile_summary)
    if model is None:
        return _as_match(keywords, skip_below, tailored_above, note="keyword score (no LLM configured)")
    if not keywords.comparable:
        return _as_match(keywords, skip_below, tailored_above, note="keyword score (not worth an LLM call)")
    try:
        judged = await ask_structured(
            model, JobAssessment, _llm_messages(posting_text, title, profile, profile_summary), usage=usage
        )
        score, reasons, missing = _checked_assessment(judged)
    except LLMError as exc:
        log.info("job scoring fell back to keywords: %s", exc)
        return _as_match(keywords, skip_below, tailored_above, note=f"LLM unavailable ({exc}): keyword score")
    return JobMatch(
        score,
        reasons,
        missing,
        effort_for(score, skip_below=skip_below, tailored_above=tailored_above),
        MatchSource.LLM,
    )


# --------------------------------------------------------------------------- the LLM's judgement


class JobAssessment(BaseModel):
    """How well the job fits the candidate."""

    score: float = Field(description="0 to 100: 0 unrelated, 50 partly qualified, 100 an excellent fit")
    reasons: list[str] = Field(description="Up to five short, concrete reasons for the score")
    missing: list[str] = Field(description="The job's requirements the candidate lacks, as short skill names")


_SYSTEM_PROMPT = (
    "You assess, for a job seeker, how well a job posting fits them. Judge only from the posting and the "
    "candidate's information given. Score from 0 to 100 (0: unrelated, 50: partly qualified, 100: an "
    "excellent fit). Give up to five short, concrete reasons, and list the posting's requirements the "
    "candidate lacks as short skill names (empty when nothing is missing)."
)


def _llm_messages(
    posting_text: str, title: str | None, profile: Profile, profile_summary: str | None
) -> list[SystemMessage | HumanMessage]:
    """The posting and what the user told us about themselves; no contact details, no demographics."""
    lines = [
        f"Job title: {title.strip()}" if title and title.strip() else "Job title: (not given)",
        "",
        "Job posting:",
        posting_text.strip()[:MAX_POSTING_FOR_LLM],
        "",
        "Candidate:",
    ]
    if profile.location:
        lines.append(f"Location: {profile.location}")
    if profile_summary and profile_summary.strip():
        lines += ["Résumé:", profile_summary.strip()[:MAX_SUMMARY_FOR_LLM]]
    shared = [(question, answer) for question, answer in profile.answers.items() if _shareable(question)]
    if shared:
        lines.append("Answers the candidate saved:")
        lines += [f"- {question}: {answer}" for question, answer in shared]
    return [SystemMessage(_SYSTEM_PROMPT), HumanMessage("\n".join(lines))]


def _shareable(question: str) -> bool:
    return classify(question) is not QuestionClass.DEMOGRAPHIC


def _checked_assessment(judged: JobAssessment) -> tuple[int, list[str], list[str]]:
    """Clamp the score to 0-100 and tidy the lists; a score that is not a number is not an answer."""
    if not math.isfinite(judged.score):
        raise LLMError("the LLM's score is not a number")
    score = round(min(max(judged.score, 0.0), 100.0))
    reasons = _tidy(judged.reasons, MAX_REASONS, MAX_REASON_CHARS) or ["the LLM gave no reasons"]
    return score, reasons, _tidy(judged.missing, MAX_MISSING, MAX_MISSING_CHARS)


def _tidy(items: Iterable[str], limit: int, max_chars: int) -> list[str]:
    seen: dict[str, str] = {}
    for item in items:
        text = " ".join(str(item).split())
        if text and text.casefold() not in seen:
            seen[text.casefold()] = text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "…"
    return list(seen.values())[:limit]


# --------------------------------------------------------------------------- the keyword score


# canonical skill -> the ways postings and résumés write it (lower case)
SKILLS: dict[str, tuple[str, ...]] = {
    "python": ("python",),
    "java": ("java",),
    "javascript": ("javascript", "js", "ecmascript"),
    "typescript": ("typescript",),
    "go": ("golang",),
    "rust": ("rust",),
    "c++": ("c++", "cpp"),
    "c#": ("c#", "csharp"),
    ".net": (".net", "dotnet", "asp.net"),
    "ruby": ("ruby",),
    "rails": ("rails", "ruby on rails"),
    "php": ("php",),
    "laravel": ("laravel",),
    "scala": ("scala",),
    "kotlin": ("kotlin",),
    "swift": ("swift",),
    "elixir": ("elixir",),
    "haskell": ("haskell",),
    "sql": ("sql",),
    "postgres": ("postgres", "postgresql", "psql"),
    "mysql": ("mysql",),
    "sqlite": ("sqlite",),
    "mongodb": ("mongodb", "mongo"),
    "redis": ("redis",),
    "elasticsearch": ("elasticsearch", "elastic search"),
    "kafka": ("kafka",),
    "rabbitmq": ("rabbitmq",),
    "spark": ("spark", "pyspark"),
    "hadoop": ("hadoop",),
    "airflow": ("airflow",),
    "dbt": ("dbt",),
    "snowflake": ("snowflake",),
    "bigquery": ("bigquery",),
    "databricks": ("databricks",),
    "pandas": ("pandas",),
    "numpy": ("numpy",),
    "scikit-learn": ("scikit-learn", "sklearn"),
    "pytorch": ("pytorch",),
    "tensorflow": ("tensorflow",),
    "machine learning": ("machine learning", "ml"),
    "deep learning": ("deep learning",),
    "nlp": ("nlp", "natural language processing"),
    "llm": ("llm", "llms", "large language models"),
    "computer vision": ("computer vision",),
    "statistics": ("statistics", "statistical"),
    "react": ("react", "react.js", "reactjs"),
    "react native": ("react native",),
    "vue": ("vue", "vue.js"),
    "angular": ("angular",),
    "svelte": ("svelte",),
    "next.js": ("next.js", "nextjs"),
    "node.js": ("node.js", "nodejs", "node"),
    "django": ("django",),
    "flask": ("flask",),
    "fastapi": ("fastapi",),
    "spring": ("spring", "spring boot"),
    "graphql": ("graphql",),
    "rest": ("rest", "restful", "rest api"),
    "grpc": ("grpc",),
    "html": ("html", "html5"),
    "css": ("css", "css3"),
    "tailwind": ("tailwind",),
    "aws": ("aws", "amazon web services"),
    "gcp": ("gcp", "google cloud"),
    "azure": ("azure",),
    "docker": ("docker",),
    "kubernetes": ("kubernetes", "k8s"),
    "terraform": ("terraform",),
    "ansible": ("ansible",),
    "linux": ("linux",),
    "bash": ("bash", "shell scripting"),
    "git": ("git",),
    "ci/cd": ("ci/cd", "ci cd", "continuous integration", "continuous delivery"),
    "jenkins": ("jenkins",),
    "github actions": ("github actions",),
    "prometheus": ("prometheus",),
    "grafana": ("grafana",),
    "microservices": ("microservices", "microservice"),
    "distributed systems": ("distributed systems",),
    "ios": ("ios",),
    "android": ("android",),
    "flutter": ("flutter",),
    "figma": ("figma",),
    "jira": ("jira",),
    "agile": ("agile",),
    "scrum": ("scrum",),
    "excel": ("excel",),
    "tableau": ("tableau",),
    "power bi": ("power bi", "powerbi"),
    "salesforce": ("salesforce",),
    "hubspot": ("hubspot",),
    "seo": ("seo",),
    "etl": ("etl",),
    "a/b testing": ("a/b testing", "ab testing"),
    "ux": ("ux", "user experience"),
}
# "Go" the language is written with a capital; "Go" opening a sentence is the verb.
_GO_PATTERN = re.compile(r"(?<![\w+#.])Go(?![\w+#/'-])")
_LISTED_NEXT = re.compile(r"\s*(?:[,/;&)]|$|(?:and|or) [A-Z])")

_SKILL_PATTERN = re.compile(
    r"(?<![\w+#.])("
    + "|".join(
        re.escape(alias) for alias in sorted({a for aliases in SKILLS.values() for a in aliases}, key=len, reverse=True)
    )
    + r")(?![\w+#])"
)
_SKILL_OF = {alias: skill for skill, aliases in SKILLS.items() for alias in aliases}

_STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "across",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "etc",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "more",
        "most",
        "must",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "shall",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "ability",
        "able",
        "across",
        "additional",
        "apply",
        "applicant",
        "applicants",
        "application",
        "applications",
        "based",
        "benefit",
        "benefits",
        "best",
        "build",
        "building",
        "candidate",
        "candidates",
        "career",
        "closely",
        "company",
        "culture",
        "day",
        "days",
        "degree",
        "strong",
        "desire",
        "diverse",
        "diversity",
        "environment",
        "equal",
        "excellent",
        "experience",
        "experienced",
        "familiarity",
        "familiar",
        "great",
        "help",
        "highly",
        "ideal",
        "ideally",
        "include",
        "including",
        "join",
        "key",
        "knowledge",
        "looking",
        "love",
        "make",
        "new",
        "offer",
        "offers",
        "opportunity",
        "opportunities",
        "part",
        "passion",
        "passionate",
        "people",
        "plus",
        "position",
        "preferred",
        "proven",
        "related",
        "relevant",
        "requirement",
        "requirements",
        "required",
        "responsibilities",
        "responsibility",
        "role",
        "salary",
        "skill",
        "skills",
        "solid",
        "team",
        "teams",
        "time",
        "understanding",
        "using",
        "well",
        "work",
        "working",
        "world",
        "year",
        "years",
        "bonus",
        "hybrid",
        "remote",
        "office",
        "full",
        "per",
        "across",
        "like",
        "want",
        "way",
        "etc",
        "employer",
        "employment",
        "gender",
        "race",
        "religion",
        "color",
        "colour",
        "national",
        "origin",
        "veteran",
        "disability",
        "status",
        "orientation",
        "identity",
        "age",
        "protected",
        "law",
        "applicable",
        "including",
        "please",
        "may",
        "also",
        "every",
        "level",
        "across",
        "globally",
    ]
)
TOO_LITTLE_POSTING = "the posting has too little text to judge"
EMPTY_PROFILE = "nothing in your profile to compare with yet: add your résumé text or saved answers"
_NEGATIVE_ANSWER = re.compile(r"^(?:no|n|none|never|false|n/?a|0+(?:\.0+)?(?: years?)?)$")
_WORD = re.compile(r"[a-z][a-z0-9+#]*(?:[-'][a-z0-9]+)*")


@dataclass(frozen=True)
class KeywordMatch:
    """The keyword score and the evidence behind it."""

    score: int
    matched_skills: list[str] = field(default_factory=list)
    missing_skills: list[str] = field(default_factory=list)
    matched_keywords: list[str] = field(default_factory=list)
    matched_title_words: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    comparable: bool = True  # False: the posting or the profile gave nothing to compare


def keyword_match(
    posting_text: str, title: str | None, profile: Profile, *, profile_summary: str | None = None
) -> KeywordMatch:
    """Overlap of the posting's skills and significant words with the profile's text; deterministic."""
    posting = f"{title or ''}\n{posting_text}"[:MAX_TEXT_FOR_KEYWORDS]
    profile_text = _profile_text(profile, profile_summary)[:MAX_TEXT_FOR_KEYWORDS]
    posting_skills, profile_skills = _skills(posting), _skills(profile_text)
    profile_words = set(_words(profile_text))
    keywords = _top_keywords(_words(posting), title)
    title_words = list(dict.fromkeys(_words(title or "")))
    missing = [skill for skill, _ in posting_skills.most_common() if skill not in profile_skills]
    if not (posting_skills or keywords or title_words):
        return KeywordMatch(NEUTRAL_SCORE, reasons=[TOO_LITTLE_POSTING], comparable=False)
    if not (profile_skills or profile_words):
        return KeywordMatch(NEUTRAL_SCORE, missing_skills=missing, reasons=[EMPTY_PROFILE], comparable=False)
    matched = [skill for skill, _ in posting_skills.most_common() if skill in profile_skills]
    matched_keywords = [word for word in keywords if word in profile_words]
    matched_title = [word for word in title_words if word in profile_words]
    parts = [
        (SKILLS_WEIGHT, len(matched), len(posting_skills)),
        (KEYWORDS_WEIGHT, len(matched_keywords), len(keywords)),
        (TITLE_WEIGHT, len(matched_title), len(title_words)),
    ]
    weight = sum(part_weight for part_weight, _, total in parts if total)
    score = round(100 * sum(part_weight * found / total for part_weight, found, total in parts if total) / weight)
    return KeywordMatch(
        score,
        matched,
        missing,
        matched_keywords,
        matched_title,
        _keyword_reasons(matched, missing, len(posting_skills), matched_keywords, len(keywords)),
    )


def _keyword_reasons(
    matched: list[str], missing: list[str], skills_named: int, matched_keywords: list[str], keywords: int
) -> list[str]:
    reasons = []
    if skills_named:
        reasons.append(f"{len(matched)} of {skills_named} skills the posting names are in your profile")
    if matched:
        reasons.append("matches: " + ", ".join(matched[:MAX_LISTED_TERMS]))
    if missing:
        reasons.append("missing: " + ", ".join(missing[:MAX_LISTED_TERMS]))
    if keywords:
        listed = f": {', '.join(matched_keywords[:MAX_LISTED_TERMS])}" if matched_keywords else ""
        reasons.append(f"{len(matched_keywords)} of the posting's {keywords} key words appear in your profile{listed}")
    return reasons


def _as_match(keywords: KeywordMatch, skip_below: int, tailored_above: int, *, note: str) -> JobMatch:
    reasons = [note, *keywords.reasons]
    effort = effort_for(keywords.score, skip_below=skip_below, tailored_above=tailored_above)
    return JobMatch(keywords.score, reasons, keywords.missing_skills[:MAX_MISSING], effort, MatchSource.KEYWORDS)


def _profile_text(profile: Profile, profile_summary: str | None) -> str:
    """What the user told us about their work: résumé text, location and the saved answers that describe it."""
    parts = [profile_summary or "", profile.location or ""]
    for question, answer in profile.answers.items():
        if classify(question) not in (QuestionClass.GENERAL, QuestionClass.EXPERIENCE_YEARS):
            continue
        # "Do you know Kubernetes? No" must not count Kubernetes as a skill the user has.
        if not _NEGATIVE_ANSWER.match(answer.strip().casefold()):
            parts += [question, answer]
    return "\n".join(parts)


def _folded(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _skills(text: str) -> Counter[str]:
    """Skills named in the text, counted; ties keep the order they first appear in."""
    folded = _folded(text)
    found = [(match.start(), _SKILL_OF[match.group(1)]) for match in _SKILL_PATTERN.finditer(folded.casefold())]
    found += [(match.start(), "go") for match in _GO_PATTERN.finditer(folded) if _is_go_language(folded, match)]
    return Counter(skill for _, skill in sorted(found))


def _is_go_language(text: str, match: re.Match[str]) -> bool:
    """Inside a sentence, or listed ("Go, Rust", "Go and Rust"); not "Go further." opening a sentence."""
    before = text[: match.start()].rstrip()
    if before and before[-1] not in '.!?"“':
        return True
    return _LISTED_NEXT.match(text, match.end()) is not None


def _words(text: str) -> list[str]:
    """Significant words, lightly stemmed, skills left out (they are counted apart)."""
    lowered = _SKILL_PATTERN.sub(" ", _folded(text).casefold())
    words = []
    for word in _WORD.findall(lowered):
        if len(word) >= 3 and word not in _STOPWORDS and (stem := _stem(word)) not in _STOPWORDS:
            words.append(stem)
    return words


def _stem(word: str) -> str:
    """Plurals, -ing/-ed and a final -e, so "engineers", "engineering" and "engineer" meet."""
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("e", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4 and not word.endswith("ss"):
            return word[: len(word) - len(suffix)] + replacement
    return word


def _top_keywords(posting_words: list[str], title: str | None) -> list[str]:
    """The posting's most frequent significant words (said at least twice, or in the title)."""
    in_title = set(_words(title or ""))
    counts = Counter(posting_words)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [word for word, count in ranked if count >= 2 or word in in_title][:TOP_KEYWORDS]
