// The initiatives: stage, the broker's role, notes, history, and how they ended.
import { h } from '../dom.js';
import { t } from '../texts.js';
import { fmtDay } from '../format.js';
import { vocabulary, label } from '../catalog.js';
import { empty, tags, srcRef } from './parts.js';
import { notesCount } from '../links.js';

export function render(d) {
  if (!d.initiatives || !d.initiatives.length) return empty('init.none');
  const order = { action: 0, bringing_together: 1, inventory: 2, anchoring: 3 };
  const ended = (i) => (i.status === 'stopped' || i.status === 'handed_over' ? 1 : 0);
  const list = d.initiatives.slice().sort((a, b) => ended(a) - ended(b) || (order[a.stage] ?? 9) - (order[b.stage] ?? 9) || a.name.localeCompare(b.name, 'nl'));
  return h('ul', { class: 'cards initiatives' }, list.map((i) => {
    const broker = i.broker_roles && i.broker_roles[i.broker_roles.length - 1];
    return h('li', { class: `card initiative ${i.status || ''}`, 'data-id': i.id },
      h('div', { class: 'card-head' },
        h('h2', { class: 'title', text: i.name }),
        h('span', { class: `status ${i.status || ''}`, text: i.status_label || i.stage_label })),
      h('p', { class: 'meta' }, [i.area_name, i.route_label, i.started ? t('init.started', { d: fmtDay(i.started.date) }) : null].filter(Boolean).join(' · ')),
      stagePicture(i),
      h('p', { class: 'counts' }, notesCount(String(i.notes || 0), { initiative: i.id, kind: 'observation' }, 'notes-count'), ' ', t('init.notes')),
      broker ? h('p', {}, h('span', { class: 'muted', text: `${t('init.broker')}: ` }), `${broker.role_label} (${broker.broker_label})`, broker.broker_leads ? h('span', { class: 'warn-tag', text: ` ⚠ ${t('init.leads')}` }) : null) : null,
      tags(i.health),
      h('p', { class: 'desc', text: i.description }),
      h('details', {},
        h('summary', { text: t('init.history') }),
        h('ol', { class: 'steps' },
          (i.stages || []).map((s) => h('li', {}, h('span', { class: 'meta' }, srcRef(s.src), ' · '), h('strong', { text: s.label }), s.note ? ` — ${s.note}` : '')),
          (i.broker_roles || []).map((b) => h('li', {}, h('span', { class: 'meta' }, srcRef(b.src), ' · '), `${b.role_label} (${b.broker_label})`, b.note ? ` — ${b.note}` : ''))),
        i.collectivised && i.collectivised.length ? h('p', {}, h('strong', { text: `${t('init.signals')}: ` }), i.collectivised.map((c) => c.rationale).join(' ')) : null,
        i.handed_over ? h('p', {}, h('strong', { text: t('init.handed', { v: i.handed_over.organisation_label }) }), i.handed_over.note ? ` — ${i.handed_over.note}` : '', ' ', srcRef(i.handed_over.src)) : null,
        i.stopped ? h('p', {}, h('strong', { text: `${t('init.stopped')}: ` }), i.stopped.reason, ' ', srcRef(i.stopped.src)) : null));
  }));
}

// A small picture of an initiative's stages: the steps of the approach (the server's
// initiative_stage vocabulary), then handed over or stopped; what it went through is filled in, where it is now is marked.
function stagePicture(i) {
  const reached = new Set((i.stages || []).map((s) => s.stage));
  const steps = vocabulary('initiative_stage').map(({ id }) => ({ id, text: label('initiative_stage', id), done: reached.has(id), now: i.stage === id && !i.handed_over && !i.stopped }));
  if (i.handed_over) steps.push({ id: 'handed_over', text: t('init.stage.handed_over'), done: true, now: true });
  if (i.stopped) steps.push({ id: 'stopped', text: t('init.stage.stopped'), done: true, now: true });
  const now = steps.filter((s) => s.now).map((s) => s.text).pop() || i.stage_label || '';
  const path = steps.filter((s) => s.done).map((s) => s.text).join(' → ');
  return h('div', { class: 'stage-picture' },
    h('ol', { class: 'stages', 'aria-hidden': 'true' }, steps.map((s) => h('li', { class: `stage ${s.id}${s.done ? ' done' : ''}${s.now ? ' now' : ''}`, title: s.text }))),
    h('p', { class: 'stage-now' }, h('span', { class: 'muted', text: `${t('init.stage')}: ` }), h('strong', { text: now }), path && path !== now ? h('span', { class: 'muted', text: ` (${path})` }) : null));
}
