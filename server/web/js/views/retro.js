// The retrospective: the server's report (HTML) shown in the page in a shadow root, as of a day
// and for an area, downloaded as HTML or Markdown, or printed.
import { S } from '../state.js';
import { $, $$, h } from '../dom.js';
import { t } from '../texts.js';
import { todayValue } from '../format.js';
import { request, query, errorText } from '../http.js';
import { areaItems, loadAreas } from '../catalog.js';
import { options } from '../forms/fields.js';

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
  status.textContent = t('loading');
  status.classList.remove('error');
  $('#retro-stale').hidden = true;
  try {
    const res = await request(`/retrospective${key}`);
    const html = await res.text();
    renderRetro(doc, html);
    doc.dataset.key = key;
    status.textContent = '';
  } catch (e) {
    status.textContent = errorText(e);
    status.classList.add('error');
  }
}

export function clearRetro() {
  const doc = $('#retro-doc');
  if (doc.shadowRoot) doc.shadowRoot.replaceChildren();
  doc.classList.remove('loaded');
  doc.dataset.key = '';
}

// The report is a whole HTML document with its own styles; it goes into a shadow root so that
// its styles and ours do not mix, and it prints as part of the page.
function renderRetro(host, html) {
  const parsed = new DOMParser().parseFromString(html, 'text/html');
  for (const el of parsed.querySelectorAll('script, iframe, object, embed')) el.remove();
  for (const el of parsed.querySelectorAll('*')) {
    for (const a of Array.from(el.attributes)) if (/^on/i.test(a.name) || /^\s*javascript:/i.test(a.value)) el.removeAttribute(a.name);
  }
  const root = host.shadowRoot || host.attachShadow({ mode: 'open' });
  const styles = $$('style', parsed).map((s) => s.textContent.replace(/(^|[\s}])body(\s*[{,])/g, '$1.retro-body$2').replace(/(^|[\s}])\*(\s*\{)/g, '$1.retro-body, .retro-body *$2')).join('\n');
  const body = h('div', { class: 'retro-body' });
  body.append(...Array.from(parsed.body.childNodes).map((n) => document.importNode(n, true)));
  const style = h('style', {});
  style.textContent = `${styles}\n:host { display: block; } .retro-body { max-width: none; padding: 0; margin: 0; }`;
  root.replaceChildren(style, body);
  host.classList.add('loaded');
  if (!root.__clicks) {
    root.__clicks = true;
    // Source links point at #e<position> inside the report: scroll there, leave the URL alone.
    root.addEventListener('click', (ev) => {
      const a = ev.target.closest && ev.target.closest('a[href^="#"]');
      if (!a) return;
      ev.preventDefault();
      const target = root.getElementById(a.getAttribute('href').slice(1));
      if (target) {
        target.scrollIntoView({ behavior: 'smooth', block: 'center' });
        target.classList.add('flash');
        setTimeout(() => target.classList.remove('flash'), 1500);
      }
    });
  }
}

async function downloadRetro(format) {
  const status = $('#retro-status');
  status.textContent = t('loading');
  status.classList.remove('error');
  try {
    const res = await request(`/retrospective${retroParams(format)}`);
    const blob = await res.blob();
    const asOf = $('#retro-asof').value || todayValue();
    const area = ($('#retro-area').value || '').replace(/^area:/, '');
    const name = `terugblik${area ? `-${area}` : ''}-${asOf}.${format === 'md' ? 'md' : 'html'}`;
    const typed = new Blob([blob], { type: format === 'md' ? 'text/markdown;charset=utf-8' : 'text/html;charset=utf-8' });
    const url = URL.createObjectURL(typed);
    const a = h('a', { href: url, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    status.textContent = t('retro.downloaded', { f: name });
  } catch (e) {
    status.textContent = errorText(e);
    status.classList.add('error');
  }
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
