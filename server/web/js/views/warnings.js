// Warnings from practice: what crosses the thresholds the study set, with its sources.
import { h } from '../dom.js';
import { t } from '../texts.js';
import { fmtDay } from '../format.js';
import { empty, srcRefs } from './parts.js';

export function render(d) {
  const th = d.thresholds || {};
  return [
    h('p', { class: 'help', text: t('warn.thresholds', { a: th.lead_months_max, b: th.active_initiatives_max, c: th.reflection_gap_days_max }) }),
    d.warnings.length ? h('ul', { class: 'cards warnings' }, d.warnings.map((w) => h('li', { class: `card warning ${w.kind}` },
      h('div', { class: 'card-head' }, h('span', { class: 'badge warn', text: w.kind_label }), w.since ? h('span', { class: 'muted', text: t('warn.since', { d: fmtDay(w.since) }) }) : null),
      h('h2', { class: 'title', text: w.subject_label }),
      h('p', { text: w.reason }),
      h('p', { class: 'meta' }, srcRefs(w.sources))))) : empty('warn.none'),
  ];
}
