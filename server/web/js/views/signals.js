// The signals: per theme and per area, and which initiatives they were collectivised into.
import { h } from '../dom.js';
import { t } from '../texts.js';
import { fmtMonth } from '../format.js';
import { empty, table } from './parts.js';
import { eventsCount } from '../links.js';

export function render(d) {
  if (!d.total) return empty('sig.none');
  const max = Math.max(1, ...d.themes.map((x) => x.total));
  const into = new Map();
  for (const a of d.areas) for (const th of a.themes) for (const s of th.signals) for (const c of s.collectivised_into) {
    const k = th.theme;
    into.set(k, new Set([...(into.get(k) || []), c.initiative_name]));
  }
  const themes = d.themes.slice().sort((a, b) => b.total - a.total);
  // The signal events of a theme (in every area): what its count counts.
  const srcsOf = (theme) => d.areas.flatMap((a) => a.themes.filter((x) => x.theme === theme).flatMap((x) => x.signals.map((sg) => sg.src)));
  return [
    h('p', { class: 'lead', text: t('sig.total', { n: d.total }) }),
    h('h2', { text: t('sig.themes') }),
    table([t('sig.theme'), t('sig.count'), t('sig.into')], themes.map((th) => h('tr', {},
      h('th', { scope: 'row', text: th.theme }),
      h('td', { class: 'num' }, h('span', { class: 'bar', style: `--w:${Math.round((th.total / max) * 100)}%` }), eventsCount(String(th.total), srcsOf(th.theme))),
      h('td', {}, into.has(th.theme) ? Array.from(into.get(th.theme)).join(', ') : h('span', { class: 'muted', text: t('sig.notyet') })))), { stack: true }),
    h('h2', { text: t('sig.areas') }),
    d.areas.map((a) => h('section', { class: 'card' },
      h('h3', {}, a.area_name || a.area, ' ', h('span', { class: 'muted', text: `(${a.total})` })),
      h('ul', {}, a.themes.map((th) => h('li', {}, h('strong', { text: th.theme }), ' — ', eventsCount(String(th.total), th.signals.map((sg) => sg.src)), ' · ',
        th.months.map((m) => `${fmtMonth(m.month)}: ${m.count}`).join(', ')))))),
  ];
}
