// The local Workday copy's page script: the sign-in panels, the button listboxes, the prompt widget,
// the résumé drop zone and the bottom navigation. Nothing is inside a <form>: every save is a fetch.
(() => {
  const cfg = window.workday;
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
  const post = async (path, body) => {
    const response = await fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json'},
                                         body: JSON.stringify(body), credentials: 'same-origin'});
    return {status: response.status, body: await response.json()};
  };
  const showErrors = (errors) => {
    $$('[data-automation-id="errorMessage"]').forEach(e => e.remove());
    const entries = Object.entries(errors || {});
    if (!entries.length) return;
    const top = document.createElement('div');
    top.setAttribute('data-automation-id', 'errorMessage');
    top.setAttribute('role', 'alert');
    top.textContent = entries.map(([, message]) => message).join(' ');
    ($('[data-automation-id="applyFlowPage"]') || $('main')).prepend(top);
    for (const [key, message] of entries) {
      const field = $(`[data-fkit-id="${key}"]`);
      if (!field) continue;
      const line = document.createElement('p');
      line.setAttribute('data-automation-id', 'errorMessage');
      line.className = 'field-error';
      line.textContent = message;
      field.append(line);
    }
  };

  // --- Sign in / Create Account (buttons under a click_filter overlay, as Workday draws them) ---
  const signIn = $('[data-automation-id="signInContent"]');
  const create = $('[data-automation-id="createAccountPanel"]');
  if (signIn && create) {
    $('[data-automation-id="createAccountLink"]').addEventListener('click', (event) => {
      event.preventDefault(); signIn.hidden = true; create.hidden = false;
    });
    $('[data-automation-id="signInLink"]').addEventListener('click', (event) => {
      event.preventDefault(); create.hidden = true; signIn.hidden = false;
    });
    const value = (panel, id) => $(`[data-automation-id="${id}"]`, panel).value;
    $('[data-automation-id="click_filter"]', signIn).addEventListener('click', async () => {
      const {status, body} = await post(cfg.auth + '/signin', {
        email: value(signIn, 'email'), password: value(signIn, 'password'), beecatcher: value(signIn, 'beecatcher')});
      if (status === 200) location.reload(); else showErrors(body.errors);
    });
    $('[data-automation-id="click_filter"]', create).addEventListener('click', async () => {
      const {status, body} = await post(cfg.auth + '/createAccount', {
        email: value(create, 'email'), password: value(create, 'password'),
        verifyPassword: value(create, 'verifyPassword'),
        accepted: $('[data-automation-id="createAccountCheckbox"]', create).checked});
      if (status === 200) location.reload(); else showErrors(body.errors);
    });
  }

  // --- Button listboxes: a popup of options drawn at the end of <body> while open ---
  const closePopups = () => $$('[data-automation-widget="wd-popup"]').forEach(p => p.remove());
  document.addEventListener('click', (event) => {
    const button = event.target.closest('button[aria-haspopup="listbox"]');
    const option = event.target.closest('[data-automation-widget="wd-popup"] [role="option"]');
    if (option) {
      const popup = option.closest('[data-automation-widget="wd-popup"]');
      const owner = document.getElementById(popup.getAttribute('data-associated-widget'));
      owner.value = option.getAttribute('data-value');
      owner.textContent = option.textContent;
      owner.setAttribute('aria-expanded', 'false');
      closePopups();
      return;
    }
    if (!button) { if (!event.target.closest('[data-automation-widget="wd-popup"]')) closePopups(); return; }
    const open = !!$(`[data-automation-widget="wd-popup"][data-associated-widget="${button.id}"]`);
    closePopups();
    if (open) { button.setAttribute('aria-expanded', 'false'); return; }
    const popup = document.createElement('div');
    popup.setAttribute('data-automation-widget', 'wd-popup');
    popup.setAttribute('data-associated-widget', button.id);
    const list = document.createElement('ul');
    list.setAttribute('role', 'listbox');
    for (const text of JSON.parse(button.getAttribute('data-options'))) {
      const item = document.createElement('li');
      item.setAttribute('role', 'option');
      item.setAttribute('data-value', text);
      item.setAttribute('aria-selected', String(button.value === text));
      item.textContent = text;
      list.append(item);
    }
    popup.append(list);
    document.body.append(popup);
    button.setAttribute('aria-expanded', 'true');
  });
  document.addEventListener('keydown', (event) => { if (event.key === 'Escape') closePopups(); });

  // --- The prompt widget ("How Did You Hear About Us?"): type to search, click an option ---
  for (const container of $$('[data-automation-id="multiselectInputContainer"]')) {
    const search = $('input', container);
    const field = container.closest('[data-fkit-id]');
    const choices = JSON.parse(container.getAttribute('data-options'));
    const list = document.createElement('div');
    list.setAttribute('data-automation-id', 'promptList');
    container.after(list);
    search.addEventListener('input', () => {
      list.innerHTML = '';
      const wanted = search.value.trim().toLowerCase();
      if (!wanted) return;
      for (const text of choices.filter(c => c.toLowerCase().includes(wanted))) {
        const option = document.createElement('div');
        option.setAttribute('data-automation-id', 'promptOption');
        option.setAttribute('role', 'option');
        option.textContent = text;
        option.addEventListener('click', () => {
          $$('[data-automation-id="selectedItem"]', field).forEach(e => e.remove());
          const chosen = document.createElement('div');
          chosen.setAttribute('data-automation-id', 'selectedItem');
          chosen.textContent = text;
          container.before(chosen);
          search.value = '';
          list.innerHTML = '';
        });
        list.append(option);
      }
    });
  }

  // --- Exclusive checkboxes (the disability form: one box only) ---
  for (const group of $$('[data-exclusive="true"]')) {
    group.addEventListener('change', (event) => {
      if (event.target.checked) $$('input[type="checkbox"]', group).forEach(b => { if (b !== event.target) b.checked = false; });
    });
  }

  // --- Résumé: uploaded as soon as it is chosen; Workday parses it into My Experience ---
  const fileInput = $('[data-automation-id="file-upload-input-ref"]');
  if (fileInput) {
    $('[data-automation-id="select-files"]').addEventListener('click', () => fileInput.click());
    fileInput.addEventListener('change', async () => {
      const file = fileInput.files[0];
      if (!file) return;
      const data = new FormData();
      data.append('file', file);
      const response = await fetch(cfg.api + '/resume', {method: 'POST', body: data, credentials: 'same-origin'});
      const body = await response.json();
      $('[data-automation-id="file-upload-item-name"]').textContent = body.fileName;
      $('[data-automation-id="file-upload-successful"]').hidden = false;
      if (body.experience) $('[data-automation-id="workExperienceSection"]').outerHTML = body.experience;
    });
  }

  // --- The step's values, as the page's state holds them ---
  const stepValues = () => {
    const values = {};
    for (const field of $$('[data-fkit-id]')) {
      const key = field.getAttribute('data-fkit-id');
      const kind = field.getAttribute('data-kind');
      if (kind === 'text') values[key] = $('input, textarea', field).value;
      else if (kind === 'listbox') values[key] = $('button[aria-haspopup="listbox"]', field).value || '';
      else if (kind === 'radio') values[key] = ($('input:checked', field) || {value: ''}).value;
      else if (kind === 'checkbox') values[key] = $('input', field).checked ? 'true' : '';
      else if (kind === 'checkboxes') values[key] = $$('input:checked', field).map(b => b.value).join(', ');
      else if (kind === 'prompt') values[key] = $$('[data-automation-id="selectedItem"]', field).map(e => e.textContent).join(', ');
    }
    return values;
  };

  // --- Bottom navigation: Save and Continue saves the step; on the Review page the same button submits ---
  const next = $('[data-automation-id="bottom-navigation-next-button"]');
  if (next) {
    next.addEventListener('click', async () => {
      next.disabled = true;
      const final = cfg.step === 'review';
      const {status, body} = await post(cfg.api + (final ? '/submit' : '/step/' + cfg.step), final ? {} : stepValues());
      next.disabled = false;
      if (status === 200) location.reload(); else showErrors(body.errors);
    });
  }
  const back = $('[data-automation-id="bottom-navigation-previous-button"]');
  if (back) back.addEventListener('click', async () => { await post(cfg.api + '/back', {}); location.reload(); });
})();
