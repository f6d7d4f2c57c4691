"""Pages that would send a form at the slightest push, on 127.0.0.1: the submit guard's test site.

Every field is optional or already filled, so any submission that slips through arrives as a
POST, and every POST to any path is recorded (`submissions`). Each page sets `window.pageId`, so a
test can tell that the browser is still on the page it opened (a form sent would have replaced it).

- `/only-apply`: a posting whose only "Apply" is the form's own submit button (no type).
- `/known`: a Teamtailor-style form (`form#new_candidate`), filled in, whose submit button says "Apply".
- `/look-alike`: the same field names in a form with none of Teamtailor's markup.
- `/enter`: a form whose script calls `requestSubmit()` on every keystroke, plus a one-field form
  without a button (Enter sends both).
- `/controls`: buttons that submit a form in each way there is, and two that do not.
- `/frames`: a same-origin and a cross-site (`localhost`) iframe of `/inner`, whose script calls
  `form.submit()` and `form.requestSubmit()` when the parent asks and answers how many the guard stopped.
- `/approved`: a form with a "Submit application" button, for the one approved submit.
- `/invalid`: the same with a required field left empty, which the browser's own validation refuses.
- `/moving`: a list of countries that renders again under a banner two rows high the first time the
  mouse moves over it (as a list that loads more does), so a press made where an option was measured
  lands on another; with `?onto-send` the form's "Send application" button appears over the list instead.
- `/steps`: four forms whose "Next" is their submit button: one whose handler moves on by script
  (cancels the sending), one without a handler (it would post), one whose handler lets the sending go
  and calls `form.submit()`, one whose handler cancels the sending and then calls `form.submit()`.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from tests.fakes.local_site import LocalSite, Submission

THANKS = "<!DOCTYPE html><html><body><h1>Thank you for applying!</h1></body></html>"

ONLY_APPLY = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Navigator</title></head><body>
<script>window.pageId = 'only-apply';</script>
<h1>Navigator at Lighthouse Cartography</h1>
<p>Chart the coast with us.</p>
<form method="post" action="/only-apply">
  <label for="note">Anything you want us to know (optional)</label>
  <input id="note" name="note" value="Filled in by the browser">
  <button>Apply</button>
</form>
</body></html>"""

KNOWN = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Engineer - Acme</title></head><body>
<script>window.pageId = 'known';</script>
<h1>Engineer</h1>
<form id="new_candidate" method="post" action="/known/applications" enctype="multipart/form-data">
  <label for="candidate_first_name">First name</label>
  <input id="candidate_first_name" name="candidate[first_name]" value="Johnfdafadafd">
  <label for="candidate_last_name">Last name</label>
  <input id="candidate_last_name" name="candidate[last_name]" value="Doe">
  <label for="candidate_email">Email</label>
  <input id="candidate_email" type="email" name="candidate[email]" value="john.doe@email.com">
  <button>Apply</button>
</form>
</body></html>"""

# The same field names as Teamtailor's, in some other Rails app: none of Teamtailor's own markup.
LOOK_ALIKE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Newsletter</title></head><body>
<script>window.pageId = 'look-alike';</script>
<form id="new_candidate" method="post" action="/newsletter">
  <label for="candidate_email">Email</label>
  <input id="candidate_email" type="email" name="candidate[email]">
  <button>Sign up</button>
</form>
</body></html>"""

ENTER = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Quick apply</title></head><body>
<script>window.pageId = 'enter';</script>
<form id="eager" method="post" action="/enter">
  <label for="name">Name</label><input id="name" name="name" value="">
  <button>Send</button>
</form>
<form id="solo" method="post" action="/enter-solo">
  <label for="city">City</label><input id="city" name="city" value="Porto">
</form>
<script>
  const eager = document.getElementById('eager');
  document.getElementById('name').addEventListener('input', () => eager.requestSubmit());
</script>
</body></html>"""

CONTROLS = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Controls</title></head><body>
<script>window.pageId = 'controls'; window.clicked = [];
  addEventListener('click', (e) => { if (e.target.id) window.clicked.push(e.target.id); });</script>
<form id="f" method="post" action="/controls">
  <input name="note" value="ready">
  <button id="plain"><span id="inner">Apply</span></button>
  <button id="typed" type="submit">Next</button>
  <input id="submit-input" type="submit" value="Go">
  <input id="image-input" type="image" alt="Go" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
  <button id="add" type="button">Add another</button>
  <label for="typed" id="typed-label">Continue</label>
</form>
<button id="owned" form="f">Send from outside</button>
<button id="free">Not in any form</button>
</body></html>"""

FRAMES = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Embedded</title></head><body>
<script>window.pageId = 'frames'; window.replies = [];
  addEventListener('message', (e) => window.replies.push(e.data));</script>
<iframe id="same" src="/inner"></iframe>
<iframe id="cross" src="{cross}/inner"></iframe>
</body></html>"""

INNER = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Form</title></head><body>
<form id="f" method="post" action="/inner"><input name="note" value="ready"><button>Apply</button></form>
<script>
  addEventListener('message', (e) => {
    const form = document.getElementById('f');
    form.submit();
    form.requestSubmit();
    const guard = window[e.data.marker];
    e.source.postMessage({frame: location.origin, blocked: guard ? guard.blocked : -1}, '*');
  });
  parent.postMessage({ready: location.origin}, '*');
</script>
</body></html>"""

APPROVED = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Apply</title></head><body>
<script>window.pageId = 'approved';</script>
<form method="post" action="/approved">
  <label for="who">Name</label><input id="who" name="who" value="Ada Lovelace">
  <button>Submit application</button>
</form>
</body></html>"""

INVALID = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Apply</title></head><body>
<script>window.pageId = 'invalid';</script>
<form method="post" action="/invalid">
  <label for="who">Name</label><input id="who" name="who" value="Ada Lovelace">
  <label for="salary">Salary expectations</label><input id="salary" name="salary" required>
  <button>Submit application</button>
</form>
</body></html>"""

STEPS = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Steps</title></head><body>
<script>window.pageId = 'steps'; window.moved = [];</script>
<form id="client" method="post" action="/steps/client"><input name="a" value="1">
  <button id="client-next" type="submit">Next</button></form>
<form id="native" method="post" action="/steps/native"><input name="b" value="2">
  <button id="native-next">Next</button></form>
<form id="sneaky" method="post" action="/steps/sneaky"><input name="c" value="3">
  <button id="sneaky-next" type="submit">Continue</button></form>
<form id="sends" method="post" action="/steps/sends"><input name="d" value="4">
  <button id="sends-next" type="submit">Next</button><button id="sends-final" type="submit">Send application</button></form>
<script>
  document.getElementById('client').addEventListener('submit', (e) => { e.preventDefault(); window.moved.push('client'); });
  document.getElementById('sneaky').addEventListener('submit', (e) => { window.moved.push('sneaky'); e.target.submit(); });
  document.getElementById('sends').addEventListener('submit', (e) => {
    e.preventDefault(); window.moved.push('sends'); e.target.submit(); e.target.requestSubmit(); });
</script>
</body></html>"""

MOVING = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Where are you?</title>
<style>.option { height: 30px; line-height: 30px; margin: 0; } #countries { list-style: none; padding: 0; }
#send { position: absolute; display: none; }</style></head><body>
<script>window.pageId = 'moving'; window.picked = [];</script>
<form method="post" action="/moving">
  <input name="note" value="ready">
  <div id="news"></div>
  <ul id="countries">
    <li class="option">United States</li><li class="option">Canada</li><li class="option">United Kingdom</li>
    <li class="option">Isle of Man</li><li class="option">Ireland</li><li class="option">Germany</li>
  </ul>
  <button id="send">Send application</button>
</form>
<script>
  for (const li of document.querySelectorAll('.option')) {
    li.addEventListener('click', () => window.picked.push(li.textContent));
  }
  for (const type of ['pointerdown', 'mousedown', 'click']) {
    document.getElementById('send').addEventListener(type, () => { window.sendPressed = true; });
  }
  const list = document.getElementById('countries');
  list.addEventListener('mousemove', () => {
    if (window.moved) return;
    window.moved = true;
    if (!new URLSearchParams(location.search).has('onto-send')) {
      document.getElementById('news').style.height = '60px';
      return;
    }
    const send = document.getElementById('send'), box = list.getBoundingClientRect();
    Object.assign(send.style, {display: 'block', left: box.left + scrollX + 'px', top: box.top + scrollY + 'px',
                               width: box.width + 'px', height: box.height + 'px'});
  });
</script>
</body></html>"""


@dataclass
class GuardedSite(LocalSite):
    posting_path = "/only-apply"

    def routes(self, app: web.Application) -> None:
        for path, body in (
            ("/only-apply", ONLY_APPLY),
            ("/known", KNOWN),
            ("/look-alike", LOOK_ALIKE),
            ("/enter", ENTER),
            ("/controls", CONTROLS),
            ("/inner", INNER),
            ("/approved", APPROVED),
            ("/invalid", INVALID),
            ("/steps", STEPS),
            ("/moving", MOVING),
        ):
            app.router.add_get(path, self.page(body))
        app.router.add_get("/frames", self._frames)
        app.router.add_post("/{tail:.*}", self._record)

    async def _frames(self, request: web.Request) -> web.Response:
        cross = self.base_url.replace("127.0.0.1", "localhost")
        return self.html_response(FRAMES.replace("{cross}", cross))

    async def _record(self, request: web.Request) -> web.Response:
        fields, files = await self.read_multipart(request)
        await self.record(Submission(fields, files))
        return self.html_response(THANKS)
