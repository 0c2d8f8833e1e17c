/* The console's few lines of script: the catalog's live preview. Every page works without it. */
/* global document, fetch, URLSearchParams, window, setTimeout, clearTimeout */
'use strict';

function livePreview(form) {
  const output = document.getElementById('preview-result');
  if (!output) return;
  let pending;
  const refresh = () => {
    clearTimeout(pending);
    pending = setTimeout(async () => {
      const query = new URLSearchParams(new window.FormData(form));
      try {
        const answer = await fetch(`${form.dataset.preview}?${query}`, { credentials: 'same-origin' });
        if (answer.ok) output.innerHTML = await answer.text();
      } catch {
        /* the form's own button still works */
      }
    }, 150);
  };
  form.addEventListener('input', refresh);
  form.addEventListener('change', refresh);
}

document.addEventListener('DOMContentLoaded', () => {
  document.querySelectorAll('form[data-preview]').forEach(livePreview);
});
