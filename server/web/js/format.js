// Days and times: shown in the reader's language, sent to the server as it expects them.
import { S } from './state.js';

function locale() {
  return S.lang === 'en' ? 'en-GB' : 'nl-NL';
}

// 'YYYY-MM-DD' as a local day (not UTC midnight, which would shift it west of Greenwich).
export function parseDay(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s || '');
  return m ? new Date(+m[1], +m[2] - 1, +m[3]) : null;
}
export function fmtDay(s) {
  const d = parseDay(s);
  return d ? d.toLocaleDateString(locale(), { day: 'numeric', month: 'short', year: 'numeric' }) : '';
}
export function fmtMonth(s) {
  const d = parseDay(`${s}-01`);
  return d ? d.toLocaleDateString(locale(), { month: 'short', year: 'numeric' }) : s;
}
export function fmtDateTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso || '';
  return d.toLocaleString(locale(), { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}
export function fmtTime(d) {
  return d.toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' });
}
export const pad = (n) => String(n).padStart(2, '0');
// A Date as the value of <input type="datetime-local">, in local time.
export function localInputValue(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
export function todayValue() {
  const d = new Date();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
// RFC 3339 with the local offset, as the server expects: 2018-01-01T09:00:00+01:00.
export function rfc3339(d) {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const a = Math.abs(off);
  return `${localInputValue(d)}:${pad(d.getSeconds())}${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}


// Every month from `first` to `last` ('YYYY-MM'), so that bars stand on a time axis.
export function monthAxis(first, last) {
  const out = [];
  if (!first || !last) return out;
  let [y, m] = first.split('-').map(Number);
  const [ly, lm] = last.split('-').map(Number);
  while ((y < ly || (y === ly && m <= lm)) && out.length < 1200) {
    out.push(`${y}-${pad(m)}`);
    m += 1;
    if (m > 12) { m = 1; y += 1; }
  }
  return out;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
