// The copy's stand-in for BambooHR's Fabric widgets: the "Apply for This Job" button that shows the
// form, list menus (a hidden native select + a toggle button opening a role=menu of role=menuitem),
// and file inputs that upload as soon as a file is chosen (attachTemporary) and keep its id.
(() => {
  const form = document.getElementById('job-application-form');
  document.getElementById('apply-for-this-job').addEventListener('click', () => {
    form.hidden = false;
    form.scrollIntoView();
  });
  if (document.querySelector('.form-errors')) form.hidden = false;

  for (const widget of form.querySelectorAll('.fab-Select')) {
    const select = widget.querySelector('select');
    const toggle = widget.querySelector('.fab-SelectToggle');
    const shown = toggle.querySelector('.fab-SelectToggle__content');
    const menu = document.createElement('div');
    menu.id = toggle.dataset.menuId;
    menu.setAttribute('role', 'menu');
    menu.hidden = true;
    for (const option of select.options) {
      if (!option.value) continue;
      const item = document.createElement('div');
      item.setAttribute('role', 'menuitem');
      item.textContent = option.text;
      item.addEventListener('click', () => {
        select.value = option.value;
        select.dispatchEvent(new Event('change', {bubbles: true}));
        shown.textContent = option.text;
        menu.hidden = true;
        toggle.setAttribute('aria-expanded', 'false');
      });
      menu.appendChild(item);
    }
    document.body.appendChild(menu);  // a portal, as Fabric renders its menus
    toggle.addEventListener('click', () => {
      const rect = toggle.getBoundingClientRect();
      menu.style.left = `${rect.left + window.scrollX}px`;
      menu.style.top = `${rect.bottom + window.scrollY}px`;
      menu.hidden = !menu.hidden;
      toggle.setAttribute('aria-expanded', String(!menu.hidden));
    });
  }

  for (const input of form.querySelectorAll('.FileUpload input[type=file]')) {
    const block = input.closest('.FileUpload');
    const keep = block.querySelector(`input[name="${input.dataset.fileId}"]`);
    const list = block.querySelector('[data-fabric-component=FileUploadList]');
    input.addEventListener('change', async () => {
      const file = input.files[0];
      if (!file) return;
      list.innerHTML = `<li>${file.name}<span role="progressbar" aria-label="file-upload-progress-bar"></span></li>`;
      const body = new FormData();
      body.append('file', file);
      const answer = await fetch('/ajax/files/attachTemporary.php', {method: 'POST', body});
      const {fileId} = await answer.json();
      keep.value = fileId;
      list.innerHTML = `<li>${file.name}</li>`;
      input.value = '';  // React empties the input once it has the file
    });
  }
})();
