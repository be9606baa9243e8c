// Pieces the views share: an empty-state line, tags, tables, sparklines, source references.
import { h, esc } from '../dom.js';
import { t } from '../texts.js';
import { fmtMonth } from '../format.js';
import { srcLink } from '../links.js';

export const empty = (key) => h('p', { class: 'muted empty', text: t(key) });
export const tags = (list) => (list && list.length ? h('p', { class: 'tags' }, list.map((x) => h('span', { class: 'tag', text: typeof x === 'string' ? x : x.label }))) : null);

// A small bar chart of monthly numbers, for the workload view.
export function sparkline(values, labelText) {
  const max = Math.max(1, ...values.map((v) => v.n));
  const w = Math.max(1, values.length) * 3;
  const bars = values.map((v, i) => {
    const bh = v.n ? Math.max(2, Math.round((v.n / max) * 22)) : 0;
    return bh ? `<rect x="${i * 3}" y="${24 - bh}" width="2.4" height="${bh}"><title>${esc(fmtMonth(v.m))}: ${v.n}</title></rect>` : '';
  }).join('');
  const span = h('span', { class: 'spark', role: 'img', 'aria-label': labelText });
  span.innerHTML = `<svg viewBox="0 0 ${w} 25" preserveAspectRatio="none" aria-hidden="true"><line x1="0" y1="24.5" x2="${w}" y2="24.5" class="axis"/>${bars}</svg>`;
  return span;
}

// A table; with `stack`, narrow screens show each row as a small block with labelled cells.
export function table(headers, rows, { caption, cls, stack } = {}) {
  if (stack) {
    for (const tr of rows) Array.from(tr.children).forEach((cell, i) => { if (i > 0) cell.dataset.label = headers[i]; });
  }
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption || headers[0] },
    h('table', { class: `${cls || ''}${stack ? ' stack' : ''}` },
      caption ? h('caption', { text: caption }) : null,
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col', text: x })))),
      h('tbody', {}, rows)));
}

// A source reference: a link to its event (links.js).
export function srcRef(src) {
  return srcLink(src);
}

// Several sources, with room between them.
export function srcRefs(list) {
  return (list || []).flatMap((src, i) => (i ? [' ', srcRef(src)] : [srcRef(src)]));
}
