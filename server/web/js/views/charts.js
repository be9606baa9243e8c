// The views' time charts (the role over time, the stages of the initiatives, signals per year),
// drawn here from the same answer the view shows, in HTML and CSS with positions in percent:
// they take the width there is, so a phone needs no sideways scrolling, their words are page
// text (readable at 390 px, and they grow with the reader's text size), and they span the
// study's period: from its first dated fact to its last day (or the day it is shown as of),
// not a fixed range. The server's SVG of the same charts is in the retrospective.
//
// Each chart is a <figure>: a visible caption, the drawing as one image with a summary for a
// screen reader (what it shows is in the view's text and tables too), and a legend in words.
import { S } from '../state.js';
import { h } from '../dom.js';
import { t } from '../texts.js';
import { fmtDay, parseDay } from '../format.js';
import { vocabulary, label, roleTitle } from '../catalog.js';

// Every colour has 3:1 or more against white (WCAG 1.4.11); segments side by side are kept
// apart by a white gap, not by their colours alone.
const PALETTE = ['#1f6f8b', '#c25e00', '#2f7d4f', '#b23a48', '#7b5ea7', '#8a6d00', '#4a68a8', '#8c564b', '#1f7a70', '#c2185b', '#5a7d2a', '#5e548e'];

const DAY_MS = 86_400_000;
const dayNumber = (s) => {
  const d = parseDay(s);
  return d ? Math.round(d.getTime() / DAY_MS) : null;
};

// The period a chart spans: the earliest of `days` up to `last` (or the latest of `days`).
function period(days, last) {
  const nums = days.map(dayNumber).filter((n) => n !== null);
  const to = Math.max(...nums, dayNumber(last) ?? -Infinity);
  const from = Math.min(...nums, to);
  if (!Number.isFinite(from) || !Number.isFinite(to)) return null;
  return { from, to: Math.max(to, from + 1) };
}

const pct = (p, day) => Math.min(100, Math.max(0, ((dayNumber(day) - p.from) / (p.to - p.from)) * 100));
const style = (o) => Object.entries(o).map(([k, v]) => `${k}:${v}`).join(';');

// Year marks along the period: a line and the year at each 1 January inside it.
function yearTicks(p) {
  const first = new Date(p.from * DAY_MS).getUTCFullYear();
  const last = new Date(p.to * DAY_MS).getUTCFullYear();
  const ticks = [];
  const every = last - first > 8 ? 2 : 1; // at most about eight labels on a phone
  for (let y = first + 1; y <= last; y += 1) {
    const at = pct(p, `${y}-01-01`);
    if (at <= 0 || at >= 100) continue;
    ticks.push(h('span', { class: `t-tick${(y - first) % every ? ' minor' : ''}`, style: `left:${at.toFixed(2)}%` }, h('span', { class: 't-year', text: String(y) })));
  }
  return h('div', { class: 't-axis', 'aria-hidden': 'true' }, ticks);
}

function figure(title, summary, drawing, legend) {
  return h('figure', { class: 'tchart' },
    h('figcaption', { text: title }),
    h('div', { class: 't-drawing', role: 'img', 'aria-label': `${title}. ${summary}` }, drawing),
    legend && legend.length ? h('ul', { class: 't-legend' }, legend.map(([text, colour, cls]) => h('li', {}, h('span', { class: `t-key${cls ? ` ${cls}` : ''}`, style: colour ? `background:${colour}` : null }), text))) : null);
}

// ---- the stages of the initiatives ---------------------------------------------------------

function stageSpans(i, to) {
  const stages = (i.stages || []).slice().sort((a, b) => (a.src.date < b.src.date ? -1 : 1));
  const end = i.handed_over ? i.handed_over.src.date : i.stopped ? i.stopped.src.date : to;
  const start = i.started ? i.started.date : stages.length ? stages[0].src.date : end;
  return stages.map((s, k) => {
    const from = s.src.date < start ? start : s.src.date;
    const next = stages[k + 1] ? stages[k + 1].src.date : end;
    return { stage: s.stage, label: s.label, from, until: next < end ? next : end };
  }).filter((s) => s.until >= s.from);
}

export function initiatives(d, day) {
  const list = (d.initiatives || []).filter((i) => i.stages && i.stages.length);
  if (!list.length) return null;
  const dates = list.flatMap((i) => [i.started && i.started.date, ...(i.stages || []).map((s) => s.src.date)]).filter(Boolean);
  const p = period(dates, day);
  if (!p) return null;
  const to = new Date(p.to * DAY_MS).toISOString().slice(0, 10);
  const order = vocabulary('initiative_stage').map((v) => v.id);
  const colour = (stage) => PALETTE[Math.max(0, order.indexOf(stage)) % PALETTE.length];
  const first = (i) => (i.started ? i.started.date : i.stages[0].src.date);
  const rows = list.slice().sort((a, b) => (first(a) < first(b) ? -1 : first(a) > first(b) ? 1 : a.name.localeCompare(b.name, 'nl'))).map((i) => {
    const spans = stageSpans(i, to);
    const ended = i.handed_over || i.stopped;
    return h('li', { class: 't-row', 'data-initiative': i.id },
      h('span', { class: 't-name', text: i.name }),
      h('span', { class: 't-track' },
        spans.map((s) => h('span', { class: 't-seg', title: `${s.label} ${fmtDay(s.from)} – ${fmtDay(s.until)}`, style: style({ left: `${pct(p, s.from).toFixed(2)}%`, width: `${Math.max(0.6, pct(p, s.until) - pct(p, s.from)).toFixed(2)}%`, background: colour(s.stage) }) })),
        ended ? h('span', { class: `t-end ${i.handed_over ? 'handed' : 'stopped'}`, title: `${i.status_label || ''} ${fmtDay(ended.src.date)}`, style: `left:${pct(p, ended.src.date).toFixed(2)}%` }) : null));
  });
  const legend = order.map((id) => [label('initiative_stage', id), colour(id)]);
  legend.push([t('chart.ended'), null, 'end']);
  const summary = t('chart.stages.summary', { n: list.length, a: fmtDay(new Date(p.from * DAY_MS).toISOString().slice(0, 10)), b: fmtDay(to) });
  const axis = h('div', { class: 't-row' }, h('span', { class: 't-name' }), yearTicks(p));
  return figure(t('chart.stages'), summary, [axis, h('ol', { class: 't-rows plain' }, rows)], legend);
}

// ---- the role over time --------------------------------------------------------------------

export function role(d) {
  const r = d.roles && d.roles[0];
  if (!r || !r.timeline || !r.timeline.length) return null;
  const entries = r.timeline.slice().sort((a, b) => (a.effective < b.effective ? -1 : 1));
  const capacity = [];
  for (const e of entries) {
    const c = (e.changes || []).find((x) => x.field === 'capacity_fte');
    if (c && Number.isFinite(Number(c.value))) capacity.push({ day: e.effective, fte: Number(c.value) });
  }
  const methods = entries.filter((e) => e.aspect);
  const p = period(entries.map((e) => e.effective), d.day);
  if (!p || (!capacity.length && !methods.length)) return null;
  const max = Math.max(1, ...capacity.map((c) => c.fte));
  const y = (fte) => 100 - (fte / max) * 88; // room above the highest step for its label
  let path = '';
  capacity.forEach((c, k) => {
    const x = pct(p, c.day);
    path += k ? ` L${x.toFixed(2)},${y(capacity[k - 1].fte).toFixed(2)} L${x.toFixed(2)},${y(c.fte).toFixed(2)}` : `M${x.toFixed(2)},${y(c.fte).toFixed(2)}`;
  });
  if (capacity.length) path += ` L100,${y(capacity[capacity.length - 1].fte).toFixed(2)}`;
  const line = h('span', { class: 't-line' });
  line.innerHTML = `<svg viewBox="0 0 100 100" preserveAspectRatio="none" aria-hidden="true" focusable="false"><path d="${path}" fill="none" stroke="${PALETTE[0]}" stroke-width="2.5" vector-effect="non-scaling-stroke"/></svg>`;
  const fte = (n) => `${n.toLocaleString(S.lang === 'en' ? 'en-GB' : 'nl-NL', { maximumFractionDigits: 1 })} ${t('chart.fte')}`;
  const labels = capacity.map((c) => h('span', { class: 't-value', style: style({ left: `${Math.min(pct(p, c.day), 82).toFixed(2)}%`, top: `${y(c.fte).toFixed(2)}%` }), text: fte(c.fte) }));
  // Numbered marks under the axis; one close to the one before goes a line lower (three lines).
  const lastX = [-100, -100, -100];
  const marks = methods.map((m, k) => {
    const x = pct(p, m.effective);
    let line = lastX.findIndex((l) => x - l >= 6);
    if (line < 0) line = k % lastX.length;
    lastX[line] = x;
    return h('span', { class: 't-mark', title: `${fmtDay(m.effective)}: ${m.aspect}`, style: style({ left: `${x.toFixed(2)}%`, top: `${(0.3 + line * 1.4).toFixed(1)}rem` }) }, h('span', { text: String(k + 1) }));
  });
  const markLines = 1 + Math.max(0, ...marks.map((el) => Math.round((parseFloat(el.style.top) - 0.3) / 1.4)));
  const summary = t('chart.role.summary', { a: capacity.length ? fte(capacity[0].fte) : '–', b: capacity.length ? fte(capacity[capacity.length - 1].fte) : '–', n: methods.length });
  const drawing = [h('div', { class: 't-plot' }, line, labels), yearTicks(p), h('div', { class: 't-marks', style: `height:${(0.4 + markLines * 1.4).toFixed(1)}rem` }, marks)];
  const fig = figure(`${roleTitle(r)}: ${t('chart.role')}`, summary, drawing, [[t('chart.capacity'), PALETTE[0], 'line'], [t('chart.methods'), null, 'mark']]);
  if (methods.length) {
    fig.append(h('ol', { class: 't-events' }, methods.map((m) => h('li', {}, h('span', { class: 'meta', text: `${fmtDay(m.effective)}: ` }), m.aspect))));
  }
  return fig;
}

// ---- signals per theme and year ------------------------------------------------------------

export function signals(d, day) {
  const themes = (d.themes || []).filter((x) => x.total);
  if (!themes.length) return null;
  const p = period(themes.flatMap((x) => x.months.map((m) => `${m.month}-01`)), day);
  if (!p) return null;
  const firstYear = new Date(p.from * DAY_MS).getUTCFullYear();
  const lastYear = new Date(p.to * DAY_MS).getUTCFullYear();
  const years = [];
  for (let yr = firstYear; yr <= lastYear && years.length < 100; yr += 1) years.push(yr);
  const perYear = (x, yr) => x.months.filter((m) => m.month.startsWith(`${yr}-`)).reduce((n, m) => n + m.count, 0);
  const totals = years.map((yr) => themes.reduce((n, x) => n + perYear(x, yr), 0));
  const max = Math.max(1, ...totals);
  const colour = (k) => PALETTE[k % PALETTE.length];
  const rows = years.map((yr, yi) => h('li', { class: 't-row t-year-row' },
    h('span', { class: 't-name', text: String(yr) }),
    h('span', { class: 't-track t-bars' },
      themes.map((x, k) => {
        const n = perYear(x, yr);
        return n ? h('span', { class: 't-seg', title: `${x.theme} ${yr}: ${n}`, style: style({ width: `${((n / max) * 85).toFixed(2)}%`, background: colour(k) }) }) : null;
      }),
      h('span', { class: 't-total', text: String(totals[yi]) }))));
  const summary = t('chart.signals.summary', { n: d.total, a: firstYear, b: lastYear });
  return figure(t('chart.signals'), summary, h('ol', { class: 't-rows plain' }, rows), themes.map((x, k) => [`${x.theme} (${x.total})`, colour(k)]));
}
