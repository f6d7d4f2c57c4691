"""Grading a fill of a saved real vendor page against what a reader of that page expects.

Each saved page of `shared/ats-real/` has its `expected.yaml` in `tests/fixtures/real_pages/`: the page's
vendor, whether it is served with its scripts, every field the test applicant
(`tests/fixtures/real_pages/profile.yaml`) can fill and the value it must then show, and every
field that must stay empty (honeypots, marketing and future-contact consents, questions the
profile cannot answer). Fields are found the way a person finds them, by their label (the
`<label>`, `aria-label`/`aria-labelledby`, a fieldset's legend, a custom element's `label`
attribute, the placeholder), and only where a page gives no label by its `id` or `name`: never
by the selector an adapter happens to use.

`observed_fill` runs exactly what `nyx fill` runs (`automation.dry_run.dry_run`) and, just before
that run closes its browser, reads every control on the page (open shadow roots and same-origin
frames included) as the page shows it. `grade` compares that reading with the expectations.
Used by tests/automation/adapters/test_real_pages.py and bench/real_pages.py.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import unicodedata
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

import automation.dry_run as dry_run_module
from automation.browser import BrowserOptions
from automation.dry_run import DryRun
from storage.models import Profile
from storage.profile_import import load_profile_file
from tests.fakes.saved_pages import EXPECTATIONS, SavedPageSite, saved_page_folders

PROFILE_FILE = EXPECTATIONS / "profile.yaml"

# What a page shows for a control that is declined ("I don't wish to answer", "Decline to self-identify", ...).
DECLINE = re.compile(r"decline|not\s+(wish|want)|don.t\s+(wish|want)|prefer\s+not|rather\s+not|choose\s+not", re.I)

# Every form control on the page, as a person sees it: its possible names and what it shows.
READ_PAGE_JS = r"""
() => {
  const clean = (t) => (t || '').replace(/\s+/g, ' ').trim();
  const out = [];
  const textOf = (root, id) => { const el = root.getElementById ? root.getElementById(id) : null; return el ? clean(el.innerText || el.textContent) : ''; };
  const hostLabel = (el) => {
    // A custom element's label attribute (SmartRecruiters' spl-input label="First name"), up through shadow hosts.
    let node = el;
    for (let i = 0; i < 8 && node; i++) {
      const root = node.getRootNode();
      const host = root && root.host;
      if (!host) break;
      if (host.getAttribute('label')) return host.getAttribute('label');
      node = host;
    }
    return '';
  };
  const legendOf = (el) => {
    const fs = el.closest('fieldset');
    const legend = fs && fs.querySelector('legend');
    if (legend) return clean(legend.innerText || legend.textContent);
    const group = el.closest('[role=radiogroup],[role=group]');
    if (group) {
      const by = group.getAttribute('aria-labelledby');
      if (by) return by.split(/\s+/).map(id => textOf(group.getRootNode(), id)).join(' ');
      if (group.getAttribute('aria-label')) return group.getAttribute('aria-label');
    }
    return '';
  };
  const shownValue = (el) => {
    const type = (el.type || '').toLowerCase();
    if (el instanceof HTMLSelectElement) {
      const chosen = [...el.selectedOptions].filter(o => o.value !== '' || o.index > 0);
      return chosen.map(o => clean(o.text)).join(', ');
    }
    if (type === 'file') return [...(el.files || [])].map(f => f.name).join(', ');
    if (type === 'checkbox' || type === 'radio') return el.checked ? 'checked' : '';
    // A react-select style combobox shows its choice beside the input, whose own value is only the search text.
    const box = el.closest('[class*="value-container"],[class*="ValueContainer"]');
    if (box) {
      return [...box.querySelectorAll('[class*="single-value"],[class*="singleValue"],[class*="multi-value__label"],[class*="multiValue"]')]
        .map(n => clean(n.innerText || n.textContent)).join(', ');
    }
    return el.value || '';
  };
  const visible = (el) => {
    if (el.closest('[aria-hidden=true]')) return false;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && r.right > 0 && r.bottom > 0 && parseFloat(style.opacity || '1') > 0.05;
  };
  const HEADINGS = 'h1,h2,h3,h4,h5,legend,[role=heading],spl-typography-title';
  const sectionOf = (el) => {
    // The last heading before the control in the nearest block that has one ("Resume", "Personal information").
    let node = el;
    for (let i = 0; i < 12 && node; i++) {
      const parent = node.parentElement || (node.getRootNode && node.getRootNode().host) || null;
      if (!parent) break;
      const before = [...parent.querySelectorAll(HEADINGS)].filter(h => h !== node && !h.contains(node)
        && (h.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING));
      if (before.length) return clean(before[before.length - 1].innerText || before[before.length - 1].textContent);
      node = parent;
    }
    return '';
  };
  const visit = (root, frame) => {
    for (const el of root.querySelectorAll('input, select, textarea')) {
      const type = (el.type || el.tagName).toLowerCase();
      if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) continue;
      const names = [];
      if (el.labels) for (const l of el.labels) names.push(clean(l.innerText || l.textContent));
      const by = el.getAttribute('aria-labelledby');
      if (by) names.push(by.split(/\s+/).map(id => textOf(el.getRootNode(), id)).join(' '));
      for (const attr of ['aria-label', 'placeholder', 'title']) if (el.getAttribute(attr)) names.push(el.getAttribute(attr));
      names.push(hostLabel(el));
      const legend = (type === 'radio' || type === 'checkbox') ? legendOf(el) : '';
      out.push({
        frame, tag: el.tagName.toLowerCase(), type, id: el.id || '', name: el.getAttribute('name') || '',
        names: names.map(clean).filter(Boolean), legend, section: sectionOf(el), value: shownValue(el), visible: visible(el),
        required: el.required || el.getAttribute('aria-required') === 'true',
      });
    }
    for (const host of root.querySelectorAll('*')) if (host.shadowRoot) visit(host.shadowRoot, frame);
  };
  visit(document, location.href);
  for (const f of document.querySelectorAll('iframe')) {
    try { if (f.contentDocument) visit(f.contentDocument, f.src); } catch (e) { /* another origin: not ours to read */ }
  }
  return JSON.stringify(out);
}
"""


def normalised(text: str | None) -> str:
    """Compare texts as a reader would: no required-markers, any case, any run of whitespace."""
    text = unicodedata.normalize("NFKC", text or "").replace("*", " ")
    text = " ".join(text.split()).casefold()
    return re.sub(r"\s*\(?required\)?$", "", text).strip()


@dataclass(frozen=True)
class Control:
    """One control as the page showed it; a radio group is one control whose value is the chosen label."""

    type: str
    id: str
    name: str
    names: tuple[str, ...]
    value: str
    visible: bool
    section: str = ""
    options: tuple[str, ...] = ()


def controls_from(rows: list[dict[str, Any]]) -> list[Control]:
    """The page's controls, each radio group folded into one (its legend is its name)."""
    controls: list[Control] = []
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        if row["type"] == "radio" and row["name"]:
            groups.setdefault((row["frame"], row["name"]), []).append(row)
            continue
        names = tuple(row["names"]) + ((row["legend"],) if row["legend"] else ())
        controls.append(
            Control(row["type"], row["id"], row["name"], names, row["value"], row["visible"], row["section"])
        )
    for (_, name), radios in groups.items():
        labels = tuple(r["names"][0] if r["names"] else r["id"] for r in radios)
        chosen = ", ".join(label for label, r in zip(labels, radios, strict=True) if r["value"])
        legends = tuple(dict.fromkeys(r["legend"] for r in radios if r["legend"]))
        controls.append(
            Control(
                "radio",
                radios[0]["id"],
                name,
                legends,
                chosen,
                any(r["visible"] for r in radios),
                radios[0]["section"],
                labels,
            )
        )
    return controls


@dataclass(frozen=True)
class Expected:
    """One field of a page: how a person finds it, and what it must show (or that it must stay empty)."""

    group: str
    label: str | None = None
    id: str | None = None
    name: str | None = None
    type: str | None = None  # with `section`: the control of this type under that heading
    section: str | None = None
    value: str | None = None
    contains: str | None = None
    digits_end: str | None = None
    checked: bool | None = None
    decline: bool = False
    file: bool = False
    empty: bool = False  # a must-not: nothing typed, chosen or ticked
    why: str = ""

    @property
    def description(self) -> str:
        if self.label:
            return self.label
        if self.id:
            return f"#{self.id}"
        if self.name:
            return f"[name={self.name}]"
        return f"{self.type} under {self.section!r}"

    def find(self, controls: list[Control]) -> Control | None:
        if self.type is not None:
            controls = [c for c in controls if c.type == self.type]
        if self.section is not None:
            controls = [c for c in controls if normalised(c.section) == normalised(self.section)]
        if self.id is not None:
            found = [c for c in controls if c.id == self.id]
        elif self.name is not None:
            found = [c for c in controls if c.name == self.name]
        elif self.label is None:
            found = controls
        else:
            wanted = normalised(self.label)
            exact = [c for c in controls if any(normalised(n) == wanted for n in c.names)]
            found = exact or [c for c in controls if any(normalised(n).startswith(wanted) for n in c.names)]
        if len(found) > 1:
            raise LookupError(f"{self.description!r} names {len(found)} controls: make the expectation precise")
        return found[0] if found else None

    def check(self, control: Control | None, resume_name: str) -> str | None:
        """Why the control is not as expected, or None when it is."""
        if control is None:
            return "not on the page"
        shown = control.value
        if self.empty:
            return f"must stay empty ({self.why}) but shows {shown!r}" if shown else None
        if self.file:
            ok = shown == resume_name
        elif self.checked is not None:
            ok = bool(shown) == self.checked
        elif self.decline:
            ok = bool(DECLINE.search(shown))
        elif self.digits_end is not None:
            ok = re.sub(r"\D", "", shown).endswith(self.digits_end)
        elif self.contains is not None:
            ok = normalised(self.contains) in normalised(shown)
        else:
            ok = normalised(shown) == normalised(self.value)
        return None if ok else f"shows {shown!r}"


@dataclass(frozen=True)
class PageExpectations:
    folder: str
    vendor: str
    scripts: bool
    fields: tuple[Expected, ...]
    must_stay_empty: tuple[Expected, ...]
    not_checked: tuple[str, ...]  # fields deliberately not graded, each with its reason

    @property
    def groups(self) -> list[str]:
        return sorted({f.group for f in self.fields})


def load_expectations(folder: str) -> PageExpectations:
    data = yaml.safe_load((EXPECTATIONS / folder / "expected.yaml").read_text(encoding="utf-8"))
    fields = tuple(Expected(**{"group": "profile", **item}) for item in data.get("fields", []))
    empty = tuple(
        Expected(**{"group": "must_stay_empty", **item, "empty": True}) for item in data.get("must_stay_empty", [])
    )
    return PageExpectations(
        folder, data["vendor"], bool(data["scripts"]), fields, empty, tuple(str(x) for x in data.get("not_checked", []))
    )


def corpus_pages() -> list[str]:
    """Every saved page that has its expectations written."""
    return [f for f in saved_page_folders() if (EXPECTATIONS / f / "expected.yaml").is_file()]


def applicant() -> tuple[Profile, Any]:
    """The test applicant and the résumé `nyx fill --profile tests/fixtures/real_pages/profile.yaml` would use."""
    return load_profile_file(PROFILE_FILE)


@dataclass
class ObservedFill:
    """One `nyx fill` run on a saved page: its result (or why it failed), the page as it was left, the time."""

    run: DryRun | None
    error: BaseException | None
    controls: list[Control]
    submissions: list[str]  # forms the page sent or tried to send (see SavedPageSite.submission_attempts)
    seconds: float

    @property
    def json(self) -> dict[str, Any] | None:
        return self.run.as_json() if self.run else None


@dataclass
class FieldResult:
    expected: Expected
    problem: str | None  # None: right

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass
class Grade:
    results: list[FieldResult] = field(default_factory=list)

    def of(self, group: str) -> list[FieldResult]:
        return [r for r in self.results if r.expected.group == group]

    def failures(self, group: str) -> list[str]:
        return [f"{r.expected.description}: {r.problem}" for r in self.of(group) if not r.ok]


def grade(expectations: PageExpectations, controls: list[Control], resume_name: str) -> Grade:
    result = Grade()
    for expected in (*expectations.fields, *expectations.must_stay_empty):
        result.results.append(FieldResult(expected, expected.check(expected.find(controls), resume_name)))
    return result


@contextlib.contextmanager
def _reading_the_page_before_close(seen: list[list[Control]]) -> Iterator[None]:
    """While active, every browser `dry_run` opens is read (`READ_PAGE_JS`) just before it closes.

    `dry_run` keeps its browser to itself; wrapping the `open_browser` it calls is the one way to see
    the page it leaves without changing what it does.
    """
    real_open = dry_run_module.open_browser  # type: ignore[attr-defined]  # the name dry_run calls, patched

    @contextlib.asynccontextmanager
    async def observed(options: BrowserOptions, **kwargs: Any) -> AsyncIterator[Any]:
        async with real_open(options, **kwargs) as browser:
            try:
                yield browser
            finally:
                seen.append(await read_controls(browser))

    dry_run_module.open_browser = observed  # type: ignore[attr-defined]
    try:
        yield
    finally:
        dry_run_module.open_browser = real_open  # type: ignore[attr-defined]


async def read_controls(browser: Any) -> list[Control]:
    session = await browser.get_or_create_cdp_session()
    result = await session.cdp_client.send.Runtime.evaluate(
        params={"expression": f"({READ_PAGE_JS})()", "returnByValue": True}, session_id=session.session_id
    )
    return controls_from(json.loads(result.get("result", {}).get("value") or "[]"))


async def observed_fill(folder: str, options: BrowserOptions) -> ObservedFill:
    """`nyx fill` on the saved page in `folder`, served on 127.0.0.1 as its expectations say."""
    expectations = load_expectations(folder)
    profile, resume = applicant()
    seen: list[list[Control]] = []
    run: DryRun | None = None
    error: BaseException | None = None
    async with SavedPageSite(folder=folder, scripts=expectations.scripts) as site:
        started = time.perf_counter()
        with _reading_the_page_before_close(seen):
            try:
                run = await dry_run_module.dry_run(
                    site.posting_url, profile, resume, options, allow_hosts=("127.0.0.1", "localhost")
                )
            except Exception as exc:  # noqa: BLE001 - "not a form I know" is an outcome to grade, not a crash
                error = exc
        seconds = time.perf_counter() - started
        submissions = list(site.submission_attempts)
    return ObservedFill(run, error, seen[-1] if seen else [], submissions, seconds)
