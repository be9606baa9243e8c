// Workload and activity: field notes per area and month, and each broker's running initiatives.
import { h } from '../dom.js';
import { t } from '../texts.js';
import { fmtDay, fmtMonth, monthAxis } from '../format.js';
import { sparkline, table, tags } from './parts.js';
import { notesCount } from '../links.js';

// The first and last day of a month 'YYYY-MM', for a date filter.
function monthRange(m) {
  const [y, mo] = m.split('-').map(Number);
  const last = new Date(y, mo, 0).getDate();
  return { from: `${m}-01`, to: `${m}-${String(last).padStart(2, '0')}` };
}

// Each month with notes, as a link to them.
function monthLinks(a) {
  const ms = a.months.filter((m) => m.notes);
  if (!a.area || !ms.length) return null;
  return h('details', { class: 'fold months' },
    h('summary', { text: t('act.permonth') }),
    h('ul', { class: 'plain' }, ms.map((m) => h('li', {}, notesCount(`${fmtMonth(m.month)}: ${m.notes}`, Object.assign({ area: a.area, kind: 'observation' }, monthRange(m.month)))))));
}

export function render(d) {
  const seen = [...d.areas, ...d.brokers, ...(d.others || [])].flatMap((x) => x.months.map((m) => m.month));
  const axis = monthAxis(seen.length ? seen.reduce((a, b) => (a < b ? a : b)) : null, d.today ? d.today.slice(0, 7) : seen.reduce((a, b) => (a > b ? a : b), ''));
  const monthsOf = (ms, key) => {
    const by = new Map(ms.map((m) => [m.month, m[key] || 0]));
    return axis.map((m) => ({ m, n: by.get(m) || 0 }));
  };
  const areas = d.areas.slice().sort((a, b) => b.notes - a.notes);
  const lastMonth = (b) => b.months[b.months.length - 1] || {};
  return [
    d.today ? h('p', { class: 'lead', text: t('act.today', { d: fmtDay(d.today) }) }) : null,
    h('h2', { text: t('act.areas') }),
    table([t('act.area'), t('act.notes'), axis.length ? `${t('act.trend')} (${fmtMonth(axis[0])} – ${fmtMonth(axis[axis.length - 1])})` : t('act.trend')], areas.map((a) => h('tr', { 'data-area': a.area || '' },
      h('th', { scope: 'row', text: a.area_name || t('act.noarea') }),
      h('td', { class: 'num notes-count' }, a.area ? notesCount(String(a.notes), { area: a.area, kind: 'observation' }) : String(a.notes)),
      h('td', {}, sparkline(monthsOf(a.months, 'notes'), `${a.area_name || t('act.noarea')}: ${a.notes}`), monthLinks(a))))),
    h('h2', { text: t('act.brokers') }),
    h('ul', { class: 'cards brokers' }, d.brokers.map((b) => {
      const now = lastMonth(b);
      return h('li', { class: `card broker${(now.active_initiatives || 0) > 5 ? ' busy' : ''}`, 'data-participant': b.participant },
        h('div', { class: 'card-head' }, h('h3', { class: 'title', text: b.label }), h('span', { class: 'muted', text: b.area_name || '' })),
        h('p', { class: 'meta' }, notesCount(t('act.broker.notes', { n: b.notes }), { author: String(b.participant || '').replace(/^participant:/, ''), kind: 'observation' }), ' · ', t('act.broker.active', { n: now.active_initiatives || 0 }), ' · ', t('act.broker.leading', { n: now.leading || 0 })),
        h('p', { class: 'spark-line' }, h('span', { class: 'muted', text: `${t('act.active.trend')}: ` }), sparkline(monthsOf(b.months, 'active_initiatives'), t('act.active.trend'))),
        now.initiatives && now.initiatives.length ? tags(now.initiatives.map((i) => `${i.name} · ${i.role_label}${i.leads ? ' ⚠' : ''}`)) : null);
    })),
    d.others && d.others.length ? [
      h('h2', { text: t('act.others') }),
      table([t('net.name'), t('net.role'), t('act.notes')], d.others.map((o) => h('tr', { 'data-participant': o.participant },
        h('th', { scope: 'row', text: o.label }), h('td', { text: o.role_label, 'data-from-log': '' }), h('td', { class: 'num' }, notesCount(String(o.notes), { author: String(o.participant || '').replace(/^participant:/, ''), kind: 'observation' }))))),
    ] : null,
  ];
}
