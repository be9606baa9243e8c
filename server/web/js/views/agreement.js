// Inter-coder agreement, for researchers, in the codebook view: a fold that asks the server
// (`GET …/agreement`) when it is opened and shows, per pair of coders who coded the same notes,
// a table per code (percentage agreement, Cohen's kappa, agreement on coded text) and the
// passages they disagree on, each opening its note.
import { S } from '../state.js';
import { h } from '../dom.js';
import { t } from '../texts.js';
import { getJson, errorText, studyPath } from '../http.js';
import { eventHref } from '../links.js';

const pct = (x) => (x === null || x === undefined ? '–' : `${x.toLocaleString(S.lang === 'en' ? 'en-GB' : 'nl-NL', { maximumFractionDigits: 1 })}%`);
const kappa = (x) => (x === null || x === undefined ? '–' : x.toLocaleString(S.lang === 'en' ? 'en-GB' : 'nl-NL', { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
const who = (w) => (w && (w.name || w.id)) || '?';

export function agreementFold() {
  if (!S.me || S.me.role !== 'researcher') return null;
  const body = h('div', { class: 'agreement-body', 'aria-live': 'polite' });
  const fold = h('details', { class: 'fold agreement', id: 'cb-agreement' }, h('summary', { text: t('agreement.title') }), body);
  fold.addEventListener('toggle', async () => {
    if (!fold.open || body.dataset.filled) return;
    body.dataset.filled = '1';
    body.replaceChildren(h('p', { text: t('agreement.loading') }));
    try {
      const d = await getJson(studyPath(`/agreement?lang=${S.lang}`));
      body.replaceChildren(...render(d));
    } catch (e) {
      delete body.dataset.filled;
      body.replaceChildren(h('p', { class: 'error', role: 'alert', text: errorText(e) }));
    }
  });
  return fold;
}

function render(d) {
  if (!d.pairs || !d.pairs.length) return [h('p', { text: t('agreement.none') })];
  const out = [];
  for (const p of d.pairs) {
    const n = (p.notes || []).length;
    out.push(h('h2', { text: t('agreement.pair', { a: who(p.a), b: who(p.b), n, c: p.characters }) }));
    if ((p.left_out || []).length) out.push(h('p', { class: 'meta', text: t('agreement.leftout', { n: p.left_out.length }) }));
    // On a phone each row stacks (table.stack in app.css), each figure with its column's name.
    out.push(h('div', { class: 'table-wrap' }, h('table', { class: 'stack agreement-table' },
      h('caption', { text: t('agreement.caption', { a: who(p.a), b: who(p.b) }) }),
      h('thead', {}, h('tr', {}, ...['agreement.code', 'agreement.percent', 'agreement.kappa', 'agreement.coded'].map((k) => h('th', { scope: 'col', text: t(k) })))),
      h('tbody', {}, ...(p.codes || []).map((c) => h('tr', {},
        h('th', { scope: 'row', text: c.name, 'data-from-log': '' }),
        h('td', { class: 'num', 'data-label': t('agreement.percent'), text: pct(c.percent_agreement) }),
        h('td', { class: 'num', 'data-label': t('agreement.kappa'), text: kappa(c.kappa) }),
        h('td', { class: 'num', 'data-label': t('agreement.coded'), text: pct(c.coded_agreement) })))))));
    const diffs = (p.codes || []).flatMap((c) => (c.disagreements || []).map((x) => ({ ...x, code: c.name })));
    if (diffs.length) {
      out.push(h('details', { class: 'fold' },
        h('summary', { text: t('agreement.diffs', { n: diffs.length }) }),
        h('ul', { class: 'plain disagreements' }, diffs.map((x) => h('li', {},
          h('strong', { text: x.code, 'data-from-log': '' }), ' · ',
          t('agreement.onlyby', { v: x.coded_by }), ' · ',
          x.position ? h('a', { href: eventHref(x.position), text: `#${x.position} [${x.start}–${x.end}]` }) : `[${x.start}–${x.end}]`,
          x.text ? h('blockquote', { class: 'passage', text: x.text, 'data-from-log': '' }) : null)))));
    }
  }
  out.push(h('p', { class: 'meta', text: d.about || '' }));
  return out;
}
