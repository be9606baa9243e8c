// The lessons: the insights of the reflections per kind, level and theme, and the added value per group.
import { h } from '../dom.js';
import { t } from '../texts.js';
import { empty, srcRef } from './parts.js';
import { eventsCount } from '../links.js';

export function render(d) {
  if (!d.counts || !d.counts.some((c) => c.count)) return empty('les.none');
  const item = (x) => h('li', {}, x.text, ' ', h('span', { class: 'meta' }, [x.area_name, x.level_label].filter(Boolean).join(' · '), x.sources && x.sources[0] ? ' · ' : '', srcRef(x.sources && x.sources[0])));
  return [
    h('h2', { text: t('les.counts') }),
    h('p', { class: 'tags' }, d.counts.map((c) => eventsCount(`${c.label}: ${c.count}`, sourcesOf(d, c.kind), `tag kind-${c.kind}`))),
    d.levels.map((l) => [
      h('h2', { text: l.level_label }),
      l.themes.map((th) => h('section', { class: 'card' },
        h('h3', { text: th.theme_label || th.theme }),
        th.kinds.map((k) => [h('h4', { class: `kind-${k.kind}`, text: k.label }), h('ul', {}, k.items.map(item))]))),
    ]),
    d.added_value && d.added_value.length ? [
      h('h2', { text: t('les.added') }),
      d.added_value.map((g) => h('section', { class: 'card' }, h('h3', { text: g.label }), h('ul', {}, g.items.map(item)))),
    ] : null,
  ];
}

// The sources of every insight of one kind: what its count counts.
function sourcesOf(d, kind) {
  return (d.levels || []).flatMap((l) => l.themes.flatMap((th) => th.kinds.filter((k) => k.kind === kind).flatMap((k) => k.items.flatMap((x) => x.sources || []))));
}
