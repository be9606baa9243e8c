// Requests to parlog's API with the bearer token, and the two kinds of failure a caller tells
// apart: the server refused (ApiError, with its status and the problem's detail) or could not be
// reached (NetError: offline, or the connection dropped). A server holds many studies: what
// belongs to one (its log, views, feed, tokens) is under /api/v1/studies/{slug}/, and studyPath
// below is the one place that prefix is made.
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

// What a 404 from a study's route does (set by main.js): the server answers a study the token no
// longer reaches exactly as one that does not exist, so the page asks its list of studies again.
let studyMissingHook = () => {};
export function onStudyMissing(fn) {
  studyMissingHook = fn;
}

// The path of a study's resource below API: `/studies/{slug}{path}`. Without a slug, the study
// the page shows; the outbox passes the study each event was written in.
export function studyPath(path, slug = S.study && S.study.slug) {
  if (!slug) throw new Error(`no study chosen for ${path}`);
  return `/studies/${encodeURIComponent(slug)}${path}`;
}

// The study a path from studyPath is in, or null for the server's global routes.
function studyOf(path) {
  const m = /^\/studies\/([^/?]+)\//.exec(path);
  return m ? decodeURIComponent(m[1]) : null;
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
    if (res.status === 404 && studyOf(path)) studyMissingHook(studyOf(path));
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

// Who the token belongs to, and the studies it reaches: GET /me and GET /studies, read with
// plain fetch so that a refused token at sign-in is an answer, not an expired session.
async function signInJson(path) {
  let res;
  try {
    res = await fetch(API + path, { headers: { Authorization: `Bearer ${S.token}` }, cache: 'no-store' });
  } catch (e) {
    throw new NetError(e.message);
  }
  if (!res.ok) throw new ApiError(res.status, res.status === 401 ? 'bad token' : `GET ${path}: ${res.status}`);
  return res.json();
}

// {participant, instituteAdmin, studies: [{slug, name, municipality, role, archived}]}; an
// institute admin is also told of studies it has no role in (role null).
export async function whoAmI() {
  const [me, list] = await Promise.all([signInJson('/me'), signInJson('/studies')]);
  return { participant: me.participant, instituteAdmin: !!(me.institute_admin || list.institute_admin), studies: studyList(list) };
}

// The studies the token reaches, as GET /studies says, in the server's order.
export async function listStudies() {
  return studyList(await getJson('/studies'));
}

function studyList(body) {
  return (body.studies || []).map((s) => ({ slug: s.slug, name: s.name || s.slug, municipality: s.municipality || '', role: s.role || null, archived: !!s.archived }));
}
