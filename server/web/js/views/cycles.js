// The research cycles: per level and area, each cycle's question, plan, steps and outcome.
import { h } from '../dom.js';
import { t } from '../texts.js';
import { fmtDay } from '../format.js';
import { empty, tags, srcRef } from './parts.js';
import { S } from '../state.js';
import { notesCount } from '../links.js';
import { memoForm } from '../forms/memo.js';

// The memos about a cycle, from the codebook's answer if the page has it (researchers' catalog).
function memosOf(id) {
  const cb = S.cache.codebook && S.cache.codebook.data;
  const memos = ((cb && cb.memos) || []).filter((m) => m.cycle === id);
  if (!memos.length) return null;
  return h('details', { class: 'fold' },
    h('summary', { text: `${t('codebook.memos')} (${memos.length})` }),
    h('ul', { class: 'plain memos' }, memos.map((m) => h('li', {},
      h('h3', { text: m.title, 'data-from-log': '' }), h('p', { text: m.text, 'data-from-log': '' }),
      h('p', { class: 'meta' }, m.by_label || m.by || '', ' · ', srcRef(m.src))))));
}

export function render(d) {
  const out = [];
  if (!d.levels || !d.levels.length) return empty('cycle.none');
  for (const l of d.levels) {
    out.push(h('h2', { text: l.level_label }));
    for (const a of l.areas) {
      if (a.area_name && (l.areas.length > 1 || l.level === 'wijk')) out.push(h('h3', { text: a.area_name }));
      out.push(h('ol', { class: 'cards cycles' }, a.cycles.map((c, i) => {
        const insights = (c.steps || []).filter((s) => s.kind === 'reflection').reduce((n, s) => n + (s.insights || 0), 0);
        return h('li', { class: `card cycle ${c.status}`, 'data-id': c.id },
          h('div', { class: 'card-head' },
            h('span', { class: 'badge', text: t('cycle.n', { n: i + 1 }) }),
            h('span', { class: `status ${c.status}`, text: c.status_label }),
            h('span', { class: 'dates' }, fmtDay(c.opened.date), c.outcome ? ` – ${fmtDay(c.outcome.src.date)}` : '')),
          h('p', { class: 'question', text: c.question }),
          h('p', { class: 'meta' }, notesCount(t('cycle.notes', { n: c.field_notes }), { cycle: c.id, kind: 'observation' }, 'notes-count'), ' · ', t('cycle.insights', { n: insights }), c.opened_by ? ` · ${t('cycle.by', { v: c.opened_by })}` : ''),
          c.outcome ? h('p', {}, h('strong', { text: `${t('cycle.outcome')}: ` }), c.outcome.text, ' ', srcRef(c.outcome.src)) : null,
          h('details', {},
            h('summary', { text: t('cycle.plan') }),
            h('p', { text: c.plan }),
            h('ol', { class: 'steps' }, (c.steps || []).map((s) => h('li', { class: `step ${s.kind}` },
              h('span', { class: 'meta' }, srcRef(s.src), ' · ', s.kind_label, s.by ? ` · ${s.by}` : ''), ' ',
              s.description || s.summary || s.topic || '',
              s.kind === 'reflection' && s.insights_by_kind ? tags(s.insights_by_kind.map((k) => `${k.label} ${k.count}`)) : null)))),
          memosOf(c.id),
          S.me && S.me.role === 'researcher' && !S.study.archived ? memoForm({ cycle: c.id, title: t('memo.on.cycle'), idPrefix: `cy-memo-${c.id.replace(/[^a-z0-9]/gi, '_')}` }) : null);
      })));
    }
  }
  return out;
}
