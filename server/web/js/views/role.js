// The role over time: what it is now (each part with its source) and every change.
import { h } from '../dom.js';
import { t } from '../texts.js';
import { fmtDay } from '../format.js';
import { roleTitle } from '../catalog.js';
import { empty, srcRef } from './parts.js';

export function render(d) {
  if (!d.roles || !d.roles.length) return empty('role.none');
  const out = [];
  for (const r of d.roles) {
    out.push(h('h2', { text: roleTitle(r) }));
    out.push(h('section', { class: 'card' },
      h('h3', { text: t('role.current') }),
      h('dl', { class: 'pairs' }, r.state.map((s) => [
        h('dt', { text: s.label }),
        h('dd', {}, Array.isArray(s.value) ? h('ul', {}, s.value.map((v) => h('li', { text: v }))) : String(s.value), ' ', srcRef(s.src)),
      ]))));
    out.push(h('h3', { text: t('role.timeline') }));
    out.push(h('ol', { class: 'timeline' }, r.timeline.slice().reverse().map((e) => h('li', { class: e.in_effect === false ? 'card future' : 'card' },
      h('div', { class: 'card-head' },
        h('time', { datetime: e.effective, text: fmtDay(e.effective) }),
        h('span', { class: 'badge', text: e.kind_label }),
        e.in_effect === false ? h('span', { class: 'status', text: t('role.notyet') }) : null),
      e.aspect ? h('p', {}, h('strong', { text: e.aspect })) : null,
      e.before ? h('p', {}, h('span', { class: 'muted', text: `${t('role.before')}: ` }), e.before) : null,
      e.after ? h('p', {}, h('span', { class: 'muted', text: `${t('role.after')}: ` }), e.after) : null,
      e.changes ? h('dl', { class: 'pairs' }, e.changes.map((c) => [h('dt', { text: c.label }), h('dd', {}, Array.isArray(c.value) ? h('ul', {}, c.value.map((v) => h('li', { text: v }))) : String(c.value))])) : null,
      e.rationale ? h('p', {}, h('span', { class: 'muted', text: `${t('role.why')}: ` }), e.rationale) : null,
      h('p', { class: 'meta' }, srcRef(e.src))))));
  }
  return out;
}
