// The copy's stand-in for JazzHR's /js/apply/submit-resume.js: the résumé links show their wrapper,
// and "Submit Application" (a link, not a button) sends the form from script.
(() => {
  const form = document.getElementById('form_submit_new_resume');
  const show = (id, hide) => (event) => {
    event.preventDefault();
    document.getElementById(id).classList.remove('hidden');
    document.getElementById(hide).classList.add('hidden');
  };
  document.getElementById('resumator-choose-upload').addEventListener('click', show('resumator-resume-upload-wrapper', 'resumator-resume-paste-wrapper'));
  document.getElementById('resumator-choose-paste').addEventListener('click', show('resumator-resume-paste-wrapper', 'resumator-resume-upload-wrapper'));
  document.getElementById('resumator-submit-resume').addEventListener('click', (event) => {
    event.preventDefault();
    form.submit();
  });
})();
