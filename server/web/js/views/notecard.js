// One note as the notes API gives it (NOTE in the shared contract): its date, kind, author,
// area and initiative, codes, its text (or why it is not shown) with the coded passages marked,
// and whether it was amended or retracted. Used by the notes browser and the note's own page.
import { h } from '../dom.js';
import { t } from '../texts.js';
import { fmtDay } from '../format.js';
import { label } from '../catalog.js';
import { srcLink, notesHref, toUtf16 } from '../links.js';

const TEXT_SHOWN_MAX = 600; // characters of a note's text in the list; its page shows all

// Why a note shows no text.
export function textState(n) {
  if (n.text_state === 'withheld') return t('notes.withheld');
  if (n.text_state === 'forgotten') return t('notes.forgotten');
  if (n.text_state === 'none' || !n.text) return t('notes.notext');
  return null;
}

export function noteTitle(n) {
  return n.title || n.topic || `${n.kind_label || n.kind} ${fmtDay(n.date)}`;
}

function codeTags(n) {
  const names = new Map();
  for (const c of n.codes || []) names.set(c.id, c.name);
  for (const x of n.excerpts || []) for (const c of x.codes || []) names.set(c.id, c.name);
  if (!names.size) return null;
  return h('p', { class: 'tags codes' }, Array.from(names, ([id, name]) => h('a', { class: 'tag code', href: notesHref({ code: id }), text: name })));
}

export function marks(n) {
  return [
    n.retracted ? h('span', { class: 'badge warn', text: t('notes.retracted.mark') }) : null,
    n.revision ? h('span', { class: 'badge', text: t('notes.amended.mark', { n: n.revision }) }) : null,
  ];
}

// The note as a card. `full`: all of its text with the coded passages marked (its own page);
// otherwise the start of it, with a link to the rest.
export function noteCard(n, { full = false, headingLevel = 2 } = {}) {
  const why = textState(n);
  let text = null;
  if (!why) {
    if (full) text = markedText(n);
    else {
      const cut = Array.from(n.text).length > TEXT_SHOWN_MAX;
      text = h('p', { class: 'text', 'data-from-log': '', text: cut ? `${Array.from(n.text).slice(0, TEXT_SHOWN_MAX).join('')}…` : n.text });
    }
  }
  // On the note's own page its title is the page's heading.
  const heading = full ? null : h(`h${headingLevel}`, { class: 'title', 'data-from-log': '' }, h('a', { href: `#/notes/${n.id}`, text: noteTitle(n) }));
  return h('li', { class: `card note-card${n.retracted ? ' retracted' : ''}`, 'data-id': n.id },
    h('div', { class: 'card-head' },
      h('span', { class: `badge kind-${n.kind}`, text: n.kind_label || n.kind }),
      h('time', { datetime: n.date, text: fmtDay(n.date) }),
      marks(n)),
    heading,
    h('p', { class: 'meta', 'data-from-log': '' }, [n.author_name || n.author, n.area_name, n.initiative_name].filter(Boolean).join(' · '), ' · ', srcLink({ position: n.position, date: n.date })),
    text || h('p', { class: 'text muted', text: why }),
    n.retracted ? h('p', { class: 'notice' }, h('strong', { text: `${t('notes.retracted.why')}: ` }), n.retracted.reason || '') : null,
    n.health && n.health.length ? h('p', { class: 'tags' }, n.health.map((d) => h('span', { class: 'tag', text: label('health_dimension', d) }))) : null,
    codeTags(n));
}

// The text with each coded passage marked; where passages overlap, the marks carry every code.
export function markedText(n, { id } = {}) {
  const text = n.text || '';
  const xs = (n.excerpts || []).filter((x) => x.end > x.start);
  const cuts = new Set([0, text.length]);
  for (const x of xs) {
    cuts.add(toUtf16(text, x.start));
    cuts.add(toUtf16(text, x.end));
  }
  const points = Array.from(cuts).filter((c) => c <= text.length).sort((a, b) => a - b);
  const p = h('p', { class: 'text note-text', id, 'data-text': '', 'data-from-log': '' });
  for (let i = 0; i + 1 < points.length; i += 1) {
    const [a, b] = [points[i], points[i + 1]];
    const part = text.slice(a, b);
    const over = xs.filter((x) => toUtf16(text, x.start) <= a && toUtf16(text, x.end) >= b);
    if (!over.length) p.append(document.createTextNode(part));
    else {
      const names = Array.from(new Set(over.flatMap((x) => (x.codes || []).map((c) => c.name))));
      p.append(h('mark', { title: names.join(', '), 'data-codes': names.join(', ') }, part));
    }
  }
  return p;
}
