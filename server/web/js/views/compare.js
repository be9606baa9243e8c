// Comparing studies: the server's report (GET /compare?studies=a,b) for the studies chosen with
// checkboxes, shown in a shadow root like the retrospective, downloaded as HTML or Markdown, or
// printed. Only for a caller with a role in two or more studies (nav.js); the server asks for a
// role in every study named.
import { S } from '../state.js';
import { $ } from '../dom.js';
import { t } from '../texts.js';
import { todayValue } from '../format.js';
import { request, query, errorText } from '../http.js';
import { studiesWithRole } from '../studies.js';
import { checkList, checked } from '../forms/fields.js';
import { renderReport, clearReport, downloadReport } from './report.js';

function chosen() {
  return checked($('#compare-studies'));
}

function compareParams(format) {
  return query({ studies: chosen().join(','), format, lang: S.lang });
}

// The studies as checkboxes, each with its municipality; the first time all of them are
// ticked (the common case is two or three), after that what was chosen stays.
function fillStudies() {
  const box = $('#compare-studies');
  const first = !box.children.length;
  checkList(box, studiesWithRole().map((s) => ({ value: s.slug, text: s.name, hint: s.municipality })), 'compare-study');
  if (first) for (const i of box.querySelectorAll('input')) i.checked = true;
}

export function openCompare() {
  fillStudies();
  if (chosen().length >= 2 && $('#compare-doc').dataset.key !== compareParams('html')) showCompare();
}

// Says so when fewer than two are chosen (before asking the server); gives the query otherwise.
function checkedQuery(format) {
  const status = $('#compare-status');
  status.classList.remove('error');
  if (chosen().length < 2) {
    status.textContent = t('compare.err.two');
    status.classList.add('error');
    $('#compare-studies input').focus();
    return null;
  }
  status.textContent = t('loading');
  return compareParams(format);
}

export async function showCompare() {
  const key = checkedQuery('html');
  if (!key) return;
  const status = $('#compare-status');
  const doc = $('#compare-doc');
  const epoch = S.epoch;
  try {
    const res = await request(`/compare${key}`);
    const html = await res.text();
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

async function downloadCompare(format) {
  const key = checkedQuery(format);
  if (!key) return;
  const status = $('#compare-status');
  const name = `${t('compare.file')}-${chosen().join('-')}-${todayValue()}.${format === 'md' ? 'md' : 'html'}`;
  await downloadReport(status, `/compare${key}`, name, format);
}

// Signed out, or another language: the report is asked for again when next shown.
export function clearCompare() {
  clearReport($('#compare-doc'));
  $('#compare-status').textContent = '';
}

// Signed out: the next person's studies are not these.
export function resetCompare() {
  clearCompare();
  $('#compare-studies').replaceChildren();
}

export function wireCompare() {
  $('#compare-show').addEventListener('click', showCompare);
  $('#compare-download-html').addEventListener('click', () => downloadCompare('html'));
  $('#compare-download-md').addEventListener('click', () => downloadCompare('md'));
  $('#compare-print').addEventListener('click', () => window.print());
}
