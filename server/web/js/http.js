// Requests to parlog's API with the bearer token, and the two kinds of failure a caller tells
// apart: the server refused (ApiError, with its status and the problem's detail) or could not be
// reached (NetError: offline, or the connection dropped).
import { S } from './state.js';
import { t } from './texts.js';

export const API = '/api/v1';

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail || `HTTP ${status}`);
    this.status = status;
  }
}
export class NetError extends Error {}

// What a refused token does (sign out); set by main.js, so that this module needs no session.
let unauthorizedHook = () => {};
export function onUnauthorized(fn) {
  unauthorizedHook = fn;
}
export function unauthorized() {
  unauthorizedHook();
}

export async function request(path, opts = {}) {
  const headers = Object.assign({ Authorization: `Bearer ${S.token}` }, opts.headers || {});
  let res;
  try {
    res = await fetch(API + path, Object.assign({}, opts, { headers, cache: 'no-store' }));
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new NetError(e.message);
  }
  if (!res.ok) {
    let detail = '';
    try {
      const body = await res.text();
      try {
        detail = JSON.parse(body).detail || body;
      } catch (_) {
        detail = body;
      }
    } catch (_) { /* the body is lost with the connection */ }
    if (res.status === 401) unauthorized();
    throw new ApiError(res.status, detail);
  }
  return res;
}
export const getJson = async (path, opts) => (await request(path, opts)).json();
export const query = (o) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
};

export function errorText(e) {
  if (e instanceof NetError) return e.message === t('err.notkept') ? e.message : t('err.offline');
  if (e instanceof ApiError && e.status === 403) return t('err.forbidden', { m: e.message });
  return t('err.generic', { m: e.message });
}

// GET /api/v1/me says who the token belongs to and what it may do.
export async function whoAmI() {
  let res;
  try {
    res = await fetch(`${API}/me`, { headers: { Authorization: `Bearer ${S.token}` }, cache: 'no-store' });
  } catch (e) {
    throw new NetError(e.message);
  }
  if (!res.ok) throw new ApiError(res.status, res.status === 401 ? 'bad token' : `GET /me: ${res.status}`);
  const me = await res.json();
  return { participant: me.participant, role: me.role };
}
