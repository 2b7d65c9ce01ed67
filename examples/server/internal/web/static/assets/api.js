// The REST client: JSON in and out, the CSRF token on every unsafe
// request, RFC 9457 problems turned into ApiError.

let csrf = '';
export function setCSRF(token) { csrf = token || ''; }

export class ApiError extends Error {
  constructor(problem) {
    super(problem.detail || problem.title || 'Request failed');
    this.problem = problem;
    this.status = problem.status;
  }
  // field returns the reason given for one input field, if any.
  field(name) {
    return (this.problem.errors || []).find(e => e.field === name)?.reason;
  }
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

export async function api(method, path, body, { raw = false, keepalive = false } = {}) {
  const opts = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin', keepalive };
  if (method !== 'GET' && method !== 'HEAD') opts.headers['X-CSRF-Token'] = csrf;
  if (body instanceof FormData) opts.body = body;
  else if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await res.json() : await res.text();
  if (!res.ok) {
    const problem = typeof data === 'object' ? data : { status: res.status, title: res.statusText, detail: String(data) };
    const err = new ApiError(problem);
    if (res.status === 401 && path !== '/inbox/session') onUnauthorized(err);
    throw err;
  }
  return raw ? res : data;
}

export const get = (p) => api('GET', p);
export const post = (p, b) => api('POST', p, b ?? {});
export const patch = (p, b) => api('PATCH', p, b);
export const put = (p, b) => api('PUT', p, b);
export const del = (p) => api('DELETE', p);

// qs builds a query string from an object, skipping empty values.
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== undefined && v !== null && v !== false) u.set(k, v);
  const s = u.toString();
  return s ? '?' + s : '';
}

// events opens the Server-Sent Events stream; the browser reconnects by
// itself, and onOpen lets the page resynchronise after a gap.
export function events(handlers) {
  const es = new EventSource('/inbox/events');
  const types = ['message.received', 'message.created', 'message.sent', 'message.delayed', 'message.failed', 'message.quarantined', 'conversation.created',
    'conversation.updated', 'draft.ready', 'followup.due', 'notification', 'sync.finished', 'folder.changed', 'presence', 'reader.state', 'resync', 'session.ended'];
  for (const t of types) es.addEventListener(t, (e) => handlers.event?.(t, JSON.parse(e.data || '{}')));
  es.onopen = () => handlers.open?.();
  es.onerror = () => handlers.error?.();
  return es;
}
