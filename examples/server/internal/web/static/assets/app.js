// Entry point: login, navigation between the inbox, statistics and
// settings, live updates over Server-Sent Events, notifications and
// keyboard shortcuts.
import { api, get, post, setCSRF, setUnauthorizedHandler, events } from './api.js';
import { h, $, $$, clear, icon, initials, hue, debounce, ago } from './util.js';
import { state, initInbox, refreshInbox, onEvent as inboxEvent, moveSelection, focusReply, resolveSelected, openConversation, plainError, loadComposerHelpers } from './inbox.js';
import { renderStats } from './stats.js';
import { renderSettings } from './settings.js';
import { renderTeam } from './team.js';

export function toast(text, { kind = 'info', action } = {}) {
  const el = h('div', { class: ['toast', kind], role: kind === 'error' ? 'alert' : 'status' },
    h('span', {}, text),
    action ? h('button', { class: 'link', onclick: () => { action.run(); el.remove(); } }, action.label) : null);
  const box = $('#toasts');
  box.append(el);
  while (box.children.length > 3) box.firstElementChild.remove();
  setTimeout(() => el.classList.add('out'), 4200);
  setTimeout(() => el.remove(), 4600);
}
window.inboxToast = toast;

async function boot() {
  setUnauthorizedHandler(() => showLogin());
  try {
    const s = await get('/inbox/session');
    start(s);
  } catch {
    showLogin();
  }
}

function showLogin() {
  $('#app').hidden = true;
  $('#login').hidden = false;
  $('#login-email').focus();
  get('/inbox/about').then((a) => {
    if (!a.demo_login) return;
    const hint = $('#login-hint');
    clear(hint, 'Demo server — ', h('button', { type: 'button', class: 'link', id: 'demo-fill', onclick: () => {
      $('#login-email').value = a.demo_login.email;
      $('#login-password').value = a.demo_login.password;
    } }, 'use the demo login'), ` (${a.demo_login.email})`);
  }).catch(() => {});
}

$('#login-form')?.addEventListener('submit', async (e) => {
  e.preventDefault();
  const err = $('#login-error');
  err.textContent = '';
  try {
    const s = await api('POST', '/inbox/session', { email: $('#login-email').value, password: $('#login-password').value });
    $('#login-password').value = '';
    start(s);
  } catch (ex) {
    err.textContent = ex.problem?.status === 429 ? 'Too many attempts. Wait a few minutes and try again.' : ex.problem?.status === 400 ? 'Enter your email address and password.' : 'Email or password is wrong.';
  }
});

let es;
let started = false;

async function start(session) {
  setCSRF(session.csrf_token);
  state.me = session.user;
  state.tenant = session.tenant;
  state.features = session.features;
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#tenant-name').textContent = session.tenant.name;
  clear($('#tab-inbox'), icon('inbox'), h('span', {}, 'Inbox'));
  clear($('#tab-team'), icon('user'), h('span', {}, 'Team'));
  clear($('#tab-stats'), icon('chart'), h('span', {}, 'Statistics'));
  clear($('#tab-settings'), icon('gear'), h('span', {}, 'Settings'));
  clear($('#bell'), icon('bell', 18), h('span', { id: 'bell-count', class: 'count', hidden: true }));
  clear($('#menu-btn'), icon('menu', 20));
  const me = $('#me-btn');
  clear(me, initials(state.me.name));
  me.style.setProperty('--h', String(hue(state.me.id)));
  me.title = state.me.name;
  await initInbox();
  if (!started) {
    started = true;
    wireChrome();
  }
  connect();
  route();
  loadNotifications();
}

function connect() {
  es?.close();
  const live = $('#live');
  let lost = false;
  es = events({
    open: () => {
      live.className = 'live on'; live.title = 'Live updates on';
      // Events sent while the stream was down are gone: reload what is shown.
      if (lost) { lost = false; refreshInbox({ keepScroll: true }); loadNotifications(); }
    },
    error: () => { lost = true; live.className = 'live off'; live.title = 'Reconnecting…'; },
    event: (type, ev) => {
      // Logged out (in another tab), expired or revoked: log in again.
      if (type === 'session.ended') { es.close(); showLogin(); return; }
      if (type === 'notification') loadNotifications(true);
      if (type === 'resync') refreshInbox({ keepScroll: true });
      inboxEvent(type, ev);
      if (type === 'folder.changed' && currentView() === 'settings') renderSettings($('#view-settings'));
    },
  });
}

function currentView() {
  const m = location.hash.match(/^#\/(\w+)/);
  return m ? m[1] : 'inbox';
}

function route() {
  const view = currentView();
  for (const v of ['inbox', 'team', 'stats', 'settings']) {
    $('#view-' + v).hidden = v !== view;
    $('#tab-' + v).classList.toggle('active', v === view);
  }
  document.body.dataset.view = view;
  if (view === 'team') renderTeam($('#view-team'));
  if (view === 'stats') renderStats($('#view-stats'));
  if (view === 'settings') renderSettings($('#view-settings'));
  const m = location.hash.match(/^#\/inbox\/c\/(\w+)/);
  if (view === 'inbox' && m && state.selected !== m[1]) openConversation(m[1]);
  if (view === 'inbox' && !m) document.body.classList.remove('thread-open');
}

async function loadNotifications(fresh) {
  try {
    const { items } = await get('/inbox/notifications?limit=20');
    state.notifications = items || [];
    const unread = state.notifications.filter(n => !n.read_at);
    const count = $('#bell-count');
    count.hidden = unread.length === 0;
    count.textContent = unread.length > 9 ? '9+' : String(unread.length);
    if (fresh && unread[0]) toast(unread[0].text, { kind: 'notify', action: unread[0].conversation_id ? { label: 'Open', run: () => openConversation(unread[0].conversation_id) } : null });
  } catch { /* shown on next load */ }
}

// notifLabels name notification kinds for people.
const notifLabels = { assigned: 'Assigned to you', followup: 'Follow-up due', mention: 'Mentioned', snooze: 'Snooze ended', task: 'Task',
  'autoreply.paused': 'Auto-replies paused', 'integration.failing': 'Integration failing' };

function renderNotifPanel() {
  const panel = $('#notif-panel');
  const items = state.notifications || [];
  clear(panel, h('div', { class: 'popover-title' }, 'Notifications'),
    items.length === 0 ? h('p', { class: 'muted pad' }, 'Nothing new.') :
      items.map(n => h('button', { class: ['notif', n.read_at ? '' : 'unread'], onclick: async () => {
        panel.hidden = true;
        if (!n.read_at) await post(`/inbox/notifications/${n.id}/read`).catch(() => {});
        if (n.conversation_id) { location.hash = '#/inbox'; openConversation(n.conversation_id); }
        else if (n.kind === 'integration.failing') location.hash = '#/settings/integrations';
        loadNotifications();
      } }, h('span', { class: 'notif-kind' }, notifLabels[n.kind] || n.kind), h('span', { class: 'notif-text' }, n.text), h('span', { class: 'muted small' }, ago(n.created_at)))));
}

function wireChrome() {
  window.addEventListener('hashchange', route);
  $('#bell').addEventListener('click', (e) => {
    e.stopPropagation();
    const p = $('#notif-panel');
    p.hidden = !p.hidden;
    $('#me-panel').hidden = true;
    if (!p.hidden) renderNotifPanel();
  });
  $('#me-btn').addEventListener('click', (e) => {
    e.stopPropagation();
    const p = $('#me-panel');
    p.hidden = !p.hidden;
    $('#notif-panel').hidden = true;
    clear(p, h('div', { class: 'popover-title' }, state.me.name),
      h('p', { class: 'muted pad small' }, state.me.email, ' · ', state.me.role),
      h('button', { class: 'menu-item', id: 'signature-open', onclick: showSignature }, 'My signature'),
      h('button', { class: 'menu-item', onclick: showShortcuts }, 'Keyboard shortcuts'),
      h('button', { class: 'menu-item', id: 'logout', onclick: logout }, icon('logout'), ' Sign out'));
  });
  document.addEventListener('click', (e) => {
    if (!e.target.closest('.popover')) { $('#notif-panel').hidden = true; $('#me-panel').hidden = true; }
  });
  $('#menu-btn').addEventListener('click', () => document.body.classList.toggle('drawer-open'));
  const search = $('#search');
  search.addEventListener('input', debounce(() => {
    state.filters.q = search.value.trim();
    if (currentView() !== 'inbox') location.hash = '#/inbox';
    refreshInbox();
  }, 200));
  search.addEventListener('keydown', (e) => { if (e.key === 'Escape') { search.value = ''; state.filters.q = ''; refreshInbox(); search.blur(); } });
  document.addEventListener('keydown', shortcut);
}

async function logout() {
  await api('DELETE', '/inbox/session').catch(() => {});
  es?.close();
  location.hash = '';
  location.reload();
}

function typing(e) {
  const t = e.target;
  return t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName);
}

function shortcut(e) {
  if (e.metaKey || e.ctrlKey || e.altKey) return;
  if (e.key === 'Escape') {
    $('#shortcuts').hidden = true;
    document.body.classList.remove('drawer-open', 'thread-open');
    return;
  }
  if (typing(e) || currentView() !== 'inbox') {
    if (!typing(e) && e.key === '/') { e.preventDefault(); $('#search').focus(); }
    return;
  }
  switch (e.key) {
    case 'j': moveSelection(1); break;
    case 'k': moveSelection(-1); break;
    case 'r': e.preventDefault(); focusReply('reply'); break;
    case 'n': e.preventDefault(); focusReply('note'); break;
    case 'e': resolveSelected(); break;
    case '/': e.preventDefault(); $('#search').focus(); break;
    case '?': showShortcuts(); break;
    default: return;
  }
}

// showSignature edits the signature added to the agent's replies.
function showSignature() {
  const m = $('#shortcuts');
  const text = h('textarea', { id: 'signature-text', rows: 5, placeholder: 'Claire Martin\nMaison Lumière — 01 23 45 67 89' }, state.signature || '');
  const err = h('p', { class: 'form-error', role: 'alert' });
  clear(m, h('div', { class: 'modal-card', role: 'dialog', 'aria-label': 'My signature' },
    h('div', { class: 'modal-head' }, h('h2', {}, 'My signature'), h('button', { class: 'icon-btn', onclick: () => { m.hidden = true; }, 'aria-label': 'Close' }, icon('x'))),
    h('p', { class: 'muted small' }, 'Added under your replies; you can leave it out of any reply.'),
    text, err,
    h('div', { class: 'row-actions' }, h('button', { class: 'btn primary', id: 'signature-save', onclick: async () => {
      try {
        const r = await api('PUT', '/inbox/signature', { signature: text.value });
        state.signature = r.signature;
        m.hidden = true;
        toast(r.signature ? 'Signature saved' : 'Signature removed');
        loadComposerHelpers();
      } catch (ex) { err.textContent = plainError(ex); }
    } }, 'Save'))));
  m.hidden = false;
  m.onclick = (e) => { if (e.target === m) m.hidden = true; };
}

function showShortcuts() {
  const m = $('#shortcuts');
  const rows = [['j / k', 'Next / previous conversation'], ['r', 'Reply'], ['n', 'Internal note'], ['e', 'Resolve'],
    ['/', 'Search'], ['Esc', 'Close'], ['?', 'This help'], ['Ctrl+Enter', 'Send reply']];
  clear(m, h('div', { class: 'modal-card', role: 'dialog', 'aria-label': 'Keyboard shortcuts' },
    h('div', { class: 'modal-head' }, h('h2', {}, 'Keyboard shortcuts'), h('button', { class: 'icon-btn', onclick: () => { m.hidden = true; }, 'aria-label': 'Close' }, icon('x'))),
    h('dl', { class: 'keys' }, rows.map(([k, v]) => [h('dt', {}, h('kbd', {}, k)), h('dd', {}, v)]))));
  m.hidden = false;
  m.onclick = (e) => { if (e.target === m) m.hidden = true; };
}

boot();
