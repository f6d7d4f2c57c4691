"""A generic scripted "model" for the fake OpenAI server that drives the real browser-use Agent on any form.

`FormFillingModel` answers browser-use's `agent_output` requests the way a simple, literal model
would, from nothing but the request it is sent: the applicant's facts and saved answers in the
task text (`<user_request>`), the page as browser-use's state text (`[N]<tag attrs />` lines with
the page's own text between them), and the results of its earlier actions (`<agent_history>`).
It never sees a site's ground truth or its element ids in advance. Per step it:

* clicks an "Apply" / "Application" / "I'm interested" link when the page shows no form yet;
* matches each visible control's label, id, name, placeholder and aria-label to a fact
  (name, e-mail and phone through their `<secret>` placeholders, location, links, résumé) or to a
  saved answer by word overlap, and acts: `input`, `upload_file`, `select_dropdown` (after
  `dropdown_options` when the state shows only part of the list), `click` on a radio, checkbox,
  yes/no button or an autocomplete's option (typing a short query first; when no suggestion
  shows, clicking into the field, typing with `send_keys`, then one `wait` for a server-fed list);
* declines voluntary self-identification, ticks a consent box the form requires (never one for
  future jobs or marketing), and calls `ask_user` for a question it has no answer for;
* scrolls while the page says there is more below, then calls our `request_review`.

At most five actions a step (browser-use's limit), and a step ends after an action that may
change the page. Its replies carry short `memory` / `next_goal` texts like a real model's, so
the fake server's token counts stay honest. It is a baseline for the agent machinery's overhead
and reliability, not a measure of any real model's judgement.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

MAX_ACTIONS_PER_STEP = 5
MAX_SCROLLS = 8
MAX_NAV_CLICKS = 3
SHORT_OPTION = 40  # longer texts beside a checkbox are statements (consent), not options of a question
MATCH_THRESHOLD = 0.6  # a saved answer's question against a label
OPTION_THRESHOLD = 0.75  # a value against a listed option

ELEMENT = re.compile(
    r"^(?P<depth>\t*)(?:\|SHADOW\((?:open|closed)\)\|)?\*?\[(?P<index>\d+)\]<(?P<tag>[\w-]+)\s*(?P<attrs>.*?)\s*/>$"
)
ATTRIBUTE = re.compile(r"([\w:-]+)=(.*?)(?=\s[\w:-]+=|$)")
PAGES_BELOW = re.compile(r"([\d.]+) pages below")
ANSWERED = re.compile(r"The applicant answered '(.*?)' with: (.+)")
DECLINE = re.compile(r"decline|(don.?t|do not) (wish|want) to|prefer not|not to (say|answer|disclose)|rather not", re.I)
EEO = re.compile(r"\b(gender|sex|race|ethnicity|hispanic|latino|veteran|disability)\b", re.I)
CONSENT = re.compile(r"\b(i (have read|agree|accept|consent)|privacy (policy|notice)|consent)\b", re.I)
NOT_CONSENT = re.compile(r"future|marketing|newsletter|updates|keep my|on file", re.I)
ORDINAL_ID = re.compile(r"^(.+)[-_]\d{1,2}$")
DECLINED = "\0decline"  # what it wants from a self-identification list: the option that declines
PLACEHOLDER_OPTION = re.compile(r"^(select|please select|--|choose)", re.I)
DROPDOWN = re.compile(r"Index: (?P<index>\d+), Type:[^\n]*\):\n(?P<options>(?:\d+: text=.*\n?)+)")
OPTION_LINE = re.compile(r"^\d+: text=(\".*?\"), value=", re.M)
NAVIGATION = re.compile(r"\b(apply|application|i'?m interested)\b", re.I)
CONTROLS = {"input", "select", "textarea"}
TYPED = {"text", "email", "tel", "url", "number", "textarea", "combobox"}
STOP_WORDS = {"the", "a", "an", "you", "your", "do", "to", "of", "in", "is", "are", "for", "this", "at", "what", "and"}

# Which fact a control asks for, by its label / id / name / placeholder (first match wins).
FACT_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("cover_letter", re.compile(r"cover.?letter", re.I)),
    ("resume", re.compile(r"resume|résumé|\bcv\b", re.I)),
    ("first_name", re.compile(r"first.?name|given.?name|firstname", re.I)),
    ("last_name", re.compile(r"last.?name|family.?name|surname|lastname", re.I)),
    ("email", re.compile(r"e-?mail", re.I)),
    ("phone", re.compile(r"phone|mobile|\btel\b", re.I)),
    ("linkedin", re.compile(r"linkedin", re.I)),
    ("github", re.compile(r"github", re.I)),
    ("portfolio", re.compile(r"portfolio", re.I)),
    ("website", re.compile(r"^(personal )?web ?site\b|^website|blog", re.I)),
    ("current_company", re.compile(r"current company|employer|\borg\b", re.I)),
    ("needs_sponsorship", re.compile(r"sponsor", re.I)),
    ("location", re.compile(r"location|\bcity\b|address|where are you based", re.I)),
    ("country", re.compile(r"\bcountry\b", re.I)),
    ("full_name", re.compile(r"full.?name|^name\b|\bname$|_name\b", re.I)),
]
FACT_LINES = {
    "E-mail": "email",
    "Phone": "phone",
    "Location": "location",
    "Linkedin": "linkedin",
    "Github": "github",
    "Portfolio": "portfolio",
    "Website": "website",
    "Current company": "current_company",
    "Needs visa sponsorship": "needs_sponsorship",
}


@dataclass
class Element:
    """One `[index]<tag attrs />` of the state, with the page text around it."""

    index: int
    tag: str
    attrs: dict[str, str]
    depth: int
    text: str = ""  # its own text (a button's, a link's, an option's)
    context: list[str] = field(default_factory=list)  # page text since the previous control, nearest last
    after: str = ""  # text right after it (a radio's or checkbox's own label)
    shared_name: bool = False  # another element on the page has the same id and name

    @property
    def kind(self) -> str:
        role = self.attrs.get("role", "")
        if self.tag == "input":
            kind = self.attrs.get("type", "text")
            return "combobox" if role == "combobox" else kind
        if self.tag in ("select", "textarea"):
            return self.tag
        if (
            self.tag == "button"
            and self.attrs.get("type") != "submit"
            and (
                "pressed" in self.attrs
                or (self.context and self.context[-1].rstrip(" *").endswith("?") and 0 < len(self.text) <= 30)
            )
        ):
            return "toggle"  # one of a question's answer buttons (Yes / No)
        return role or self.tag

    @property
    def names(self) -> str:
        return " ".join(self.attrs.get(key, "") for key in ("id", "name", "placeholder", "aria-label", "title"))

    @property
    def label(self) -> str:
        return self.context[-1] if self.context else ""

    @property
    def key(self) -> str:
        value = self.attrs.get("value", "") if self.kind in ("radio", "checkbox") else ""  # others show what is typed
        # A label can change as the page reacts to answers; an id or name repeated on the page needs it.
        label = self.label if self.shared_name or not (self.attrs.get("id") or self.attrs.get("name")) else ""
        return "|".join(
            [
                self.tag,
                self.attrs.get("id", ""),
                self.attrs.get("name", ""),
                label,
                value,
                self.after,
                self.text if self.kind == "toggle" else "",
            ]
        )

    def listed_options(self) -> tuple[list[str], bool]:
        """A select's options as the state shows them, and whether that is all of them."""
        listbox = self.attrs.get("compound_components", "")
        found = re.search(r"count=(\d+),options=(.*?)(?:,format=[^)]*)?\)(?:,\(|$)", listbox)
        if not found:
            return [], False
        options = found.group(2).split("|")
        return options, len(options) >= int(found.group(1)) and not any(o.endswith("...") for o in options)


@dataclass
class Page:
    """What the state shows: the elements in page order, and how much of the page is below."""

    elements: list[Element]
    pages_below: float
    url: str


def parse_state(text: str) -> Page:
    """browser-use's `<browser_state>` text as elements, each with the page text around it."""
    state = text[text.find("<browser_state>") : text.find("</browser_state>")]
    below = PAGES_BELOW.search(state)
    url = re.search(r"Tab \w+: (\S+)", state)
    lines = state.split("Interactive elements:", 1)[-1].splitlines()
    elements: list[Element] = []
    context: list[str] = []
    owner: Element | None = None  # the button/link/option whose text the next deeper lines are
    last_control: Element | None = None
    for line in lines:
        found = ELEMENT.match(line)
        if found:
            element = Element(
                int(found["index"]),
                found["tag"],
                dict(ATTRIBUTE.findall(found["attrs"])),
                len(found["depth"]),
                context=list(context),
            )
            elements.append(element)
            if element.tag in CONTROLS:
                context = []
                last_control = element
            owner = element if element.tag in ("a", "button", "li", "option", "span", "div") else None
            continue
        stripped = line.strip()
        if not stripped or stripped in ("[Start of page]", "[End of page]", "Open Shadow", "Shadow End"):
            continue
        depth = len(line) - len(line.lstrip("\t"))
        if last_control is not None and last_control.kind in ("checkbox", "radio") and not last_control.after:
            last_control.after = stripped  # a radio's or checkbox's own label comes right after it
        if owner is not None and depth > owner.depth:
            owner.text = f"{owner.text} {stripped}".strip()
            continue
        owner = None
        if line[depth : depth + 1] == " " and context:  # an indented continuation of the previous line
            context[-1] = f"{context[-1]} {stripped}"
        else:
            context.append(stripped)
    names = [(e.attrs.get("id"), e.attrs.get("name")) for e in elements]
    for element, name in zip(elements, names, strict=True):
        element.shared_name = element.kind not in ("radio", "checkbox") and names.count(name) > 1
    return Page(elements, float(below.group(1)) if below else 0.0, url.group(1) if url else "")


def _words(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9+]+", text.lower().replace("'s", ""))
    return {word for word in words if word not in STOP_WORDS}


def similarity(a: str, b: str) -> float:
    """Word overlap of two texts, relative to the shorter one."""
    left, right = _words(a), _words(b)
    if not left or not right:
        return 0.0
    return len(left & right) / min(len(left), len(right))


def best_match(value: str, options: list[str]) -> str | None:
    scored = [(similarity(value, option), option) for option in options if option.strip()]
    exact = [option for option in options if _words(option) == _words(value)]
    if exact:
        return exact[0]
    scored = [item for item in scored if item[0] >= OPTION_THRESHOLD]
    return max(scored, key=lambda item: item[0])[1] if scored else None


def _task(body: dict[str, Any]) -> tuple[str, str]:
    """The `<user_request>` and the last user message's whole text."""
    texts = []
    for message in body.get("messages") or []:
        content = message.get("content")
        texts.append(
            content
            if isinstance(content, str)
            else "\n".join(part.get("text", "") for part in content or [] if part.get("type") == "text")
        )
    # The state is in the last message that has one (browser-use may add a nudge after it).
    whole = next((text for text in reversed(texts) if "<browser_state>" in text), texts[-1] if texts else "")
    start, end = whole.find("<user_request>"), whole.find("</user_request>")
    return whole[start:end], whole


@dataclass
class Facts:
    """The applicant as the task text gives them: facts by kind, and the saved answers."""

    values: dict[str, str]
    answers: dict[str, str]

    @classmethod
    def from_task(cls, task: str) -> Facts:
        values: dict[str, str] = {}
        answers: dict[str, str] = {}
        in_answers = False
        for line in task.splitlines():
            if line.startswith("Saved answers"):
                in_answers = True
                continue
            if not line.startswith("- "):
                continue
            label, _, value = line[2:].partition(": ")
            if in_answers:
                question, _, answer = line[2:].rpartition("?: ")
                question, answer = (question + "?", answer) if question else (label, value)
                answers[question.strip()] = answer.strip()
            elif label.startswith("Name"):
                named = re.match(r"(.+?) \(first name: (.+?); last name: (.+?)\)", value)
                if named:
                    values.update(full_name=named[1], first_name=named[2], last_name=named[3])
            elif label.startswith("Résumé"):
                values["resume"] = value.strip()
            elif label.startswith("Cover letter"):
                values["cover_letter"] = value.strip()
            elif label in FACT_LINES:
                values[FACT_LINES[label]] = value.strip()
        if "location" in values:  # "London, United Kingdom": the country is its last part
            values["country"] = values["location"].rsplit(",", 1)[-1].strip()
        return cls(values, answers)

    def answer_for(self, question: str) -> str | None:
        scored = [(similarity(question, saved), answer) for saved, answer in self.answers.items()]
        scored = [item for item in scored if item[0] >= MATCH_THRESHOLD]
        return max(scored, key=lambda item: item[0])[1] if scored else None


def step(actions: list[dict[str, Any]], goal: str, memory: str) -> dict[str, Any]:
    """One AgentOutput, with the short notes a model writes beside its actions."""
    return {
        "thinking": None,
        "evaluation_previous_goal": "Done as planned." if actions else "",
        "memory": memory,
        "next_goal": goal,
        "action": actions,
    }


def listed_dropdowns(text: str) -> dict[int, list[str]]:
    """The options `dropdown_options` reported (in the step's `<read_state>`), by element index."""
    found: dict[int, list[str]] = {}
    for block in DROPDOWN.finditer(text):
        found[int(block["index"])] = [json.loads(text) for text in OPTION_LINE.findall(block["options"])]
    return found


class FormFillingModel:
    """Call with a chat-completions request body; returns browser-use's AgentOutput for it."""

    def __init__(self) -> None:
        self.done: set[str] = set()  # the elements it already handled: its memory between steps
        self.asked: set[str] = set()
        self.listing: set[str] = set()  # selects it asked `dropdown_options` for
        self.pending: tuple[Element, str, str, int] | None = None  # autocomplete, wanted value, query, tries
        self.dropdowns: dict[int, list[str]] = {}  # element index -> options `dropdown_options` returned
        self.scrolls = 0
        self.nav_clicks = 0
        self.steps = 0

    def __call__(self, body: dict[str, Any]) -> dict[str, Any] | str:
        schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("name")
        if schema != "agent_output":
            return "I can only fill forms."
        self.steps += 1
        task, whole = _task(body)
        facts = Facts.from_task(task)
        history = whole[whole.find("<agent_history>") : whole.find("</agent_history>")]
        for question, answer in ANSWERED.findall(history):
            facts.answers.setdefault(question, answer.strip())
        page = parse_state(whole)
        self.dropdowns.update(listed_dropdowns(whole))  # shown once, in <read_state>: remember them
        actions = self._plan(page, facts, self.dropdowns)
        if actions:
            names = ", ".join(next(iter(action)) for action in actions)
            return step(actions, f"Fill the visible fields ({names}).", f"Step {self.steps}: filling the form.")
        if page.pages_below > 0.05 and self.scrolls < MAX_SCROLLS:
            self.scrolls += 1
            return step(
                [{"scroll": {"down": True, "pages": 1.0, "index": None}}],
                "See the rest of the form.",
                f"Step {self.steps}: scrolled {self.scrolls} time(s).",
            )
        return step(
            [{"request_review": {"note": "Filled every field I could; please review."}}],
            "Hand the form over for review.",
            "All visible fields handled.",
        )

    # ----------------------------------------------------------------- planning

    def _plan(self, page: Page, facts: Facts, dropdowns: dict[int, list[str]]) -> list[dict[str, Any]]:
        controls = [e for e in page.elements if e.tag in CONTROLS or e.kind == "toggle"]
        if not [e for e in controls if e.kind not in ("hidden", "button", "submit")]:
            return self._navigate(page)
        if self.pending is not None:
            picked = self._pick_option(page)
            if picked:
                return picked
        groups = _choice_groups(controls)
        actions: list[dict[str, Any]] = []
        for element in controls:
            if len(actions) >= MAX_ACTIONS_PER_STEP or element.key in self.done:
                continue
            if element.kind in TYPED and element.attrs.get("value"):
                self.done.add(element.key)  # it already shows an answer
                continue
            if element.kind in ("radio", "checkbox", "toggle"):
                members = groups[element.index]
                self.done.update(member.key for member in members)
                planned = self._choose(members, facts)
            else:
                self.done.add(element.key)
                planned = self._act_on(element, facts, dropdowns)
                if any("ask_user" in action for action in planned):
                    self.done.discard(element.key)  # back to it with the answer (asked once: never again)
            if len(actions) + len(planned) > MAX_ACTIONS_PER_STEP:
                self.done.difference_update(m.key for m in groups.get(element.index, [element]))
                break
            actions += planned
            if self.pending is not None or any("dropdown_options" in a for a in planned):
                break  # an open autocomplete or a listed dropdown: look at the page again first
            if any("click" in a for a in planned) and element.kind == "toggle":
                break
        return actions

    def _navigate(self, page: Page) -> list[dict[str, Any]]:
        if self.nav_clicks >= MAX_NAV_CLICKS:
            return []
        links = [
            e
            for e in page.elements
            if e.tag in ("a", "button") and NAVIGATION.search(e.text) and f"nav:{e.index}" not in self.done
        ]
        if not links:
            return []
        # "Apply for this job" before a bare "Apply" button (which the guard may take for a submit).
        link = max(links, key=lambda e: (e.tag == "a", len(e.text)))
        self.done.add(f"nav:{link.index}")
        self.nav_clicks += 1
        return [{"click": {"index": link.index}}]

    def _act_on(self, element: Element, facts: Facts, dropdowns: dict[int, list[str]]) -> list[dict[str, Any]]:
        fact = _fact_for(element)
        question = element.label
        if element.kind == "file":
            path = facts.values.get(fact or "")
            if fact in ("resume", "cover_letter") and path and fact not in self.done:
                self.done.add(fact)  # its label turns into the file's name once uploaded
                return [{"upload_file": {"index": element.index, "path": path}}]
            return []
        if element.kind in ("hidden", "button", "submit", "image", "reset"):
            return []
        value: str | None = None
        if fact in ("email", "phone"):
            value = f"<secret>applicant_{fact}</secret>" if fact in facts.values else None
        elif fact is not None:
            value = facts.values.get(fact)
        if value is None and question:
            value = facts.answer_for(question)
        if element.kind == "select":
            return self._select(element, value, question, dropdowns)
        if element.kind == "combobox":
            if value is None and EEO.search(question):  # open the list and decline
                self.pending = (element, DECLINED, "", 1)
                return [{"click": {"index": element.index}}]
            if value is None:
                return self._ask(question) if question.rstrip(" *").endswith("?") else []
            query = value.split(",")[0].strip() if fact == "location" else value
            self.pending = (element, value, query, 0)
            return [{"input": {"index": element.index, "text": query, "clear": True}}]
        if value is not None:
            return [{"input": {"index": element.index, "text": value, "clear": True}}]
        if fact is None and question and (question.rstrip(" *").endswith("?") or element.tag == "textarea"):
            return self._ask(question)
        return []

    def _select(
        self, element: Element, value: str | None, question: str, dropdowns: dict[int, list[str]]
    ) -> list[dict[str, Any]]:
        options, complete = element.listed_options()
        if element.index in dropdowns and element.key in self.listing:
            options, complete = dropdowns[element.index], True
        eeo = value is None and bool(EEO.search(question))
        if eeo:
            choice = next((option for option in options if DECLINE.search(option)), None)
        else:
            choice = best_match(value, options) if value else None
        if choice is None and not complete and (value is not None or eeo) and element.key not in self.listing:
            self.listing.add(element.key)
            self.done.discard(element.key)  # come back to it with the whole list
            return [{"dropdown_options": {"index": element.index}}]
        if choice is not None:
            return [{"select_dropdown": {"index": element.index, "text": choice}}]
        if value is None and not eeo and question.rstrip(" *").endswith("?"):
            return self._ask(question, [o for o in options if not PLACEHOLDER_OPTION.match(o)])
        return []

    def _choose(self, members: list[Element], facts: Facts) -> list[dict[str, Any]]:
        """Clicks on the radios / checkboxes / yes-no buttons of one group, or a question about it."""
        first = members[0]
        texts = [m.after or m.text or m.attrs.get("value", "") for m in members]
        question = first.context[-1] if first.context else ""
        if len(members) == 1 and first.kind == "checkbox":
            wanted = first.attrs.get("required") == "true" or (
                bool(CONSENT.search(texts[0])) and not NOT_CONSENT.search(texts[0])
            )
            return [{"click": {"index": first.index}}] if wanted and first.attrs.get("checked") != "true" else []
        answer = facts.answer_for(question) if question else None
        if answer is None and EEO.search(question):
            chosen = [m for m, text in zip(members, texts, strict=True) if DECLINE.search(text)][:1]
        elif answer is None:
            return self._ask(question, texts)
        elif first.kind == "checkbox":
            parts = [p.strip() for p in re.split(r"[;,/]| and ", answer) if p.strip()]
            chosen = [
                m for m, text in zip(members, texts, strict=True) if any(_words(part) == _words(text) for part in parts)
            ]
        else:
            choice = best_match(answer, texts)
            chosen = [m for m, text in zip(members, texts, strict=True) if text == choice][:1]
        return [{"click": {"index": m.index}} for m in chosen if m.attrs.get("checked") != "true"]

    def _ask(self, question: str, options: list[str] | None = None) -> list[dict[str, Any]]:
        if not question or question in self.asked:
            return []
        self.asked.add(question)
        return [{"ask_user": {"question": question, "options": options or None}}]

    def _pick_option(self, page: Page) -> list[dict[str, Any]]:
        """After typing into an autocomplete: click the listed option that best matches the value."""
        assert self.pending is not None
        combobox, value, query, tries = self.pending
        self.pending = None
        options = [e for e in page.elements if e.attrs.get("role") == "option" or e.tag == "option"]
        texts = [o.text for o in options]
        if value == DECLINED:
            choice = next((text for text in texts if DECLINE.search(text)), None)
        else:
            choice = best_match(value, texts) or (texts[0] if texts and tries > 0 else None)
        if choice is not None:
            return [{"click": {"index": options[texts.index(choice)].index}}]
        # No suggestions: some lists open on a click; some clear what `input` typed when it leaves
        # the field, so click into it and type with keystrokes instead.
        if tries == 0:
            self.pending = (combobox, value, query, 1)
            return [{"click": {"index": combobox.index}}]
        if tries == 1 and query:
            self.pending = (combobox, value, query, 2)
            return [{"send_keys": {"keys": query}}]
        if tries == 2:  # suggestions come from a server: give them a moment
            self.pending = (combobox, value, query, 3)
            return [{"wait": {"seconds": 1}}]
        return []


def _choice_groups(controls: list[Element]) -> dict[int, list[Element]]:
    """Radios, checkboxes and answer buttons that answer one question together, by element index:
    neighbours of one kind with one name, or ids numbered within one prefix, or nothing said between."""
    groups: dict[int, list[Element]] = {}
    previous: Element | None = None
    for element in controls:
        if element.kind not in ("radio", "checkbox", "toggle"):
            previous = None
            continue
        joined = False
        if previous is not None and previous.kind == element.kind:
            name, earlier = element.attrs.get("name"), previous.attrs.get("name")
            if element.kind == "toggle":
                joined = element.context[-1:] == previous.context[-1:]
            elif (
                (name and earlier and name == earlier)
                or (_numbered(element) and _numbered(element) == _numbered(previous))
                or (
                    not name
                    and not earlier
                    and element.context in ([], [previous.after])
                    and max(len(previous.after), len(element.after)) <= SHORT_OPTION
                )
            ):
                joined = True
        groups[element.index] = groups[previous.index] if joined and previous else []
        groups[element.index].append(element)
        previous = element
    return groups


def _numbered(element: Element) -> str:
    """An id's prefix when the id ends in a small ordinal ("...-checkbox-0"), else ""."""
    found = ORDINAL_ID.match(element.attrs.get("id", ""))
    return found.group(1) if found else ""


def _fact_for(element: Element) -> str | None:
    """The applicant fact a control asks for, from its nearest label and its own names."""
    near = f"{element.label} {element.names}"
    if re.search(r"autofill", near, re.I):
        return None
    if re.search(r"country", element.names, re.I):
        return "country"
    texts = [element.label, element.names]
    if element.kind == "file":
        texts.append(" ".join(element.context))
    for text in texts:
        for fact, pattern in FACT_PATTERNS:
            if pattern.search(text):
                return fact
    return None
