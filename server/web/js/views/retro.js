// The retrospective: the server's report (HTML) shown in the page in a shadow root, as of a day
// and for an area, downloaded as HTML or Markdown, or printed.
import { S } from '../state.js';
import { $ } from '../dom.js';
import { t } from '../texts.js';
import { todayValue } from '../format.js';
import { request, query, errorText, studyPath } from '../http.js';
import { areaItems, loadAreas } from '../catalog.js';
import { options } from '../forms/fields.js';
import { renderReport, clearReport, downloadReport } from './report.js';

function retroParams(format) {
  return query({ format, lang: S.lang, as_of: $('#retro-asof').value || undefined, area: $('#retro-area').value || undefined });
}

export function openRetro() {
  const sel = $('#retro-area');
  options(sel, [{ items: areaItems() }], { placeholder: t('retro.allareas') });
  if (!S.areas.size) loadAreas().then(() => options(sel, [{ items: areaItems() }], { placeholder: t('retro.allareas') })).catch(() => {});
  $('#retro-asof').max = todayValue();
  const key = retroParams('html');
  if ($('#retro-doc').dataset.key !== key) showRetro();
}

export async function showRetro() {
  const status = $('#retro-status');
  const doc = $('#retro-doc');
  const key = retroParams('html');
  const epoch = S.epoch;
  status.textContent = t('loading');
  status.classList.remove('error');
  $('#retro-stale').hidden = true;
  try {
    const res = await request(studyPath(`/retrospective${key}`));
    const html = await res.text();
    // Another study was chosen meanwhile: this report is not of the study the header names.
    if (epoch !== S.epoch) return;
    renderReport(doc, html);
    doc.dataset.key = key;
    status.textContent = '';
  } catch (e) {
    if (epoch !== S.epoch) return;
    status.textContent = errorText(e);
    status.classList.add('error');
  }
}

export function clearRetro() {
  clearReport($('#retro-doc'));
  $('#retro-stale').hidden = true;
  $('#retro-status').textContent = '';
}

async function downloadRetro(format) {
  const status = $('#retro-status');
  status.textContent = t('loading');
  status.classList.remove('error');
  const asOf = $('#retro-asof').value || todayValue();
  const area = ($('#retro-area').value || '').replace(/^area:/, '');
  // The study's slug in the name: files of several studies end up in one downloads folder.
  const name = `terugblik-${S.study.slug}${area ? `-${area}` : ''}-${asOf}.${format === 'md' ? 'md' : 'html'}`;
  await downloadReport(status, studyPath(`/retrospective${retroParams(format)}`), name, format);
}

// The log grew: a report of "now" is out of date (one of a past day is not).
export function markRetroStale() {
  const doc = $('#retro-doc');
  if (doc.classList.contains('loaded') && !$('#retro-asof').value) $('#retro-stale').hidden = false;
}

export function wireRetro() {
  $('#retro-show').addEventListener('click', showRetro);
  $('#retro-refresh').addEventListener('click', showRetro);
  $('#retro-asof').addEventListener('change', showRetro);
  $('#retro-area').addEventListener('change', showRetro);
  $('#retro-download-html').addEventListener('click', () => downloadRetro('html'));
  $('#retro-download-md').addEventListener('click', () => downloadRetro('md'));
  $('#retro-print').addEventListener('click', () => window.print());
}
