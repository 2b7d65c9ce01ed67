// The inbox: folders sidebar, conversation list with filters, search,
// sort and pagination, and the thread pane with every agent action.
import { get, post, put, api, qs, ApiError } from './api.js';
import { h, $, $$, clear, preserveInputs, icon, ago, fullDate, initials, hue, phone, contactName, debounce, statusLabels, sourceLabels } from './util.js';

export const state = {
  me: null, tenant: null, features: {},
  folders: [], unfiledUnread: 0, totalUnread: 0, employees: [],
  // The default view is the work queue: open work, most urgent first.
  filters: { view: 'open', folder: '', status: '', source: '', assignee: '', q: '', sort: '', unread: false },
  checked: new Set(),
  list: [], cursor: '', loading: false,
  selected: null, detail: null,
  notifications: [],
};

const toast = (...a) => window.inboxToast(...a);

// What an agent typed survives live re-renders: preserveInputs keeps the
// value of every input marked dirty.
document.addEventListener('input', (e) => { if (e.target.id && e.target.dataset) e.target.dataset.dirty = '1'; });

// loadComposerHelpers fetches the team's saved replies and the agent's
// signature for the composer.
export async function loadComposerHelpers() {
  try {
    const [saved, sig] = await Promise.all([get('/inbox/saved-replies'), get('/inbox/signature')]);
    state.savedReplies = saved.items || [];
    state.signature = sig.signature || '';
    applyChannel();
  } catch { /* the composer works without them */ }
}

export async function initInbox() {
  const [folders, emps] = await Promise.all([get('/inbox/folders'), get('/inbox/employees')]);
  loadComposerHelpers();
  applyFolders(folders);
  state.employees = emps.items;
  renderSidebar();
  renderFilters();
  if (!state.selected) renderPlaceholder();
  await refreshInbox();
}

function renderPlaceholder() {
  clear($('#thread-pane'), h('div', { class: 'placeholder' },
    h('div', { class: 'empty-art' }, '✦'),
    h('h2', {}, 'Pick a conversation'),
    h('p', {}, state.totalUnread ? `${state.totalUnread} unread conversation${state.totalUnread > 1 ? 's' : ''} waiting.` : 'Everything is read. Nice work!'),
    h('div', { class: 'keys-hint' }, h('span', {}, h('kbd', {}, 'j'), ' ', h('kbd', {}, 'k'), ' move'), h('span', {}, h('kbd', {}, 'r'), ' reply'),
      h('span', {}, h('kbd', {}, 'e'), ' resolve'), h('span', {}, h('kbd', {}, '/'), ' search'), h('span', {}, h('kbd', {}, '?'), ' help'))));
}

function applyFolders(f) {
  state.folders = f.items;
  state.unfiledUnread = f.unfiled_unread;
  state.totalUnread = f.total_unread;
  document.title = (f.total_unread ? `(${f.total_unread}) ` : '') + 'Inbox — ' + (state.tenant?.name || 'inboxkit');
}

// transitions mirrors inbox.CanTransition: the statuses an agent may set.
const transitions = {
  new: ['open', 'urgent', 'resolved', 'archived', 'spam'], open: ['new', 'urgent', 'resolved', 'archived', 'spam'],
  urgent: ['open', 'resolved', 'archived', 'spam'], resolved: ['open', 'urgent', 'archived', 'spam'],
  archived: ['open', 'resolved'], spam: ['new', 'open', 'archived'],
};

const folderName = (id) => state.folders.find(f => f.id === id)?.name || '';
export const employeeName = (id) => state.employees.find(e => e.id === id)?.name || (id?.startsWith('token:') ? 'an API client' : id);

// ---------- sidebar ----------

function renderSidebar() {
  const f = state.filters;
  const item = (key, label, count, ic, apply) => h('button', {
    class: ['side-item', f.view === key ? 'active' : ''], dataset: { view: key },
    onclick: () => { apply(); f.view = key; renderSidebar(); renderFilters(); refreshInbox(); document.body.classList.remove('drawer-open'); },
  }, ic, h('span', { class: 'side-label' }, label), count ? h('span', { class: 'badge' }, count) : null);
  const reset = () => { f.folder = ''; f.assignee = ''; };
  clear($('#sidebar'),
    h('div', { class: 'side-section' },
      item('open', 'Open work', null, icon('inbox'), reset),
      item('all', 'All conversations', state.totalUnread, icon('inbox'), reset),
      item('mine', 'Assigned to me', null, icon('user'), () => { reset(); f.assignee = 'me'; }),
      item('unassigned', 'Unassigned', null, icon('user'), () => { reset(); f.assignee = '-'; }),
      item('unfiled', 'Unfiled', state.unfiledUnread, icon('folder'), () => { reset(); f.folder = '-'; })),
    h('div', { class: 'side-title' }, 'Folders'),
    h('div', { class: 'side-section', id: 'folder-list' },
      state.folders.map(fo => {
        const el = item('folder:' + fo.id, fo.name, fo.unread, h('span', { class: 'dot', style: `--h:${hue(fo.name)}` }), () => { reset(); f.folder = fo.id; });
        el.addEventListener('dragover', (e) => { e.preventDefault(); el.classList.add('drop'); });
        el.addEventListener('dragleave', () => el.classList.remove('drop'));
        el.addEventListener('drop', (e) => {
          e.preventDefault(); el.classList.remove('drop');
          const id = e.dataTransfer.getData('text/conversation');
          if (id) moveTo(id, fo.id);
        });
        return el;
      })),
    h('div', { class: 'side-foot muted small' }, state.features.ai ? 'AI: on' : 'AI: off · rules classify'));
}

async function moveTo(id, folderId) {
  const c = state.list.find(x => x.id === id);
  try {
    await post(`/inbox/conversations/${id}/move`, { folder_id: folderId, version: c?.version || 0 });
    toast(`Moved to ${folderName(folderId)}`);
    refreshAll();
  } catch (e) { problemToast(e); }
}

// ---------- filters ----------

function select(id, label, value, options, onchange) {
  return h('label', { class: 'filter' }, h('span', { class: 'sr-only' }, label),
    h('select', { id, 'aria-label': label, onchange: (e) => onchange(e.target.value) },
      options.map(([v, t]) => h('option', { value: v, selected: v === value }, t))));
}

function renderFilters() {
  const f = state.filters;
  const set = (k) => (v) => { f[k] = v; refreshInbox(); };
  clear($('#filters'),
    h('div', { class: 'filters-row' },
      select('filter-status', 'Status', f.status, [['', 'Any status'], ...Object.entries(statusLabels)], set('status')),
      select('filter-source', 'Channel', f.source, [['', 'Any channel'], ...Object.entries(sourceLabels)], set('source')),
      select('filter-assignee', 'Assignee', f.assignee, [['', 'Anyone'], ['me', 'Me'], ['-', 'Unassigned'], ...state.employees.map(e => [e.id, e.name])], (v) => { f.assignee = v; f.view = v === 'me' ? 'mine' : f.view; refreshInbox(); }),
      select('filter-sort', 'Sort', f.sort, [['', 'Default order'], ['queue', 'Work queue'], ['newest', 'Newest'], ['oldest', 'Oldest'], ['priority', 'Priority'], ['status', 'Status']], set('sort')),
      h('label', { class: 'toggle' }, h('input', { type: 'checkbox', id: 'filter-unread', checked: f.unread, onchange: (e) => { f.unread = e.target.checked; refreshInbox(); } }), 'Unread')),
    h('div', { class: 'list-head' },
      h('label', { class: 'row-check' }, h('input', { type: 'checkbox', id: 'select-all', 'aria-label': 'Select all shown', onchange: (e) => {
        state.checked = new Set(e.target.checked ? state.list.map(c => c.id) : []);
        renderList(true);
      } })),
      h('span', { id: 'list-title' }, listTitle()), h('span', { id: 'list-count', class: 'muted small' })),
    h('div', { id: 'bulk-bar', class: 'bulk-bar', hidden: true }));
}

function listTitle() {
  const f = state.filters;
  if (f.q) return `Results for “${f.q}”`;
  if (f.folder === '-') return 'Unfiled';
  if (f.folder) return folderName(f.folder);
  if (f.view === 'mine') return 'Assigned to me';
  if (f.view === 'unassigned') return 'Unassigned';
  if (f.view === 'open') return 'Open work';
  return 'All conversations';
}

// listParams are the list's filters as query parameters. Open work is
// sorted as a queue (priority, then the longest waiting); a search looks
// through every conversation.
function listParams() {
  const f = state.filters;
  const open = f.view === 'open' && !f.q;
  return { view: open ? 'open' : '', folder: f.folder, status: f.status, source: f.source, assignee: f.assignee, q: f.q,
    sort: f.sort || (open ? 'queue' : ''), unread: f.unread ? 1 : '' };
}

// ---------- list ----------

let listSeq = 0;

export async function refreshInbox({ keepScroll = false } = {}) {
  const seq = ++listSeq;
  const f = state.filters;
  const params = { ...listParams(), limit: 50, total: 1 };
  try {
    const page = await get('/inbox/conversations' + qs(params));
    if (seq !== listSeq) return;
    state.list = page.items;
    state.cursor = page.next_cursor;
    state.total = page.total;
    state.totalExact = page.total_exact;
    const shown = new Set(page.items.map(c => c.id));
    for (const id of state.checked) if (!shown.has(id)) state.checked.delete(id);
    const title = $('#list-title');
    if (title) title.textContent = listTitle();
    renderList(keepScroll);
  } catch (e) { problemToast(e); }
}

async function loadMore() {
  if (!state.cursor || state.loading) return;
  state.loading = true;
  const f = state.filters;
  try {
    const page = await get('/inbox/conversations' + qs({ ...listParams(), limit: 50, cursor: state.cursor }));
    state.list = state.list.concat(page.items);
    state.cursor = page.next_cursor;
    renderList(true);
  } catch (e) { problemToast(e); } finally { state.loading = false; }
}

function renderList(keepScroll) {
  const list = $('#list');
  const top = list.scrollTop;
  clear(list, state.list.length === 0 ? h('div', { class: 'empty' }, h('div', { class: 'empty-art' }, '✦'), h('p', {}, state.filters.q ? 'No conversation matches your search.' : 'Nothing here. Enjoy the calm.')) : state.list.map(row));
  if (state.cursor) {
    const more = h('button', { class: 'btn ghost wide more', onclick: loadMore }, 'Load more');
    list.append(more);
    new IntersectionObserver((entries, obs) => { if (entries[0].isIntersecting) { obs.disconnect(); loadMore(); } }, { root: list }).observe(more);
  }
  if (keepScroll) list.scrollTop = top;
  const count = $('#list-count');
  if (count) count.textContent = typeof state.total === 'number'
    ? `${state.totalExact === false ? 'about ' : ''}${state.total} conversation${state.total === 1 ? '' : 's'}`
    : state.list.length + (state.cursor ? '+' : '') + ' shown';
  renderBulk();
}

// ---------- selecting many ----------

function toggleChecked(id, on) {
  if (on) state.checked.add(id); else state.checked.delete(id);
  $(`.row[data-id="${id}"]`)?.classList.toggle('checked', on);
  renderBulk();
}

const snoozeChoices = [['', 'Snooze…'], ['3h', 'For 3 hours'], ['tomorrow', 'Until tomorrow 9:00'], ['monday', 'Until Monday 9:00'], ['custom', 'Pick a date and time…']];

// snoozeUntil turns a snooze choice into a time.
function snoozeUntil(choice) {
  const d = new Date();
  if (choice === '3h') return new Date(Date.now() + 3 * 3600e3);
  if (choice === 'tomorrow') { d.setDate(d.getDate() + 1); d.setHours(9, 0, 0, 0); return d; }
  if (choice === 'monday') { d.setDate(d.getDate() + ((8 - d.getDay()) % 7 || 7)); d.setHours(9, 0, 0, 0); return d; }
  return null;
}

function renderBulk() {
  const bar = $('#bulk-bar');
  const all = $('#select-all');
  const n = state.checked.size;
  if (all) { all.checked = n > 0 && n === state.list.length; all.indeterminate = n > 0 && n < state.list.length; }
  if (!bar) return;
  bar.hidden = n === 0;
  if (!n) { bar.replaceChildren(); return; }
  const pick = (id, label, options, run) => h('select', { id, 'aria-label': label, onchange: (e) => { const v = e.target.value; e.target.value = '\u0000'; if (v !== '\u0000') run(v); } },
    h('option', { value: '\u0000' }, label), options.map(([v, t]) => h('option', { value: v }, t)));
  clear(bar,
    h('strong', { id: 'bulk-count' }, `${n} selected`),
    h('button', { class: 'btn small success', id: 'bulk-resolve', onclick: () => bulk('resolve', {}, 'resolved') }, icon('check', 13), ' Resolve'),
    pick('bulk-assign', 'Assign…', [['me', 'To me'], ['', 'Nobody'], ...state.employees.map(e => [e.id, e.name])], (v) => bulk('assign', { assignee: v }, v === '' ? 'unassigned' : `assigned to ${v === 'me' ? 'you' : employeeName(v)}`)),
    pick('bulk-move', 'Move to…', [['', 'Unfiled'], ...state.folders.map(f => [f.id, f.name])], (v) => bulk('move', { folder_id: v }, `moved to ${folderName(v) || 'Unfiled'}`)),
    pick('bulk-snooze', 'Snooze…', snoozeChoices.slice(1, 4), (v) => bulk('snooze', { until: snoozeUntil(v).toISOString() }, 'snoozed')),
    h('button', { class: 'btn small ghost', id: 'bulk-unread', onclick: () => bulk('unread', {}, 'marked as unread') }, 'Mark unread'),
    h('button', { class: 'link small', id: 'bulk-clear', onclick: () => { state.checked.clear(); renderList(true); } }, 'Clear'));
}

async function bulk(action, extra, done) {
  const ids = [...state.checked];
  try {
    const res = await post('/inbox/conversations/bulk', { action, conversation_ids: ids, ...extra });
    const n = res.done;
    toast(`${n} conversation${n === 1 ? '' : 's'} ${done}` + (res.failed ? ` · ${res.failed} could not be changed` : ''), { kind: res.failed ? 'warn' : 'info' });
    state.checked.clear();
    refreshAll();
  } catch (e) { problemToast(e); }
}

// snippet shows where a search matched, the matched words marked.
function snippet(sn) {
  const chars = Array.from(sn.text || '');
  const parts = [];
  let at = 0;
  for (const { start, end } of [...(sn.highlights || [])].sort((a, b) => a.start - b.start)) {
    if (start < at || end > chars.length) continue;
    parts.push(chars.slice(at, start).join(''), h('mark', {}, chars.slice(start, end).join('')));
    at = end;
  }
  parts.push(chars.slice(at).join(''));
  return h('div', { class: ['row-snippet', 'small'] }, sn.in === 'note' ? h('span', { class: 'pill note-pill' }, 'note') : null, ' ', parts);
}

const snoozed = (c) => c.snoozed_until && new Date(c.snoozed_until) > Date.now();

function avatar(c, size = '') {
  const name = contactName(c.contact);
  return h('span', { class: ['avatar', size], style: `--h:${hue(c.contact_id || name)}` }, initials(name));
}

function row(c) {
  const name = contactName(c.contact);
  const checked = state.checked.has(c.id);
  return h('div', {
    class: ['row', c.unread ? 'unread' : '', c.id === state.selected ? 'selected' : '', checked ? 'checked' : '', 'st-' + c.status],
    role: 'option', tabindex: 0, 'aria-selected': c.id === state.selected ? 'true' : 'false', dataset: { id: c.id },
    draggable: 'true', ondragstart: (e) => e.dataTransfer.setData('text/conversation', c.id),
    onclick: () => openConversation(c.id), onkeydown: (e) => { if (e.key === 'Enter') openConversation(c.id); },
  },
  h('label', { class: 'row-check', onclick: (e) => e.stopPropagation() },
    h('input', { type: 'checkbox', checked, 'aria-label': 'Select ' + name, onchange: (e) => toggleChecked(c.id, e.target.checked) })),
  avatar(c),
  h('div', { class: 'row-main' },
    h('div', { class: 'row-top' },
      h('span', { class: 'row-name' }, name),
      h('span', { class: 'src', title: sourceLabels[c.source] }, icon(c.source, 14)),
      h('span', { class: 'row-time', title: fullDate(c.last_message_at) }, ago(c.last_message_at))),
    h('div', { class: 'row-subject' }, c.subject || c.preview || '(no text)'),
    c.snippet && c.snippet.in !== 'subject' ? snippet(c.snippet) : null,
    h('div', { class: 'row-meta' },
      h('span', { class: ['pill', 'st', c.status] }, statusLabels[c.status]),
      (c.priority === 'high' || (c.priority === 'urgent' && c.status !== 'urgent')) ? h('span', { class: ['pill', 'prio', c.priority] }, c.priority === 'urgent' ? 'Urgent priority' : 'High priority') : null,
      snoozed(c) ? h('span', { class: 'pill snoozed', title: fullDate(c.snoozed_until) }, 'Snoozed') : null,
      c.folder_id ? h('span', { class: 'pill folder', style: `--h:${hue(folderName(c.folder_id))}` }, folderName(c.folder_id)) : null,
      c.pending_draft ? h('span', { class: 'pill draft' }, 'Draft') : null,
      (c.tags || []).slice(0, 2).map(t => h('span', { class: 'pill tag' }, '#' + t)),
      h('span', { class: 'grow' }),
      rowPresence(c.id),
      c.assignee ? h('span', { class: 'mini-avatar', title: 'Assigned to ' + employeeName(c.assignee), style: `--h:${hue(c.assignee)}` }, initials(employeeName(c.assignee))) : null,
      c.unread ? h('span', { class: 'unread-dot', title: c.unread + ' unread' }) : null)));
}

export function moveSelection(delta) {
  if (!state.list.length) return;
  let i = state.list.findIndex(c => c.id === state.selected);
  i = i < 0 ? 0 : Math.min(state.list.length - 1, Math.max(0, i + delta));
  openConversation(state.list[i].id);
  $(`.row[data-id="${state.list[i].id}"]`)?.scrollIntoView({ block: 'nearest' });
}

// ---------- thread ----------

let detailSeq = 0;

export async function openConversation(id) {
  const changed = state.selected !== id;
  if (changed) presenceMoved(state.selected, id);
  state.selected = id;
  $$('.row').forEach(r => { const on = r.dataset.id === id; r.classList.toggle('selected', on); r.setAttribute('aria-selected', on ? 'true' : 'false'); });
  document.body.classList.add('thread-open');
  if (location.hash !== '#/inbox/c/' + id) history.replaceState(null, '', '#/inbox/c/' + id);
  if (changed) { buildThreadPane(); showClient(false); }
  // Opening a conversation reads it, once its detail is in (whichever
  // load brings it: another refresh may overtake this one).
  state.markRead = id;
  await loadDetail();
}

async function markReadOnOpen(d) {
  const id = d.conversation.id;
  if (state.markRead !== id) return;
  state.markRead = null;
  if (d.conversation.unread === 0) return;
  // An action taken meanwhile waits for this, so it carries the version
  // the read produced.
  let done;
  state.reading = new Promise(r => { done = r; });
  try {
    const c = await post(`/inbox/conversations/${id}/read`, { read: true, version: d.conversation.version });
    d.conversation.version = c.version;
    d.conversation.unread = 0;
    const r = state.list.find(x => x.id === id);
    if (r) { r.unread = 0; r.version = c.version; }
    $(`.row[data-id="${id}"]`)?.classList.remove('unread');
    $(`.row[data-id="${id}"] .unread-dot`)?.remove();
    refreshFolders();
  } catch { /* a concurrent change; the next event refreshes */ } finally { done(); }
}

async function loadDetail() {
  const id = state.selected;
  if (!id) return;
  const seq = ++detailSeq;
  try {
    const d = await get(`/inbox/conversations/${id}`);
    if (seq !== detailSeq || id !== state.selected) return;
    state.detail = d;
    renderDetail();
    markReadOnOpen(d);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      clear($('#thread-pane'), h('div', { class: 'empty' }, h('p', {}, 'This conversation does not exist.')));
      return;
    }
    problemToast(e);
  }
}

function buildThreadPane() {
  clear($('#thread-pane'),
    h('div', { class: 'thread' },
      h('div', { id: 'thread-head', class: 'thread-head' }),
      h('div', { id: 'presence', class: 'presence', role: 'status', 'aria-live': 'polite', hidden: true }),
      // On narrow screens the client panel has no room beside the thread:
      // these tabs switch between the two.
      h('div', { class: 'pane-tabs', role: 'tablist', 'aria-label': 'Show' },
        h('button', { class: 'pane-tab active', id: 'tab-conversation', role: 'tab', onclick: () => showClient(false) }, 'Conversation'),
        h('button', { class: 'pane-tab', id: 'tab-client', role: 'tab', onclick: () => showClient(true) }, 'Client, tasks & follow-ups')),
      h('div', { class: 'thread-body' },
        h('div', { class: 'thread-main' },
          h('div', { id: 'timeline', class: 'timeline', 'aria-live': 'polite' }),
          composer()),
        h('aside', { id: 'client-panel', class: 'client-panel' }))));
}

function showClient(on) {
  document.body.classList.toggle('client-open', on);
  $('#tab-conversation')?.classList.toggle('active', !on);
  $('#tab-client')?.classList.toggle('active', on);
  $('#tab-conversation')?.setAttribute('aria-selected', String(!on));
  $('#tab-client')?.setAttribute('aria-selected', String(on));
}

function renderDetail() {
  const d = state.detail;
  const c = d.conversation;
  const name = contactName(d.contact);
  const cls = c.classification || {};
  preserveInputs($('#thread-head'), () => renderHead(d, c, name, cls));

  const items = [
    ...d.messages.map(m => ({ at: m.sent_at, el: message(m) })),
    ...d.notes.map(n => ({ at: n.created_at, el: note(n) })),
  ].sort((a, b) => new Date(a.at) - new Date(b.at));
  const tl = $('#timeline');
  const atBottom = tl.scrollHeight - tl.scrollTop - tl.clientHeight < 80;
  preserveInputs(tl, () => clear(tl, items.map(i => i.el), d.drafts.filter(x => x.status === 'pending').map(draftCard)));
  if (atBottom || tl.dataset.conv !== c.id) tl.scrollTop = tl.scrollHeight;
  tl.dataset.conv = c.id;
  renderClientPanel();
  applyChannel();
}

function renderHead(d, c, name, cls) {
  clear($('#thread-head'),
    h('div', { class: 'head-row' },
      h('button', { class: 'icon-btn only-phone', 'aria-label': 'Back to list', onclick: () => { document.body.classList.remove('thread-open'); presenceMoved(state.selected, null); state.selected = null; history.replaceState(null, '', '#/inbox'); renderPlaceholder(); $$('.row.selected').forEach(r => r.classList.remove('selected')); } }, icon('back', 20)),
      avatar(c, 'lg'),
      h('div', { class: 'head-title' },
        h('h2', { id: 'thread-subject' }, c.subject || `${sourceLabels[c.source]} with ${name}`),
        h('div', { class: 'muted small' }, icon(c.source, 13), ' ', sourceLabels[c.source], ' · ', name,
          d.contact.emails?.[0] ? ' · ' + d.contact.emails[0] : '', d.contact.phones?.[0] ? ' · ' + phone(d.contact.phones[0]) : '')),
      h('button', { class: 'icon-btn only-phone', id: 'controls-toggle', 'aria-label': 'Status, assignee, folder and more', 'aria-expanded': String(document.body.classList.contains('controls-open')),
        onclick: (e) => { const on = document.body.classList.toggle('controls-open'); e.currentTarget.setAttribute('aria-expanded', String(on)); } }, '⋯'),
      h('button', { class: 'btn success', id: 'resolve-btn', disabled: c.status === 'resolved', onclick: resolveSelected, title: 'Resolve (e)' }, icon('check'), ' Resolve')),
    h('div', { class: 'head-controls' },
      control('Status', h('select', { id: 'status-select', onchange: (e) => act('status', { status: e.target.value }) },
        Object.entries(statusLabels).filter(([v]) => v === c.status || transitions[c.status]?.includes(v)).map(([v, t]) => h('option', { value: v, selected: v === c.status }, t)))),
      control('Assignee', h('select', { id: 'assign-select', onchange: (e) => act('assign', { assignee: e.target.value }) },
        h('option', { value: '' }, 'Unassigned'), state.employees.map(e => h('option', { value: e.id, selected: e.id === c.assignee }, e.name)))),
      control('Folder', h('select', { id: 'folder-select', onchange: (e) => act('move', { folder_id: e.target.value }) },
        h('option', { value: '' }, 'Unfiled'), state.folders.map(f => h('option', { value: f.id, selected: f.id === c.folder_id }, f.name)))),
      control('Tags', h('input', { id: 'tags-input', value: (c.tags || []).join(', '), placeholder: 'tag, tag', onchange: (e) => act('tags', { tags: e.target.value.split(',').map(t => t.trim()).filter(Boolean) }, 'PUT') })),
      control('Priority', h('select', { id: 'priority-select', onchange: (e) => act('priority', { priority: e.target.value }) },
        [['urgent', 'Urgent'], ['high', 'High'], ['normal', 'Normal'], ['low', 'Low']].map(([v, t]) => h('option', { value: v, selected: v === (c.priority || 'normal') }, t)))),
      control('Later', h('select', { id: 'snooze-select', disabled: !['new', 'open', 'urgent'].includes(c.status), onchange: (e) => snoozeSelected(e.target.value) },
        snoozeChoices.map(([v, t]) => h('option', { value: v }, t))))),
    h('div', { class: 'head-actions' },
      snoozed(c) ? h('span', { class: 'pill snoozed', id: 'snoozed-until' }, 'Snoozed until ' + fullDate(c.snoozed_until)) : null,
      snoozed(c) ? h('button', { class: 'link small', id: 'wake-btn', onclick: () => act('snooze', { until: null }) }, 'Bring back now') : null,
      h('span', { id: 'snooze-custom-box', hidden: true }, h('input', { type: 'datetime-local', id: 'snooze-custom' }),
        h('button', { class: 'btn small', id: 'snooze-apply', onclick: () => { const v = $('#snooze-custom').value; if (v) snoozeTo(new Date(v)); } }, 'Snooze')),
      h('span', { class: 'grow' }),
      h('button', { class: 'link small', id: 'unread-btn', onclick: markUnread }, 'Mark as unread')),
    cls.by ? h('div', { class: 'why small', title: state.me.role === 'admin' ? (cls.reason || '') : '' }, icon('spark', 13), ' ', filedBy(c, cls)) : null);
}

// filedBy says who filed the conversation, in words: the raw reason names
// rule fields and confidences, so only admins see it (as a tooltip).
function filedBy(c, cls) {
  const where = folderName(c.folder_id) || 'Unfiled';
  const sure = cls.confidence && cls.by !== 'rules' ? ` (${Math.round(cls.confidence * 100)}% sure)` : '';
  const intent = c.intent ? ` · about ${intentWords[c.intent] || c.intent}` : '';
  switch (cls.by) {
    case 'manual': {
      const who = /^moved by (.+)$/.exec(cls.reason || '')?.[1];
      return `Moved to ${where} by ${who ? employeeName(who) : 'hand'}${intent}`;
    }
    case 'rules': return `Filed in ${where} by the folder's rules${intent}`;
    case 'ai': return `Filed in ${where} by the AI${sure}${intent}`;
    default: return `Filed in ${where} automatically${sure}${intent}`;
  }
}

const intentWords = { question: 'a question', complaint: 'a complaint', order: 'an order', appointment: 'an appointment', invoice: 'an invoice or payment',
  cancellation: 'a cancellation', urgent: 'something urgent', spam: 'spam', other: 'something else' };

function control(label, input) {
  return h('label', { class: 'control' }, h('span', {}, label), input);
}

function message(m) {
  const out = m.direction === 'out';
  const who = out ? (m.author_id ? employeeName(m.author_id) : m.author === 'auto_reply' ? 'Auto-reply' : 'Maison Lumière') : (m.from.name || m.from.email || phone(m.from.phone));
  return h('article', { class: ['msg', out ? 'out' : 'in'], dataset: { id: m.id } },
    h('div', { class: 'msg-head' }, h('strong', {}, who), h('span', { class: 'muted small', title: fullDate(m.sent_at) }, ago(m.sent_at)),
      out && m.delivery ? h('span', { class: ['delivery', m.delivery], title: m.delivery_error || m.delivery }, m.delivery) : null,
      m.automated ? h('span', { class: 'pill' }, 'automated') : null),
    out && (m.cc?.length || m.bcc?.length) ? h('div', { class: 'msg-copies muted small' },
      m.cc?.length ? 'Cc: ' + m.cc.map(p => p.email).join(', ') : '', m.cc?.length && m.bcc?.length ? ' · ' : '',
      m.bcc?.length ? 'Bcc: ' + m.bcc.map(p => p.email).join(', ') : '') : null,
    h('div', { class: 'msg-text' }, m.text),
    m.template ? h('div', { class: 'msg-template muted small' }, `Sent as the approved template “${m.template.name}” (${m.template.locale})`) : null,
    m.attachments.length ? h('div', { class: 'atts' }, m.attachments.map(a => a.url
      ? h('a', { class: 'att', href: a.url, download: a.filename }, icon('clip', 13), a.filename, h('span', { class: 'muted small' }, ' ' + size(a.size)))
      : h('span', { class: 'att rejected', title: a.rejected }, icon('x', 13), a.filename))) : null,
    m.thread_reason && !out && threadReason(m.thread_reason) ? h('div', { class: 'thread-reason muted small' }, threadReason(m.thread_reason)) : null);
}

// threadReason says in words why a message joined its conversation (the
// engine's reason names headers and message ids).
function threadReason(r) {
  if (/^(in-reply-to|references|thread-index)/.test(r)) return 'Joined this conversation as a reply';
  if (r.startsWith('subject fallback')) return 'Joined this conversation: same sender and subject';
  if (r.includes('reopened')) return 'Reopened this conversation: same client and channel';
  if (r.startsWith('same contact and channel')) return 'Same client and channel as this conversation';
  if (r.startsWith('new conversation')) return 'Started this conversation';
  return '';
}

function size(n) { return n > 1e6 ? (n / 1e6).toFixed(1) + ' MB' : Math.max(1, Math.round(n / 1e3)) + ' kB'; }

function note(n) {
  return h('article', { class: 'note' }, h('div', { class: 'msg-head' }, icon('note', 13), h('strong', {}, employeeName(n.author)), h('span', { class: 'muted small' }, 'internal note · ' + ago(n.created_at))),
    h('div', { class: 'msg-text' }, n.body));
}

function draftCard(d) {
  const text = h('textarea', { class: 'draft-text', id: 'draft-text', rows: 6 }, d.text);
  return h('article', { class: 'draft', dataset: { id: d.id } },
    h('div', { class: 'msg-head' }, icon('spark', 14), h('strong', {}, 'Suggested reply'), h('span', { class: 'muted small' }, `confidence ${Math.round(d.confidence * 100)}% · waiting for approval`)),
    text,
    d.citations.length ? h('div', { class: 'citations small muted' }, 'Sources: ', d.citations.map(c => h('span', { class: 'pill', title: c.excerpt }, c.title || c.document_id))) : null,
    h('div', { class: 'row-actions' },
      h('button', { class: 'btn primary', id: 'approve-draft', onclick: async (e) => {
        e.target.disabled = true;
        try {
          const edited = text.value !== d.text ? text.value : '';
          await post(`/inbox/drafts/${d.id}/approve`, { text: edited, version: state.detail.conversation.version });
          toast('Draft approved and sent');
          refreshAll();
        } catch (ex) { e.target.disabled = false; problemToast(ex); }
      } }, icon('send', 14), ' Approve & send'),
      h('button', { class: 'btn ghost', onclick: async () => {
        const reason = prompt('Why is this draft rejected? (helps improve replies)') ?? '';
        try { await post(`/inbox/drafts/${d.id}/reject`, { reason }); toast('Draft rejected'); refreshAll(); } catch (ex) { problemToast(ex); }
      } }, 'Reject')));
}

// ---------- composer ----------

let mode = 'reply';
let files = [];
const replyPlaceholder = 'Write a reply…  (Ctrl+Enter to send)';
const notePlaceholder = 'Internal note, never sent to the customer. @name mentions a colleague.';

function composer() {
  files = [];
  mode = 'reply';
  seen = '';
  templateMode = false;
  const ta = h('textarea', { id: 'composer-text', rows: 3, placeholder: replyPlaceholder,
    oninput: (e) => composing(e.target.value),
    onkeydown: (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); send(); } } });
  const fileInput = h('input', { type: 'file', id: 'composer-files', multiple: true, hidden: true, onchange: (e) => { files = files.concat([...e.target.files]); e.target.value = ''; renderFiles(); } });
  const tab = (m, label) => h('button', { class: ['ctab', mode === m ? 'active' : ''], dataset: { mode: m }, onclick: () => setMode(m) }, label);
  return h('div', { class: ['composer', 'mode-' + mode], id: 'composer' },
    h('div', { class: 'ctabs' }, tab('reply', 'Reply'), tab('note', 'Internal note'),
      h('span', { class: 'grow' }),
      h('select', { id: 'saved-reply-select', class: 'small', 'aria-label': 'Insert a saved reply', onchange: (e) => { insertSaved(e.target.value); e.target.value = ''; } }),
      h('button', { class: 'link small', id: 'copies-toggle', hidden: true, onclick: () => { const b = $('#copies'); b.hidden = !b.hidden; if (!b.hidden) $('#composer-cc').focus(); } }, 'Cc / Bcc')),
    h('div', { id: 'copies', class: 'copies', hidden: true },
      h('label', {}, h('span', {}, 'Cc'), h('input', { id: 'composer-cc', type: 'text', placeholder: 'name@example.com, …', autocomplete: 'off' })),
      h('label', {}, h('span', {}, 'Bcc'), h('input', { id: 'composer-bcc', type: 'text', placeholder: 'hidden copies', autocomplete: 'off' }))),
    ta,
    h('div', { id: 'channel-info', class: 'channel-info', role: 'status', hidden: true }),
    h('div', { id: 'template-picker', class: 'template-picker', hidden: true },
      h('label', { class: 'template-choose' }, h('span', {}, 'Approved template'),
        h('select', { id: 'template-select', onchange: () => renderTemplateParams() })),
      h('div', { id: 'template-params', class: 'template-params' }),
      h('div', { id: 'template-preview', class: 'template-preview', 'aria-live': 'polite', hidden: true })),
    h('div', { id: 'stale-warning', class: 'stale-warning', role: 'alert', hidden: true }),
    h('div', { id: 'composer-files-list', class: 'files' }),
    h('div', { class: 'composer-foot' },
      h('button', { class: 'icon-btn', id: 'attach-btn', title: 'Attach files', 'aria-label': 'Attach files', onclick: () => fileInput.click() }, icon('clip', 18)),
      fileInput,
      h('label', { class: 'small muted signature-on', id: 'signature-box', hidden: true }, h('input', { type: 'checkbox', id: 'signature-on', checked: true }), ' Add my signature'),
      h('span', { class: 'grow muted small', id: 'composer-hint' }),
      h('button', { class: 'btn primary', id: 'send-btn', onclick: () => send() }, icon('send', 14), h('span', { id: 'send-label' }, ' Send'))));
}

function setMode(m) {
  mode = m;
  const c = $('#composer');
  if (!c) return;
  c.className = 'composer mode-' + m;
  $$('.ctab', c).forEach(b => b.classList.toggle('active', b.dataset.mode === m));
  $('#composer-text').placeholder = m === 'note' ? notePlaceholder : replyPlaceholder;
  $('#send-label').textContent = m === 'note' ? ' Add note' : ' Send';
  applyChannel();
}

// applyChannel fits the composer to the conversation's channel: SMS
// carries no file, and WhatsApp accepts free text only within 24 hours of
// the customer's last message.
function applyChannel() {
  const c = state.detail?.conversation;
  const attach = $('#attach-btn');
  const info = $('#channel-info');
  const ta = $('#composer-text');
  if (!attach || !info || !ta) return;
  const sms = c?.source === 'sms';
  attach.hidden = mode === 'note' || sms;
  const email = c?.source === 'email' && mode === 'reply';
  $('#copies-toggle').hidden = !email;
  if (!email) $('#copies').hidden = true;
  $('#signature-box').hidden = mode !== 'reply' || !state.signature;
  $('#signature-box').title = state.signature || '';
  const saved = $('#saved-reply-select');
  if (saved.options.length !== (state.savedReplies || []).length + 1) {
    clear(saved, h('option', { value: '' }, 'Saved replies…'), (state.savedReplies || []).map((r, i) => h('option', { value: String(i) }, r.title)));
  }
  saved.hidden = mode !== 'reply' || !(state.savedReplies || []).length;
  if (sms && files.length) { files = []; renderFiles(); }
  let text = '', closed = false;
  if (mode === 'reply' && sms) text = 'SMS: text only, files cannot be sent.';
  if (mode === 'reply' && c?.source === 'whatsapp') {
    const lastIn = Math.max(0, ...(state.detail.messages || []).filter(m => m.direction === 'in').map(m => new Date(m.sent_at).getTime()));
    const left = lastIn + 24 * 3600e3 - Date.now();
    closed = left <= 0;
    if (closed) text = lastIn ? `WhatsApp: the 24-hour reply window closed ${ago(new Date(lastIn + 24 * 3600e3).toISOString())}. WhatsApp now only delivers approved template messages; call the customer or wait for them to write again.`
      : 'WhatsApp: the customer has not written on this conversation, so WhatsApp only delivers approved template messages.';
    else {
      const hrs = Math.floor(left / 3600e3), min = Math.floor((left % 3600e3) / 60e3);
      text = `WhatsApp: you can reply for another ${hrs ? hrs + ' h ' : ''}${min} min (24-hour window).`;
    }
  }
  const templates = closed ? (state.detail.templates || []) : [];
  if (closed && templates.length) text = text.replace(/WhatsApp now only delivers.*$/, 'Only an approved template can be sent now: choose one below and fill in its fields.')
    .replace(/so WhatsApp only delivers.*$/, 'so only an approved template can be sent: choose one below and fill in its fields.');
  else if (closed) text += ' No approved template is declared for this WhatsApp number: an admin adds them in Settings › Integrations.';
  if (closed) { attach.hidden = true; if (files.length) { files = []; renderFiles(); } }
  info.textContent = text;
  info.hidden = !text;
  info.className = ['channel-info', closed ? 'closed' : ''].join(' ');
  // Free text would not be delivered: only an approved template can be sent.
  ta.disabled = closed;
  ta.placeholder = closed ? 'Free text cannot be sent now: use an approved template.' : mode === 'note' ? notePlaceholder : replyPlaceholder;
  templateMode = closed && templates.length > 0;
  const picker = $('#template-picker');
  picker.hidden = !templateMode;
  if (templateMode) fillTemplates(templates);
  updateSendable();
}

// ---------- WhatsApp templates ----------

// templateMode is set while the composer sends an approved template
// instead of free text (WhatsApp's 24-hour window is closed).
let templateMode = false;

const templateKey = (t) => t.name + '|' + t.locale;

function fillTemplates(templates) {
  const sel = $('#template-select');
  const keys = templates.map(templateKey).join(',');
  if (sel.dataset.keys === keys) return;
  sel.dataset.keys = keys;
  const many = new Set(templates.map(t => t.name)).size < templates.length;
  clear(sel, h('option', { value: '' }, 'Choose a template…'),
    templates.map(t => h('option', { value: templateKey(t) }, many || templates.some(o => o.locale !== templates[0].locale) ? `${t.name} (${t.locale})` : t.name)));
  renderTemplateParams();
}

function chosenTemplate() {
  const key = $('#template-select')?.value;
  return (state.detail?.templates || []).find(t => templateKey(t) === key) || null;
}

// renderTemplateParams shows one field per placeholder of the chosen
// template and the message as the customer will read it.
function renderTemplateParams() {
  const t = chosenTemplate();
  const box = $('#template-params');
  if (!box) return;
  clear(box, t ? Array.from({ length: t.parameters }, (_, i) =>
    h('label', { class: 'template-param' }, h('span', {}, `{{${i + 1}}}`),
      h('input', { type: 'text', class: 'template-param-input', dataset: { n: String(i + 1) }, autocomplete: 'off',
        placeholder: paramHint(t.body, i + 1), oninput: () => { previewTemplate(); composing('template'); } }))) : []);
  previewTemplate();
}

// paramHint is the body's words around a placeholder, so the agent sees
// what the value is for.
function paramHint(body, n) {
  const i = body.indexOf(`{{${n}}}`);
  if (i < 0) return '';
  return '…' + body.slice(Math.max(0, i - 24), i).replace(/\{\{\d+\}\}/g, '…').trimStart() + '___';
}

function templateParams() {
  return $$('.template-param-input').map(i => i.value);
}

function previewTemplate() {
  const t = chosenTemplate();
  const pv = $('#template-preview');
  if (!pv) return;
  pv.hidden = !t;
  if (t) {
    const ps = templateParams();
    pv.textContent = t.body.replace(/\{\{\s*(\d+)\s*\}\}/g, (m, n) => ps[n - 1]?.trim() ? ps[n - 1] : `[${n}]`);
  }
  updateSendable();
}

// updateSendable enables Send when what is on screen can be delivered.
function updateSendable() {
  const btn = $('#send-btn');
  if (!btn) return;
  const c = state.detail?.conversation;
  const closedWhatsApp = mode === 'reply' && c?.source === 'whatsapp' && $('#composer-text')?.disabled;
  let ok = !closedWhatsApp, why = '';
  if (closedWhatsApp) {
    const t = templateMode && chosenTemplate();
    ok = !!t && templateParams().every(v => v.trim());
    why = !templateMode ? 'The WhatsApp reply window is closed' : !t ? 'Choose an approved template' : ok ? '' : 'Fill in every field of the template';
  }
  btn.disabled = !ok;
  btn.title = why;
}

function renderFiles() {
  clear($('#composer-files-list'), files.map((f, i) => h('span', { class: 'chip' }, icon('clip', 12), f.name, ' ', h('button', { class: 'chip-x', 'aria-label': 'Remove ' + f.name, onclick: () => { files.splice(i, 1); renderFiles(); } }, '×'))));
}

export function focusReply(m = 'reply') {
  if (!state.selected) return;
  setMode(m);
  $('#composer-text')?.focus();
}

// insertSaved puts a saved reply where the cursor is.
function insertSaved(i) {
  const r = (state.savedReplies || [])[Number(i)];
  const ta = $('#composer-text');
  if (!r || !ta) return;
  const { selectionStart: a, selectionEnd: b, value } = ta;
  ta.value = value.slice(0, a) + r.text + value.slice(b);
  ta.focus();
  ta.selectionStart = ta.selectionEnd = a + r.text.length;
  composing(ta.value);
}

const addresses = (sel) => ($(sel)?.value || '').split(/[,;\s]+/).map(x => x.trim()).filter(Boolean);

async function send(force = false) {
  const ta = $('#composer-text');
  const sign = mode === 'reply' && state.signature && $('#signature-on')?.checked && ta.value.trim();
  const text = sign ? ta.value.replace(/\s+$/, '') + '\n\n' + state.signature : ta.value;
  const cc = $('#copies')?.hidden ? [] : addresses('#composer-cc');
  const bcc = $('#copies')?.hidden ? [] : addresses('#composer-bcc');
  const btn = $('#send-btn');
  const id = state.selected;
  btn.disabled = true;
  hideStale();
  try {
    if (mode === 'note') {
      await post(`/inbox/conversations/${id}/notes`, { body: text, version: 0 });
      toast('Note added');
    } else if (templateMode) {
      const t = chosenTemplate();
      if (!t) { toast('Choose an approved template first'); return; }
      await post(`/inbox/conversations/${id}/reply`, { template: { name: t.name, locale: t.locale, parameters: templateParams() },
        version: state.detail.conversation.version, seen_message_id: seen, force });
      $('#template-select').value = '';
      renderTemplateParams();
      toast('Template sent');
    } else if (files.length) {
      const fd = new FormData();
      fd.append('text', text);
      fd.append('version', String(state.detail.conversation.version));
      if (seen) fd.append('seen_message_id', seen);
      if (force) fd.append('force', 'true');
      if (cc.length) fd.append('cc', cc.join(','));
      if (bcc.length) fd.append('bcc', bcc.join(','));
      for (const f of files) fd.append('attachments', f, f.name);
      await api('POST', `/inbox/conversations/${id}/reply`, fd);
      toast('Reply sent');
    } else {
      await post(`/inbox/conversations/${id}/reply`, { text, version: state.detail.conversation.version, seen_message_id: seen, force, cc, bcc });
      toast('Reply sent');
    }
    ta.value = '';
    seen = '';
    files = [];
    if ($('#composer-cc')) { $('#composer-cc').value = ''; $('#composer-bcc').value = ''; $('#copies').hidden = true; }
    renderFiles();
    announce(id, 'viewing');
    refreshAll();
  } catch (e) {
    if (e instanceof ApiError && e.problem.type === '/inbox/problems/stale-thread') showStale(e.problem.newer || []);
    else problemToast(e);
  } finally { btn.disabled = false; updateSendable(); }
}

// ---------- collisions ----------

// seen is the newest message on screen when the agent started writing:
// the server refuses the reply if the conversation moved on since, and
// the agent decides whether it still makes sense.
let seen = '';

function newestMessageId() {
  const msgs = state.detail?.messages || [];
  let best = null;
  for (const m of msgs) if (!best || new Date(m.created_at) > new Date(best.created_at)) best = m;
  return best?.id || '';
}

function composing(text) {
  if (mode !== 'reply') return;
  if (!text.trim()) { seen = ''; announce(state.selected, 'viewing'); return; }
  if (!seen) seen = newestMessageId();
  typing();
}

function secondsAgo(at) {
  const s = Math.max(0, Math.round((Date.now() - new Date(at)) / 1000));
  return s < 60 ? `${s} s ago` : ago(at);
}

function showStale(newer) {
  const last = newer[newer.length - 1];
  const what = last ? `${last.summary} ${secondsAgo(last.created_at)}` : 'The conversation changed';
  const more = newer.length > 1 ? ` (${newer.length} new messages)` : '';
  clear($('#stale-warning'), h('span', { class: 'grow' }, `${what}${more} — send anyway?`),
    h('button', { class: 'btn small primary', id: 'stale-send', onclick: () => send(true) }, 'Send anyway'),
    h('button', { class: 'btn small ghost', id: 'stale-review', onclick: () => { seen = newestMessageId(); hideStale(); loadDetail().then(() => { seen = newestMessageId(); }); } }, 'Read it first'));
  $('#stale-warning').hidden = false;
  loadDetail();
}

function hideStale() {
  const el = $('#stale-warning');
  if (el) { el.hidden = true; el.replaceChildren(); }
}

// ---------- presence ----------

// Agents on the same conversation see each other: the page reports
// viewing, replying or away, renews the report while the conversation is
// open, and shows what the others report.
const presence = new Map(); // conversation id -> Map(employee id -> { state, at })
const presenceTTL = 30e3;
let presenceState = '';
let presenceSent = 0;
let typingTimer = 0;

async function announce(id, st) {
  if (!id) return;
  if (id === state.selected && st !== 'away') {
    if (st === presenceState && Date.now() - presenceSent < 5e3) return;
    presenceState = st;
    presenceSent = Date.now();
  }
  try {
    const { items } = await api('POST', `/inbox/conversations/${id}/presence`, { state: st }, { keepalive: st === 'away' });
    if (st === 'away') return;
    const m = new Map();
    for (const o of items || []) m.set(o.employee, { state: o.state, at: Date.now() });
    presence.set(id, m);
    renderPresence();
  } catch { /* presence is a hint; the next report retries */ }
}

function presenceMoved(from, to) {
  if (from) announce(from, 'away');
  presenceState = '';
  clearTimeout(typingTimer);
  if (to) announce(to, 'viewing');
}

function typing() {
  announce(state.selected, 'replying');
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => announce(state.selected, 'viewing'), 8e3);
}

function onPresence(ev) {
  const [st, who] = (ev.detail || '').split(':');
  if (!ev.conversation_id || !who || who === state.me?.id) return;
  let m = presence.get(ev.conversation_id);
  if (!m) { m = new Map(); presence.set(ev.conversation_id, m); }
  if (st === 'away') m.delete(who); else m.set(who, { state: st, at: Date.now() });
  if (ev.conversation_id === state.selected) renderPresence();
  updateRowPresence(ev.conversation_id);
}

// rowPresence shows in the list who else has a conversation open.
function rowPresence(id) {
  const m = presence.get(id);
  const now = Date.now();
  const others = m ? [...m.entries()].filter(([, v]) => now - v.at <= presenceTTL) : [];
  if (!others.length) return h('span', { class: 'row-presence', hidden: true });
  const words = others.map(([who, v]) => `${employeeName(who)} is ${v.state === 'replying' ? 'replying' : 'viewing'}`).join(', ');
  return h('span', { class: ['row-presence', others.some(([, v]) => v.state === 'replying') ? 'replying' : ''], title: words, 'aria-label': words },
    others.map(([who]) => h('span', { class: 'mini-avatar', style: `--h:${hue(who)}` }, initials(employeeName(who)))));
}

function updateRowPresence(id) {
  const old = $(`.row[data-id="${id}"] .row-presence`);
  if (old) old.replaceWith(rowPresence(id));
}

function renderPresence() {
  const el = $('#presence');
  if (!el) return;
  const m = presence.get(state.selected) || new Map();
  const now = Date.now();
  for (const [k, v] of m) if (now - v.at > presenceTTL) m.delete(k);
  const others = [...m.entries()].sort((a, b) => (a[1].state === 'replying' ? 0 : 1) - (b[1].state === 'replying' ? 0 : 1));
  el.hidden = others.length === 0;
  clear(el, others.map(([who, v]) => h('span', { class: ['presence-item', v.state], dataset: { employee: who } },
    h('span', { class: 'mini-avatar', style: `--h:${hue(who)}` }, initials(employeeName(who))),
    v.state === 'replying' ? `${employeeName(who)} is replying…` : `${employeeName(who)} is viewing`)));
}

setInterval(() => {
  if (!state.selected || document.hidden) return;
  presenceSent = 0;
  announce(state.selected, presenceState || 'viewing');
  renderPresence();
}, 10e3);
window.addEventListener('pagehide', () => { if (state.selected) announce(state.selected, 'away'); });

// ---------- client panel ----------

function renderClientPanel() {
  const d = state.detail;
  const c = d.conversation;
  const ct = d.contact;
  const panel = $('#client-panel');
  const tasks = d.tasks, fus = d.followups;
  const taskInput = h('input', { id: 'task-title', placeholder: 'New task…' });
  const fuDate = h('input', { id: 'followup-due', type: 'datetime-local', value: localInput(new Date(Date.now() + 86400e3)) });
  const fuNote = h('input', { id: 'followup-note', placeholder: 'Reminder note' });
  const fuIf = h('input', { id: 'followup-ifnoreply', type: 'checkbox', checked: true });
  preserveInputs(panel, () => clear(panel,
    h('section', { class: 'card' },
      h('div', { class: 'client-id' }, avatar(c, 'lg'), h('div', {}, h('strong', {}, contactName(ct)), h('div', { class: 'muted small' }, ct.external_id ? 'CRM ' + ct.external_id : 'Client since ' + new Date(ct.created_at).toLocaleDateString('en-GB', { month: 'short', year: 'numeric' })))),
      h('dl', { class: 'facts' },
        ct.emails.map(e => [h('dt', {}, 'Email'), h('dd', {}, e)]),
        ct.phones.map(p => [h('dt', {}, 'Phone'), h('dd', {}, phone(p))]),
        h('dt', {}, 'Conversations'), h('dd', {}, String(d.history.length + 1))),
      state.me.role === 'admin' ? mergeBox(ct) : null),
    h('section', { class: 'card' },
      h('h3', {}, icon('spark', 14), ' Summary'),
      c.summary ? h('p', { class: 'small' }, c.summary) : null,
      state.features.summaries
        ? h('button', { class: 'btn ghost small', id: 'summary-btn', onclick: summarize }, c.summary ? 'Refresh summary' : 'Summarize')
        : h('p', { class: 'muted small' }, 'AI summaries are off. Start the server with an OpenAI key to enable them.')),
    h('section', { class: 'card' },
      h('h3', {}, icon('task', 14), ' Tasks'),
      h('ul', { class: 'checklist', id: 'task-list' }, tasks.map(t => h('li', { class: t.done ? 'done' : '' },
        h('label', {}, h('input', { type: 'checkbox', checked: t.done, onchange: async (e) => { try { await post(`/inbox/tasks/${t.id}/complete`, { done: e.target.checked }); loadDetail(); } catch (ex) { problemToast(ex); } } }),
          h('span', {}, t.title)),
        h('span', { class: 'muted small' }, [t.assignee ? employeeName(t.assignee) : '', t.due_at ? ' · due ' + ago(t.due_at) : ''].join(''))))),
      h('form', { class: 'inline-form', onsubmit: async (e) => {
        e.preventDefault();
        try { await post(`/inbox/conversations/${c.id}/tasks`, { title: taskInput.value, assignee: state.me.id }); taskInput.value = ''; toast('Task created'); loadDetail(); } catch (ex) { problemToast(ex); }
      } }, taskInput, h('button', { class: 'btn small', type: 'submit', id: 'task-add' }, 'Add'))),
    h('section', { class: 'card' },
      h('h3', {}, icon('clock', 14), ' Follow-ups'),
      h('ul', { class: 'checklist', id: 'followup-list' }, fus.map(f => h('li', { class: ['fu', f.status] },
        h('span', {}, f.note || 'Follow up'), h('span', { class: ['pill', f.status] }, f.status),
        h('span', { class: 'muted small' }, fullDate(f.due_at), f.if_no_reply ? ' · if no reply' : ''),
        (f.status === 'pending' || f.status === 'due') ? h('button', { class: 'link small', onclick: async () => { try { await post(`/inbox/followups/${f.id}/close`, { status: 'done' }); loadDetail(); } catch (ex) { problemToast(ex); } } }, 'Done') : null))),
      h('form', { class: 'stack-form', id: 'followup-form', onsubmit: async (e) => {
        e.preventDefault();
        try {
          await post(`/inbox/conversations/${c.id}/followups`, { due_at: new Date(fuDate.value).toISOString(), note: fuNote.value, if_no_reply: fuIf.checked });
          fuNote.value = ''; toast('Follow-up scheduled'); loadDetail();
        } catch (ex) { problemToast(ex); }
      } }, fuDate, fuNote, h('label', { class: 'small' }, fuIf, ' Cancel if the customer answers'), h('button', { class: 'btn small', type: 'submit', id: 'followup-add' }, 'Schedule'))),
    h('section', { class: 'card' },
      h('h3', {}, icon('clock', 14), ' Activity'),
      h('div', { id: 'activity' }, h('button', { class: 'link small', id: 'activity-btn', onclick: () => { state.activityFor = c.id; loadActivity(); } }, 'Show who did what'))),
    h('section', { class: 'card' },
      h('h3', {}, icon('inbox', 14), ' History'),
      d.history.length === 0 ? h('p', { class: 'muted small' }, 'First conversation with this client.') :
        h('ul', { class: 'history' }, d.history.map(x => h('li', {}, h('button', { class: 'link', onclick: () => openConversation(x.id) }, x.subject || sourceLabels[x.source]),
          h('span', { class: ['pill', 'st', x.status] }, statusLabels[x.status]), h('span', { class: 'muted small' }, ago(x.last_message_at))))))));
  if (state.activityFor === c.id) loadActivity();
}

// ---------- merging duplicate clients ----------

// The same client often arrives twice: by email and by SMS, or from two
// addresses. An admin merges the duplicate into the client on screen,
// which keeps every conversation, address and number of both.
const merge = { for: '', open: false, q: '', results: [], armed: '' };

function mergeBox(ct) {
  if (merge.for !== ct.id) Object.assign(merge, { for: ct.id, open: false, q: '', results: [], armed: '' });
  if (!merge.open) {
    return h('button', { class: 'link small', id: 'merge-open', onclick: () => { merge.open = true; renderClientPanel(); $('#merge-search')?.focus(); } }, 'Merge a duplicate…');
  }
  const search = debounce(async (q) => {
    merge.q = q;
    try {
      const { items } = await get('/inbox/contacts' + qs({ q, limit: 8 }));
      if (merge.for !== ct.id || merge.q !== q) return;
      merge.results = q.trim() ? items.filter(x => x.id !== ct.id) : [];
      // A confirmation stays armed while its duplicate is still listed:
      // a late search result must not swallow the confirming click.
      if (!merge.results.some(x => x.id === merge.armed)) merge.armed = '';
      renderClientPanel();
    } catch (e) { problemToast(e); }
  }, 200);
  return h('div', { class: 'merge-box' },
    h('input', { id: 'merge-search', placeholder: 'Name, email or phone of the duplicate', value: merge.q, autocomplete: 'off',
      oninput: (e) => { e.target.dataset.dirty = '1'; search(e.target.value); } }),
    merge.q.trim() && merge.results.length === 0 ? h('p', { class: 'muted small' }, 'No other client matches.') : null,
    h('ul', { class: 'merge-results', id: 'merge-results' }, merge.results.map(x => h('li', {},
      h('span', {}, h('strong', {}, contactName(x)), h('span', { class: 'muted small' }, [...(x.emails || []), ...(x.phones || []).map(phone)].join(', '))),
      h('button', { class: ['btn', 'small', merge.armed === x.id ? 'danger' : ''], dataset: { id: x.id }, onclick: () => mergeInto(ct, x),
        title: `Move ${contactName(x)}'s conversations, addresses and numbers to ${contactName(ct)}` },
        merge.armed === x.id ? 'Confirm merge' : 'Merge')))),
    h('button', { class: 'link small', onclick: () => { merge.open = false; renderClientPanel(); } }, 'Cancel'));
}

async function mergeInto(kept, dup) {
  if (merge.armed !== dup.id) { merge.armed = dup.id; renderClientPanel(); return; }
  try {
    await post(`/inbox/contacts/${kept.id}/merge`, { drop_id: dup.id });
    toast(`${contactName(dup)} merged into ${contactName(kept)}`);
    Object.assign(merge, { open: false, q: '', results: [], armed: '' });
    loadDetail();
    refreshInbox({ keepScroll: true });
  } catch (e) { problemToast(e); }
}

const actionLabels = {
  'message.ingested': 'message received', 'conversation.classified': 'filed automatically', 'conversation.status': 'changed the status',
  'conversation.assign': 'assigned', 'conversation.move': 'moved', 'conversation.read': 'read', 'conversation.tags': 'tagged',
  'conversation.reply': 'replied', 'conversation.note': 'added a note', 'conversation.link': 'linked', 'task.create': 'created a task',
  'task.complete': 'completed a task', 'followup.schedule': 'scheduled a follow-up', 'followup.close': 'closed a follow-up',
  'followup.due': 'follow-up due', 'draft.approve': 'approved a draft', 'draft.reject': 'rejected a draft', 'conversation.merge': 'merged',
  'folder.save': 'changed a folder', 'folder.delete': 'deleted a folder', 'contact.merge': 'merged two clients', 'conversation.split': 'split a conversation',
};

// describeAudit says what an audit entry did, in words, with names.
export function describeAudit(e) {
  const after = e.after || {};
  let what = actionLabels[e.action] || e.action.replace(/[._]/g, ' ');
  if (e.action === 'conversation.status' && after.status) what += ' to ' + (statusLabels[after.status] || after.status);
  if (e.action === 'conversation.assign') what += after.assignee ? ' to ' + employeeName(after.assignee) : ' (nobody)';
  if (e.action === 'conversation.move') what += ' to ' + (folderName(after.folder_id) || 'Unfiled');
  return what;
}

async function loadActivity() {
  const box = $('#activity');
  try {
    const { items } = await get(`/inbox/conversations/${state.selected}/audit`);
    clear(box, items.length === 0 ? h('p', { class: 'muted small' }, 'Nothing yet.') : h('ul', { class: 'activity' }, items.slice(0, 30).map(e =>
      h('li', {}, h('strong', {}, e.actor === 'system' ? 'inboxkit' : employeeName(e.actor)), ' ', describeAudit(e), h('span', { class: 'muted small' }, ' · ' + ago(e.at))))));
  } catch (e) { problemToast(e); }
}

function localInput(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

async function summarize() {
  const btn = $('#summary-btn');
  btn.disabled = true;
  try { await post(`/inbox/conversations/${state.selected}/summary`); loadDetail(); } catch (e) { problemToast(e); } finally { btn.disabled = false; }
}

// ---------- actions ----------

async function act(action, body, method = 'POST') {
  const id = state.selected;
  await state.reading;
  try {
    const c = await api(method, `/inbox/conversations/${id}/${action}`, { ...body, version: state.detail.conversation.version });
    // The answer is the changed conversation: the next action carries its
    // version without waiting for the reload.
    if (c?.version && state.detail?.conversation.id === id) state.detail.conversation.version = c.version;
    refreshAll();
    return true;
  } catch (e) {
    problemToast(e);
    loadDetail();
    return false;
  }
}

export async function resolveSelected() {
  if (!state.selected || !state.detail) return;
  const id = state.selected;
  if (!(await act('status', { status: 'resolved' }))) return;
  toast('Resolved');
  await openNext(id);
}

// openNext moves on to the next open conversation of the current view
// after one was handled, so the queue is worked from top to bottom.
async function openNext(after) {
  try {
    const p = listParams();
    const { conversation } = await get('/inbox/conversations/next' + qs({ ...p, q: '', after }));
    if (conversation && state.selected === after) { openConversation(conversation.id); return; }
    if (!conversation && state.selected === after) {
      presenceMoved(after, null);
      state.selected = null;
      state.detail = null;
      history.replaceState(null, '', '#/inbox');
      document.body.classList.remove('thread-open');
      clear($('#thread-pane'), h('div', { class: 'placeholder', id: 'queue-done' }, h('div', { class: 'empty-art' }, '✦'), h('h2', {}, 'No open work left'), h('p', {}, 'Every conversation in this view is handled.')));
    }
  } catch (e) { problemToast(e); }
}

async function snoozeSelected(choice) {
  if (!choice) return;
  if (choice === 'custom') {
    const box = $('#snooze-custom-box');
    box.hidden = false;
    $('#snooze-custom').value = localInput(new Date(Date.now() + 3600e3));
    $('#snooze-custom').focus();
    $('#snooze-select').value = '';
    return;
  }
  await snoozeTo(snoozeUntil(choice));
}

async function snoozeTo(until) {
  const id = state.selected;
  if (!(await act('snooze', { until: until.toISOString() }))) return;
  toast('Snoozed until ' + fullDate(until.toISOString()));
  await openNext(id);
}

async function markUnread() {
  const id = state.selected;
  if (!(await act('read', { read: false }))) return;
  toast('Marked as unread');
  const r = state.list.find(x => x.id === id);
  if (r) r.unread = Math.max(1, r.unread);
}

export function problemToast(e) {
  if (e instanceof ApiError && e.status === 409 && e.problem.type !== '/inbox/problems/stale-thread') {
    toast('Someone else changed this conversation at the same time; the latest version is shown.', { kind: 'warn' });
    loadDetail();
    return;
  }
  toast(plainError(e), { kind: 'error' });
}

// What agents read when something fails: plain sentences, never the
// server's field paths, byte limits or error chains.
const fieldNames = {
  text: 'The message', body: 'The note', title: 'The task title', note: 'The note', due_at: 'The date', name: 'The name', email: 'The email address',
  description: 'The description', tags: 'A tag', assignee: 'The person', folder_id: 'The folder', status: 'The status', password: 'The password',
  role: 'The role', reason: 'The reason', attachments: 'An attachment', q: 'The search', reply_prompt: 'The reply prompt', time_zone: 'The time zone',
};

export function fieldSentence(field, reason) {
  const f = String(field || '').replace(/\[\d+\]/g, '');
  const r = String(reason || '');
  if (f === 'text' && /empty|required/.test(r)) return 'Write a message before sending.';
  if (f === 'body' && /empty|required/.test(r)) return 'Write the note before adding it.';
  if (f === 'due_at' && /future|past/.test(r)) return 'Pick a date and time in the future.';
  if (f === 'email' && /already/.test(r)) return 'This email address already has an account.';
  if (f === 'role' && /at least one admin/.test(r)) return 'The company needs at least one admin: make someone else admin first.';
  if (f === 'email') return 'This email address does not look right.';
  if (f === 'attachments') {
    if (/too large/.test(r)) return 'An attachment is too large to send.';
    const [file] = r.split(':');
    return r.includes(':') ? `The file “${file}” cannot be sent.` : 'An attachment cannot be sent.';
  }
  if ((f === 'cc' || f === 'bcc') && /email address/.test(r)) return 'A copy address is not an email address.';
  if (f === 'cc' && /only email/.test(r)) return 'Only email replies can be copied to other addresses.';
  if (f === 'template.name' || f === 'template.locale') return 'This template is not approved for this WhatsApp number any more: reload and choose another.';
  if (f === 'template.parameters') {
    const n = (r.match(/\{\{(\d+)\}\}/) || [])[1];
    if (/line break|tab/.test(r)) return `Field {{${n}}} of the template must fit on one line.`;
    if (/spaces/.test(r)) return `Field {{${n}}} of the template has too many spaces in a row.`;
    if (/empty/.test(r)) return `Fill in field {{${n}}} of the template.`;
    return 'The template’s fields are not valid: fill in each one with a short value.';
  }
  if (f === 'template') return 'Only WhatsApp replies can be sent as templates.';
  if (f === 'templates.name') return 'The template name must be the one WhatsApp approved: letters, digits and _ only.';
  if (f === 'templates.locale') return 'The language must be a code such as fr or en_GB.';
  if (f === 'templates.body') {
    if (/empty/.test(r)) return 'Write the template’s text.';
    if (/characters/.test(r)) return 'The text is too long: WhatsApp allows 1024 characters.';
    return 'The fields of the text must be numbered {{1}}, {{2}}… without gaps.';
  }
  if (f === 'templates' && /twice/.test(r)) return 'This template is already declared in this language.';
  if (f.startsWith('rules')) return 'A rule is incomplete or not valid: check that every condition has a value.';
  const what = fieldNames[f.split('.')[0]] || 'A value';
  if (/byte|longer|too long|at most/.test(r)) return `${what} is too long.`;
  if (/empty|required|missing/.test(r)) return `${what} is missing.`;
  if (/^[a-z ,;'’().-]+$/i.test(r) && !/json|utf|regex|expr|integer|boolean|rfc|header/i.test(r)) return `${what} ${r}.`;
  return `${what} is not valid.`;
}

export function plainError(e) {
  if (!(e instanceof ApiError)) return 'Something went wrong. Check your connection and try again.';
  const fe = e.problem.errors?.[0];
  switch (e.status) {
    case 400: case 413: case 422: return fe ? fieldSentence(fe.field, fe.reason) : 'Something in this form is not valid.';
    case 401: return 'Your session ended. Please sign in again.';
    case 403: return 'Only an admin can do this.';
    case 404: return 'This no longer exists; it may have been deleted or merged.';
    case 409: return 'Someone else changed this at the same time. Reload and try again.';
    case 429: return 'Too many attempts. Wait a moment and try again.';
    case 501: return 'This server does not offer this.';
    default: return 'The server could not do this right now. Try again in a moment.';
  }
}

async function refreshFolders() {
  try {
    applyFolders(await get('/inbox/folders'));
    renderSidebar();
  } catch { /* next event */ }
}

const refreshAll = debounce(() => { refreshInbox({ keepScroll: true }); refreshFolders(); loadDetail(); }, 60);
const refreshLists = debounce(() => { refreshInbox({ keepScroll: true }); refreshFolders(); }, 40);
const reloadDetail = debounce(loadDetail, 120);

// onEvent reacts to live events from the server.
export async function onEvent(type, ev) {
  if (type === 'presence') { onPresence(ev); return; }
  // This agent read or marked unread a conversation in another tab: bold
  // rows and badges follow (the stream carries only this agent's own).
  if (type === 'reader.state') { refreshLists(); return; }
  if (['message.received', 'message.created', 'message.delayed', 'conversation.created', 'conversation.updated', 'message.sent', 'message.failed', 'draft.ready', 'folder.changed'].includes(type)) {
    refreshLists();
    if (ev.conversation_id && ev.conversation_id === state.selected) reloadDetail();
  }
  if (type === 'folder.changed') {
    const f = await get('/inbox/folders').catch(() => null);
    if (f) { applyFolders(f); renderSidebar(); }
  }
  if (type === 'message.received' && ev.detail !== 'outbound') {
    let who = 'a customer';
    try {
      const d = await get(`/inbox/conversations/${ev.conversation_id}`);
      who = contactName(d.contact);
    } catch { /* keep generic */ }
    toast(`New message from ${who}`, { kind: 'notify', action: { label: 'Open', run: () => openConversation(ev.conversation_id) } });
    if (document.hidden && 'Notification' in window && Notification.permission === 'granted') new Notification('New message', { body: 'From ' + who });
  }
  if (type === 'draft.ready') toast('A suggested reply is waiting for approval', { kind: 'notify', action: { label: 'Open', run: () => openConversation(ev.conversation_id) } });
  if (type === 'followup.due') toast('A follow-up is due', { kind: 'warn', action: { label: 'Open', run: () => openConversation(ev.conversation_id) } });
}
