// Asking for the API key, where the deployment wants one (config.js: apiKeyRequired). Asked once per
// browser tab: the key is kept in sessionStorage only (api.js), checked against the API before it is
// kept, and asked for again when the API refuses it.

import { apiKey, apiKeyRequired, forgetApiKey, keyAccepted, rememberApiKey } from './api.js';

const $ = (id) => /** @type {any} */ (document.getElementById(id));

/**
 * @param {{ onKey: () => void }} handlers onKey runs once a key has been accepted
 * @returns {{ ask: (message?: string) => void }} ask shows the field again (the key was refused)
 */
export function wireApiKeyPanel({ onKey }) {
  const panel = $('key-panel');
  const form = /** @type {HTMLFormElement} */ ($('key-form'));
  const input = /** @type {HTMLInputElement} */ ($('api-key'));
  const problem = $('key-problem');
  const submit = $('key-submit');
  const change = $('key-change');
  if (!apiKeyRequired) return { ask: () => undefined };

  const show = (message = '') => {
    panel.hidden = false;
    change.hidden = true;
    problem.textContent = message;
    problem.hidden = !message;
    input.setAttribute('aria-invalid', String(Boolean(message)));
    input.focus();
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const key = input.value.trim();
    if (!key) return show('Enter the API key.');
    submit.disabled = true;
    submit.textContent = 'Checking the key…';
    try {
      if (!(await keyAccepted(key))) return show('This key was not accepted. Check it and try again.');
    } catch {
      return show('The service cannot be reached to check the key. Check the network, then try again.');
    } finally {
      submit.disabled = false;
      submit.textContent = 'Use this key';
    }
    rememberApiKey(key);
    input.value = '';
    panel.hidden = true;
    change.hidden = false;
    onKey();
  });
  change.addEventListener('click', () => {
    forgetApiKey();
    show();
  });

  if (apiKey()) change.hidden = false;
  else show();
  return {
    ask(message = '') {
      forgetApiKey();
      show(message);
    },
  };
}
