// The copy's stand-in for Jobvite's Angular apply page: attachment popups outside the form whose files
// upload on choosing (the form keeps the attachment's id), and "Next" showing the second step.
(() => {
  for (const opener of document.querySelectorAll('[data-popup]')) {
    const popup = document.getElementById(opener.dataset.popup);
    opener.addEventListener('click', () => {
      const rect = opener.getBoundingClientRect();
      popup.style.left = `${rect.left + window.scrollX}px`;
      popup.style.top = `${rect.bottom + window.scrollY}px`;
      popup.classList.toggle('ng-hide');
      popup.setAttribute('aria-hidden', String(popup.classList.contains('ng-hide')));
      opener.setAttribute('aria-expanded', String(!popup.classList.contains('ng-hide')));
    });
    const input = popup.querySelector('input[type=file]');
    const kept = document.querySelector(`input[name="${popup.dataset.keep}"]`);
    const list = document.querySelector(popup.dataset.list);
    input.addEventListener('change', async () => {
      const file = input.files[0];
      if (!file) return;
      popup.classList.add('ng-hide');
      list.innerHTML = `<li class="jv-file-uploading">${file.name}</li>`;
      const body = new FormData();
      body.append('file', file);
      const answer = await fetch('/api/v2/attachments', {method: 'POST', body});
      kept.value = (await answer.json()).id;
      list.innerHTML = `<li class="jv-file">${file.name}</li>`;
    });
  }
  // "Next" is the form's submit button, as in Jobvite's Angular form: its submit handler shows the next
  // step and cancels the sending; on the last step it lets the form be sent.
  const showLastStep = () => {
    document.getElementById('step2').classList.remove('ng-hide');
    document.getElementById('jv-next').classList.add('ng-hide');
    document.getElementById('jv-send').classList.remove('ng-hide');
  };
  document.forms['scopeData.applyForm'].addEventListener('submit', (event) => {
    if (!document.getElementById('step2').classList.contains('ng-hide')) return;
    event.preventDefault();
    showLastStep();
  });
  if (document.querySelector('.form-errors')) showLastStep();
})();
