"""Which vendor's application form a page carries, from the page itself: vendor facts as data.

Each adapter declares a `VendorSignature`: its vendor's hosts and paths (the URL, a fast path
only), what its form looks like (the form or, on pages without a `<form>`, the element that holds
the fields; the fields that identify it; the vendor's own markup elsewhere on the page), the frames
that embed it in a company's page, the links from a posting to it, and the controls that move a
multi-step form on (taken only through `SubmitGuard.take_step`). `recognise` checks every
signature in one script on any host, through open shadow roots; nothing here is keyed to one page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from automation import page_js

if TYPE_CHECKING:
    from collections.abc import Sequence

    from browser_use import BrowserSession


# What a step control says, in English, German, French and Spanish.
STEP_WORDS = (
    r"^\s*(next|continue|i accept|accept( and continue)?|save and continue|weiter|akzeptieren|suivant|continuer"
    r"|j'accepte|siguiente|continuar|acepto)\b"
)


@dataclass(frozen=True)
class VendorSignature:
    """What one vendor's application pages look like."""

    name: str
    # The form, or on pages without a <form> the element that holds its fields: the nearest one
    # around the first of `fields`, through shadow roots. It must show on the page.
    form: str
    # Fields that identify the form, each a CSS selector that must match inside it; the first is
    # the one the form is found from.
    fields: tuple[str, ...]
    # The vendor's own hosts (a full match on the host name) and, on them, the paths that carry a
    # posting or a form; the URL alone then says it is this vendor's page.
    hosts: re.Pattern[str] | None = None
    paths: re.Pattern[str] | None = None
    # Link parameters that say a company page embeds this vendor's board (Greenhouse's gh_jid).
    query_keys: frozenset[str] = frozenset()
    # The vendor's markup elsewhere on the page (scripts, styles, images, form actions, meta tags,
    # its components): when given, one must be there too, for forms whose field names others use as well.
    marks: tuple[str, ...] = ()
    submit: str = ""  # the form's own submit control(s)
    # When given, `submit` is a control outside any form that sends only when it says this (Workday's one bottom
    # button is "Save and Continue" on each step and "Submit" on the Review page): clicks on it are refused
    # like a form's submit button until the approved submit.
    submit_text: str = ""
    embeds: tuple[str, ...] = ()  # iframes on a company's page that hold the form (their src is followed)
    apply_links: tuple[str, ...] = ()  # links from a posting to the form on another page (their href is followed)
    # A multi-step form's controls that move it on (a data consent's "I Accept", "Next"), when they are its
    # submit buttons: clicked only through the submit guard's step (never the final submit, see submit_guard).
    steps: str = ""
    step_text: str = STEP_WORDS

    def __post_init__(self) -> None:
        if self.submit and self.submit_text:
            page_js.declare_submit_control(self.submit, self.submit_text)

    def matches_url(self, url: str) -> bool:
        """The address alone says this vendor serves the page (a fast path; the content decides otherwise)."""
        parts = urlsplit(url)
        if self.query_keys and self.query_keys & parse_qs(parts.query).keys():
            return True
        if self.hosts is None or not self.hosts.fullmatch((parts.hostname or "").lower()):
            return False
        return self.paths is None or bool(self.paths.match(parts.path))

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "form": self.form,
            "fields": list(self.fields),
            "marks": list(self.marks),
            "embeds": list(self.embeds),
            "applyLinks": list(self.apply_links),
        }


@dataclass(frozen=True)
class PageVendors:
    """What the page shows: the vendors whose form is on it (in the order asked), and where else to go."""

    forms: tuple[str, ...] = ()
    frame: str | None = None  # an embedded form's address
    link: str | None = None  # a posting's link to its form
    vendor_of_way: str | None = None  # whose frame or link that is


# Every signature at once: forms present, else the first embedding frame, else the first apply link.
# The page and its open shadow roots are searched (web-component forms such as SmartRecruiters').
RECOGNISE_JS = """
(signatures) => {
  const roots = [document];
  const walker = document.createTreeWalker(document.documentElement || document, NodeFilter.SHOW_ELEMENT);
  for (let node = walker.currentNode; node; node = walker.nextNode()) {
    if (node.shadowRoot) roots.push(node.shadowRoot);
  }
  for (let i = 1; i < roots.length; i++) {  // shadow roots inside shadow roots
    const inner = roots[i].querySelectorAll('*');
    for (const el of inner) if (el.shadowRoot && !roots.includes(el.shadowRoot)) roots.push(el.shadowRoot);
  }
  const all = (selector) => {
    try { return roots.flatMap(root => [...root.querySelectorAll(selector)]); } catch (e) { return []; }
  };
  const any = (selector) => roots.some(root => { try { return !!root.querySelector(selector); } catch (e) { return false; } });
  const parentOf = (el) => el.parentElement
    || (el.parentNode instanceof ShadowRoot ? el.parentNode.host : null);
  const around = (el, selector) => {
    for (let node = el; node; node = parentOf(node)) {
      try { if (node.matches(selector)) return node; } catch (e) { return null; }
    }
    return null;
  };
  const inside = (container, el) => {
    for (let node = el; node; node = parentOf(node)) if (node === container) return true;
    return false;
  };
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const web = (url) => /^https?:/i.test(url || '');
  const result = {forms: [], frame: null, link: null, vendorOfWay: null};
  for (const s of signatures) {
    const marked = !s.marks.length || s.marks.some(any);
    const [anchor, ...others] = s.fields;
    const present = marked && all(anchor).some(field => {
      const form = around(field, s.form);
      return !!form && shown(form) && others.every(other => all(other).some(el => inside(form, el)));
    });
    if (present) result.forms.push(s.name);
    if (!result.frame) {
      const frame = s.embeds.flatMap(all).find(f => web(f.src));
      if (frame) { result.frame = frame.src; result.vendorOfWay = result.vendorOfWay || s.name; }
    }
    if (!result.link) {
      const link = s.applyLinks.flatMap(all).find(a => web(a.href));
      if (link) { result.link = link.href; result.vendorOfWay = result.vendorOfWay || s.name; }
    }
  }
  return result;
}
"""


async def recognise(browser: BrowserSession, signatures: Sequence[VendorSignature]) -> PageVendors:
    """Which of these vendors' forms the current page carries, and any frame or link that leads to one."""
    raw = await page_js.evaluate(browser, RECOGNISE_JS, [signature.as_json() for signature in signatures])
    if not raw:
        return PageVendors()
    return PageVendors(tuple(raw["forms"]), raw["frame"], raw["link"], raw["vendorOfWay"])


async def form_present(browser: BrowserSession, signature: VendorSignature) -> bool:
    """The current page shows this vendor's application form."""
    return signature.name in (await recognise(browser, [signature])).forms
