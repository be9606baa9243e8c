// The network: who takes part, how connected, and who works on which initiative.
import { h } from '../dom.js';
import { t } from '../texts.js';
import { fmtDay } from '../format.js';
import { table } from './parts.js';
import { eventsCount } from '../links.js';

export function render(d) {
  // The connections a node's degree counts: the events of its edges.
  const srcsOf = (id) => d.edges.filter((e) => e.a === id || e.b === id).flatMap((e) => (e.connections || []).map((c) => c.src));
  const nodes = d.nodes.slice().sort((a, b) => b.degree - a.degree || a.label.localeCompare(b.label, 'nl'));
  return [
    h('p', { class: 'lead', text: t('net.nodes', { n: d.nodes.length, m: d.edges.length }) }),
    h('h2', { text: t('net.people') }),
    table([t('net.name'), t('net.role'), t('net.area'), t('net.degree')], nodes.map((n) => h('tr', { 'data-id': n.id },
      h('th', { scope: 'row' }, n.label, n.left ? h('span', { class: 'muted', text: ` (${t('net.left', { d: fmtDay(n.left) })})` }) : null),
      h('td', { text: n.role_label, 'data-from-log': '' }),
      h('td', { text: n.area_name || '' }),
      h('td', { class: 'num' }, eventsCount(String(n.degree), srcsOf(n.id))))), { stack: true }),
    h('h2', { text: t('net.initiatives') }),
    h('ul', { class: 'cards' }, d.initiatives.map((i) => h('li', { class: 'card' },
      h('h3', { text: i.name }),
      h('ul', { class: 'plain people' }, i.participants.map((p) => h('li', {}, h('strong', { text: p.label }), ` · ${p.role_label}`, p.links_label && p.links_label.length ? h('span', { class: 'muted', text: ` · ${p.links_label.join(', ')}` }) : null)))))),
  ];
}
