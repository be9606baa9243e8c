// The administration section: verifying the whole chain of the chosen study's events.
import { S } from '../state.js';
import { $ } from '../dom.js';
import { t } from '../texts.js';
import { getJson, errorText, studyPath } from '../http.js';

async function verify() {
  const out = $('#admin-result');
  const epoch = S.epoch;
  out.textContent = t('loading');
  out.className = '';
  try {
    const v = await getJson(studyPath('/verify'));
    if (epoch !== S.epoch) return; // another study's chain
    out.textContent = v.ok ? t('admin.ok', { n: v.events, p: v.head.position }) : t('admin.bad', { p: v.first_bad });
    out.className = v.ok ? 'ok' : 'error';
  } catch (e) {
    if (epoch !== S.epoch) return;
    out.textContent = errorText(e);
    out.className = 'error';
  }
}

// Another study (or nobody): a verdict on one study's chain must not stand under another's name.
export function clearAdmin() {
  const out = $('#admin-result');
  out.textContent = '';
  out.className = '';
}

export function wireAdmin() {
  $('#admin-verify').addEventListener('click', verify);
}
