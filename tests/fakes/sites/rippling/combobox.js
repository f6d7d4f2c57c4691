// The copy's stand-in for Rippling's React comboboxes: a div[role=combobox] showing "Select" opens its
// role=listbox; picking a role=option shows its text and keeps its value in the hidden input beside it.
(() => {
  for (const box of document.querySelectorAll('.combobox')) {
    const toggle = box.querySelector('[role=combobox]');
    const list = box.querySelector('[role=listbox]');
    const kept = box.querySelector('input[type=hidden]');
    const open = (state) => { list.hidden = !state; toggle.setAttribute('aria-expanded', String(state)); };
    toggle.addEventListener('click', () => open(list.hidden));
    toggle.addEventListener('keydown', (event) => { if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); open(true); } });
    for (const option of list.querySelectorAll('[role=option]')) {
      option.addEventListener('click', () => {
        kept.value = option.dataset.value;
        toggle.textContent = option.textContent;
        for (const other of list.querySelectorAll('[role=option]')) other.setAttribute('aria-selected', String(other === option));
        open(false);
      });
    }
  }
})();
