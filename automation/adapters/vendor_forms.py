"""The vendors whose forms the universal filler fills alone: their facts as data, nothing else.

BambooHR, Jobvite, Rippling and iCIMS need no code of their own: the universal filler reads their
controls by meaning (their list menus and comboboxes included, `controls.list_questions`), and what is
theirs is said here: how their pages are recognised (markup, field names, hosts, the frames that embed
them) and, for Jobvite, the controls that move its steps on. `detect_adapter` serves a page one of these
claims with `UniversalAdapter(signature)`, which reports the vendor's name.
"""

from __future__ import annotations

import re

from automation.adapters.vendors import VendorSignature

# BambooHR's careers pages (`<company>.bamboohr.com/careers/<id>`): its React "Fabric" components
# (`fab-*` classes, `data-fabric-component`), the form shown on the opening's page by "Apply for This Job".
BAMBOOHR = VendorSignature(
    name="bamboohr",
    form="form",
    fields=("input[name='firstName']", "input[name='email']"),
    hosts=re.compile(r"[a-z0-9-]+\.bamboohr\.com"),
    paths=re.compile(r"/careers(/|$)|/jobs(/|$)"),
    # firstName / email are common names (SmartRecruiters uses them too): Fabric's markup must show as well.
    marks=(
        "[data-fabric-component]",
        "[class*='fab-FormField']",
        "[class*='fab-Select']",
        "script[src*='bamboohr']",
        "link[href*='bamboohr']",
        "img[src*='bamboohr']",
    ),
    embeds=("iframe[src*='.bamboohr.com/careers']", "iframe[src*='.bamboohr.com/jobs']"),
)

# Jobvite (`jobs.jobvite.com/<company>/job/<id>/apply`): a data-consent page first (choose the policy,
# "I Accept"), then the Angular form `scopeData.applyForm` in steps behind "Next". Both are the forms'
# submit buttons, whose own handlers move on by script.
JOBVITE = VendorSignature(
    name="jobvite",
    form="form",
    fields=("form[name='scopeData.applyForm'] input, form[name='consentForm'] select",),
    hosts=re.compile(r"(jobs|app)\.jobvite\.com"),
    paths=re.compile(r"/[^/]+/job/"),
    marks=("[class*='jv-']", "script[src*='jobvite']", "link[href*='jobvite']", "img[src*='jobvite']"),
    submit="form button[type='submit'], form button:not([type])",
    embeds=("iframe[src*='jobs.jobvite.com/']",),
    steps="form[name='consentForm'] button, form[name='scopeData.applyForm'] button",
)

# Rippling Recruiting (`ats.rippling.com/<employer>/jobs/<id>/apply`): names that change on every load,
# so its résumé drop zone's test hook is what identifies the form.
RIPPLING = VendorSignature(
    name="rippling",
    form="form",
    fields=("input[type='file'][data-testid='input-resume']",),
    hosts=re.compile(r"ats\.rippling\.com"),
    paths=re.compile(r"/[^/]+/jobs/"),
    embeds=("iframe[src*='ats.rippling.com/']",),
)

# iCIMS (`careers-<company>.icims.com/jobs/<id>/<slug>/job`): the portal shows the job in the iframe
# `#icims_content_iframe` (`in_iframe=1`); its pages carry `iCIMS_*` classes and the candidate profile
# form names its fields after iCIMS' objects (`PersonProfileFields.*`, `IMAGE_RESUME`).
ICIMS = VendorSignature(
    name="icims",
    form="form",
    # The login step's form (its e-mail box) or the candidate profile's fields.
    fields=("form#enterEmailForm input[type='email'], input[name^='PersonProfileFields.']",),
    hosts=re.compile(r"([a-z0-9-]+\.)*icims\.com"),
    paths=re.compile(r"/jobs/\d+/"),
    marks=("[class*='iCIMS_']", "#icims_content_iframe", "script[src*='icims']", "link[href*='icims']"),
    embeds=("iframe#icims_content_iframe", "iframe[src*='in_iframe=1']"),
    apply_links=("a.iCIMS_ApplyButton[href]",),
    # The login step's "Next" (the e-mail form's submit button) moves on to the candidate profile.
    steps="form#enterEmailForm button, form#enterEmailForm input[type='submit']",
)

SIGNATURES = (BAMBOOHR, JOBVITE, RIPPLING, ICIMS)
