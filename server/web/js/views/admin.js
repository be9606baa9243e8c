// The administration section: verifying the whole chain of events.
import { $ } from '../dom.js';
import { t } from '../texts.js';
import { getJson, errorText } from '../http.js';

async function verify() {
  const out = $('#admin-result');
  out.textContent = t('loading');
  try {
    const v = await getJson('/verify');
    out.textContent = v.ok ? t('admin.ok', { n: v.events, p: v.head.position }) : t('admin.bad', { p: v.first_bad });
    out.className = v.ok ? 'ok' : 'error';
  } catch (e) {
    out.textContent = errorText(e);
    out.className = 'error';
  }
}

export function wireAdmin() {
  $('#admin-verify').addEventListener('click', verify);
}
