// The codebook: each code with what it counts (notes, coded passages), its history (defined,
// renamed, merged), its coded passages with their words (from the notes API, asked when the
// fold is opened) and the memos about it; researchers rename and merge codes and write memos.
import { S } from '../state.js';
import { $, h } from '../dom.js';
import { t } from '../texts.js';
import { rfc3339 } from '../format.js';
import { getJson, errorText, studyPath } from '../http.js';
import { newId } from '../outbox.js';
import { srcLink, notesCount, eventsCount, passage, readsNotes } from '../links.js';
import { formError, options, applyLimits } from '../forms/fields.js';
import { sendFrom } from '../forms/amend.js';
import { memoForm } from '../forms/memo.js';
import { empty } from './parts.js';
import { agreementFold } from './agreement.js';

export function render(d) {
  if (!d.codes || !d.codes.length) return empty('codebook.none');
  return [agreementFold(), codeList(d)];
}

function codeList(d) {
  const coded = new Map((d.coded || []).map((c) => [c.code, c.excerpts || []]));
  const researcher = S.me && S.me.role === 'researcher' && !S.study.archived;
  const codes = d.codes.slice().sort((a, b) => (a.merged_into ? 1 : 0) - (b.merged_into ? 1 : 0) || a.name.localeCompare(b.name, 'nl'));
  const active = codes.filter((c) => !c.merged_into);
  return h('ul', { class: 'cards codebook' }, codes.map((c) => {
    const xs = coded.get(c.id) || [];
    const memos = (d.memos || []).filter((m) => (m.codes || []).some((x) => (x.id || x) === c.id));
    const slug = c.id.replace(/^code:/, '');
    return h('li', { class: `card code${c.merged_into ? ' merged' : ''}`, 'data-id': c.id },
      h('div', { class: 'card-head' }, h('h2', { class: 'title', text: c.name, 'data-from-log': '' }), c.merged_into ? h('span', { class: 'badge', text: t('codebook.merged', { v: c.merged_into_name || c.merged_into }) }) : null),
      c.description ? h('p', { class: 'desc', text: c.description, 'data-from-log': '' }) : null,
      h('p', { class: 'counts' },
        notesCount(t(c.notes === 1 ? 'codebook.note1' : 'codebook.notes', { n: c.notes || 0 }), { code: c.id }, 'notes-count'), ' · ',
        eventsCount(t(c.excerpts === 1 ? 'codebook.excerpt1' : 'codebook.excerpts', { n: c.excerpts || 0 }), xs.map((x) => x.src), 'excerpts-count')),
      h('details', { class: 'fold', id: `cb-history-${slug}` },
        h('summary', { text: t('codebook.history') }),
        h('ol', { class: 'steps' }, (c.history || []).map((x) => h('li', {}, h('strong', { text: x.label || x.event }), ` · ${x.name || ''} · `, srcLink(x.src))))),
      xs.length ? passages(xs, slug) : null,
      memos.length ? h('details', { class: 'fold', id: `cb-memos-${slug}` },
        h('summary', { text: `${t('codebook.memos')} (${memos.length})` }),
        h('ul', { class: 'plain memos' }, memos.map((m) => h('li', {}, h('h3', { text: m.title, 'data-from-log': '' }), h('p', { text: m.text, 'data-from-log': '' }), h('p', { class: 'meta' }, m.by_label || m.by || '', ' · ', srcLink(m.src)))))) : null,
      researcher && !c.merged_into ? [renameForm(c, slug), mergeForm(c, slug, active), memoForm({ codes: [c.id], title: t('memo.on.code'), idPrefix: `cb-memo-${slug}` })] : null);
  }));
}

// The coded passages of a code, with their words read from the notes when the fold opens.
function passages(xs, slug) {
  const list = h('ul', { class: 'plain excerpts' });
  const fold = h('details', { class: 'fold', id: `cb-passages-${slug}` }, h('summary', { text: t('codebook.passages', { n: xs.length }) }), list);
  const fill = async () => {
    if (list.dataset.filled) return;
    list.dataset.filled = '1';
    const texts = new Map();
    for (const id of new Set(xs.map((x) => x.source))) {
      if (!readsNotes()) break;
      try {
        texts.set(id, await getJson(studyPath(`/notes/${encodeURIComponent(id)}?lang=${S.lang}`)));
      } catch (e) {
        texts.set(id, { error: errorText(e) });
      }
    }
    list.replaceChildren(...xs.map((x) => {
      const n = texts.get(x.source);
      const words = n && n.text ? passage(n.text, x.start, x.end) : null;
      return h('li', {},
        words ? h('blockquote', { class: 'passage', text: words }) : h('p', { class: 'muted', text: n && n.error ? n.error : t('notes.withheld') }),
        h('p', { class: 'meta' }, x.by_label || x.by || '', ' · ', srcLink(x.src), n && n.id ? [' · ', h('a', { href: `#/notes/${n.id}`, text: t('codebook.opennote') })] : null));
    }));
  };
  fold.addEventListener('toggle', () => { if (fold.open) fill(); });
  return fold;
}

function renameForm(c, slug) {
  const id = `cb-rename-${slug}`;
  const form = h('form', { class: 'form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: id, text: t('codebook.newname') }), h('input', { type: 'text', id, 'data-limit': 'short_text_chars_max', value: c.name, autocomplete: 'off' })),
    h('p', { class: 'error', role: 'alert', hidden: true }),
    h('button', { type: 'submit', text: t('codebook.rename') }));
  applyLimits(form);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const input = $(`#${id}`, form);
    const name = input.value.trim();
    if (!name || name === c.name) return formError(form, t('codebook.err.name'), input);
    sendFrom(form, [{ id: newId(), stream: c.id, kind: 'CodeRenamed', occurred_at: rfc3339(new Date()), payload: { name } }], t('codebook.renamed'), () => {});
  });
  return h('details', { class: 'fold', id: `cb-renamefold-${slug}` }, h('summary', { text: t('codebook.rename') }), form);
}

function mergeForm(c, slug, active) {
  const id = `cb-merge-${slug}`;
  const sel = h('select', { id, 'aria-describedby': `${id}-help` });
  options(sel, [{ items: active.filter((x) => x.id !== c.id).map((x) => ({ value: x.id, text: x.name })) }], { placeholder: t('none') });
  const form = h('form', { class: 'form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: id, text: t('codebook.mergewhich') }), sel, h('p', { class: 'help', id: `${id}-help`, text: t('codebook.merge.help', { v: c.name }) })),
    h('p', { class: 'error', role: 'alert', hidden: true }),
    h('button', { type: 'submit', text: t('codebook.merge') }));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!sel.value) return formError(form, t('form.err.required'), sel);
    // Written to the code that remains; `merged` is the one folded into it.
    sendFrom(form, [{ id: newId(), stream: c.id, kind: 'CodesMerged', occurred_at: rfc3339(new Date()), payload: { merged: sel.value } }], t('codebook.merged.saved'), () => {});
  });
  return h('details', { class: 'fold', id: `cb-mergefold-${slug}` }, h('summary', { text: t('codebook.merge') }), form);
}
