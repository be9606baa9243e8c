// The projection views: one frame each (an as-of date, a status line, the chart, the body),
// filled from GET /projections/{name} and /charts/{name} and drawn by the view's own module.
import { S } from '../state.js';
import { $, $$, h, append } from '../dom.js';
import { t } from '../texts.js';
import { fmtDay, fmtTime, todayValue } from '../format.js';
import { request, query, errorText, ApiError, studyPath } from '../http.js';
import { loadReference, projection, saveCatalog } from '../catalog.js';
import * as cycles from './cycles.js';
import * as role from './role.js';
import * as initiatives from './initiatives.js';
import * as signals from './signals.js';
import * as lessons from './lessons.js';
import * as network from './network.js';
import * as activity from './activity.js';
import * as warnings from './warnings.js';
import * as charts from './charts.js';
import * as codebook from './codebook.js';
import { downloadCsv } from '../links.js';
import { resetNotes } from './notes.js';

// View id -> its drawing of the projection's answer.
const RENDER = { cycles, role, initiatives, signals, lessons, network, activity, warnings, codebook };
// View id -> its chart, drawn here from the same answer (charts.js: it fits a phone and spans
// the study's period). The cycles' spiral is the server's figure (GET /charts/cycles); it is
// narrow enough as it is.
const CHART = { role: charts.role, initiatives: charts.initiatives, signals: charts.signals };

function buildViewFrame(sec, id) {
  if (sec.dataset.built === S.lang) return;
  $$(':scope > :not(h1)', sec).forEach((n) => n.remove());
  const inputId = `asof-${id}`;
  const input = h('input', { type: 'date', id: inputId, class: 'asof', max: todayValue(), 'aria-describedby': `${inputId}-help` });
  const st = viewState(id);
  input.value = st.asOf || '';
  input.addEventListener('change', () => {
    st.asOf = input.value;
    loadView(id);
  });
  const toolbar = h('div', { class: 'toolbar card no-print' },
    h('div', { class: 'field inline' },
      h('label', { for: inputId, text: t('asof') }),
      input,
      h('button', { type: 'button', class: 'small', text: t('asof.now'), onclick: () => { input.value = ''; st.asOf = ''; loadView(id); } }),
      // The view's table for a spreadsheet, as of the day shown; named after the study, as
      // files of several studies end up in one downloads folder.
      h('button', { type: 'button', class: 'small', 'data-csv': '', text: t('csv.download'), onclick: () => {
        const name = sec.dataset.projection;
        downloadCsv(studyPath(`/projections/${name}${query({ format: 'csv', lang: S.lang, as_of: st.asOf || undefined })}`), `${S.study.slug}-${name}.csv`, $('[data-status]', sec));
      } })),
    h('p', { class: 'status-line', role: 'status', id: `${inputId}-help`, 'data-status': '' }));
  const chart = sec.dataset.chart ? h('div', { class: 'chart card', 'data-chart-slot': '' }) : null;
  const body = h('div', { class: 'view-body', 'data-body': '' });
  sec.append(toolbar);
  if (chart) sec.append(chart);
  sec.append(body);
  sec.dataset.built = S.lang;
}

function viewState(id) {
  S.views[id] = S.views[id] || { asOf: '', seq: 0 };
  return S.views[id];
}

export async function loadView(id, { quiet = false } = {}) {
  const sec = $(`#view-${id}`);
  buildViewFrame(sec, id);
  const st = viewState(id);
  const seq = ++st.seq;
  const epoch = S.epoch;
  const status = $('[data-status]', sec);
  if (!quiet) {
    status.textContent = t('loading');
    status.classList.remove('error');
  }
  sec.setAttribute('aria-busy', 'true');
  const asOf = st.asOf || undefined;
  const name = sec.dataset.projection;
  const chartName = CHART[id] ? null : sec.dataset.chart;
  try {
    const [data, chart, day] = await Promise.all([
      projection(name, { asOf, force: !asOf }),
      chartName ? fetchChart(chartName, asOf) : Promise.resolve(null),
      CHART[id] ? lastDay(name, asOf) : Promise.resolve(null),
      // The views name vocabulary values (the stages of an initiative) with the server's labels.
      loadReference().catch(() => {}),
    ]);
    // Signed out or another study chosen meanwhile: this answer is not the one to show.
    if (seq !== st.seq || epoch !== S.epoch || !S.me) return;
    const slot = $('[data-chart-slot]', sec);
    const drawn = CHART[id] ? CHART[id](data, day) : null;
    if (drawn) slot.replaceChildren(drawn);
    else if (chartName && chart) slot.innerHTML = chart; // the server's own figure; every text in it is escaped there
    else if (slot) slot.replaceChildren(h('p', { class: 'muted', text: t('chart.none') }));
    const body = $('[data-body]', sec);
    const kept = keepPlace(body);
    body.replaceChildren();
    append(body, [RENDER[id].render(data)]);
    restorePlace(body, kept, sec);
    status.textContent = asOf ? t('updated.asof', { d: fmtDay(asOf) }) : t('updated', { t: fmtTime(new Date()) });
    status.classList.remove('error');
    if (id === 'activity' || id === 'initiatives') saveCatalog();
  } catch (e) {
    if (seq !== st.seq || epoch !== S.epoch) return;
    status.textContent = errorText(e);
    status.classList.add('error');
  } finally {
    if (seq === st.seq) sec.removeAttribute('aria-busy');
  }
}

// A view is drawn again when the log grows. What the reader had open (a card's history) stays
// open, and the focus stays where it was (the same control of the same card) instead of
// dropping to <body> with the old elements; the heading takes it if that control is gone.
const FOCUSABLE = 'a[href], button, summary, input, select, textarea, [tabindex]:not([tabindex="-1"])';
function keepPlace(body) {
  const itemOf = (el) => el.closest('[data-id]');
  const open = $$('details[open]', body).map((d) => itemOf(d)).filter(Boolean).map((i) => i.dataset.id);
  const active = document.activeElement;
  if (!active || !body.contains(active)) return { open };
  const item = itemOf(active);
  const scope = item || body;
  return { open, item: item ? item.dataset.id : null, index: $$(FOCUSABLE, scope).indexOf(active) };
}
function restorePlace(body, kept, sec) {
  const byId = (id) => $$('[data-id]', body).find((el) => el.dataset.id === id);
  for (const id of kept.open) {
    const item = byId(id);
    const d = item && $('details', item);
    if (d) d.open = true;
  }
  if (kept.index === undefined) return;
  const scope = kept.item ? byId(kept.item) : body;
  const target = scope && $$(FOCUSABLE, scope)[kept.index];
  if (target) target.focus({ preventScroll: true });
  else $('h1', sec).focus({ preventScroll: true });
}

// The study's last day (or the day asked for): where a time chart ends. The role view says it
// (`day`); the other views borrow it from there.
async function lastDay(name, asOf) {
  if (asOf) return asOf;
  try {
    const d = name === 'role' ? S.cache.role && S.cache.role.data : await projection('role');
    return (d && d.day) || null;
  } catch (_) {
    return null;
  }
}

async function fetchChart(name, asOf) {
  try {
    const res = await request(studyPath(`/charts/${name}${query({ lang: S.lang, as_of: asOf })}`));
    return await res.text();
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

// Draws the open view again soon, after the log grew (events come in bursts).
export function scheduleRefresh() {
  clearTimeout(S.refreshTimer);
  S.refreshTimer = setTimeout(() => {
    if (!S.me) return;
    const sec = $(`#view-${S.view}`);
    // A view of a past day is refreshed too: a note may be recorded later about that time.
    if (sec && sec.classList.contains('projection')) loadView(S.view, { quiet: true });
  }, 400);
}

// Empties every view, so that each is built again when next shown (signed out, or another language).
export function resetViews() {
  resetNotes();
  $$('.view.projection').forEach((s) => { s.dataset.built = ''; $$(':scope > :not(h1)', s).forEach((n) => n.remove()); });
}
