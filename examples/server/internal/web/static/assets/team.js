// Team views: drafts waiting for approval, my tasks and follow-ups, the
// company's activity log and (for admins) the people of the team.
import { get, post, patch, qs } from './api.js';
import { h, clear, icon, ago, fullDate, contactName } from './util.js';
import { state, problemToast, openConversation, employeeName, describeAudit, plainError } from './inbox.js';

const toast = (...a) => window.inboxToast(...a);
let section = 'drafts';
const filters = { tasksWho: 'me', tasksShow: 'open', auditWho: '', auditWhat: '', auditDays: '7' };

export function renderTeam(root) {
  const admin = state.me.role === 'admin';
  const nav = [['drafts', 'Drafts to approve'], ['work', 'Tasks & follow-ups'], ...(admin ? [['audit', 'Activity log'], ['people', 'People']] : [])];
  if (!nav.some(([k]) => k === section)) section = 'drafts';
  const body = h('div', { class: 'settings-body', id: 'team-body' });
  clear(root,
    h('div', { class: 'page-head' }, h('h1', {}, 'Team')),
    h('div', { class: 'settings' },
      h('nav', { class: 'settings-nav' }, nav.map(([k, label]) => h('button', { class: ['side-item', section === k ? 'active' : ''], dataset: { section: k }, onclick: () => { section = k; renderTeam(root); } }, label))),
      body));
  ({ drafts, work, audit, people })[section](body, admin, () => renderTeam(root));
}

// conversations fetches the conversations a list points to, once each.
async function conversations(ids) {
  const out = new Map();
  await Promise.all([...new Set(ids.filter(Boolean))].map(async (id) => {
    try { out.set(id, (await get(`/inbox/conversations/${id}`)).conversation); } catch { /* deleted */ }
  }));
  return out;
}

function open(id) {
  location.hash = '#/inbox/c/' + id;
  openConversation(id);
}

function convLink(c, id) {
  return h('button', { class: 'link conv-link', onclick: () => open(id) }, c ? `${contactName(c.contact)} — ${c.subject || c.preview || 'conversation'}` : 'Open the conversation');
}

// ---------- drafts ----------

async function drafts(root) {
  clear(root, h('div', { class: 'card' }, h('p', { class: 'muted' }, 'Loading…')));
  const { items } = await get('/inbox/drafts?status=pending');
  const convs = await conversations(items.map(d => d.conversation_id));
  clear(root, h('div', { class: 'card' },
    h('h2', {}, 'Drafts waiting for approval'),
    h('p', { class: 'muted small' }, 'Replies the AI wrote for folders in “draft for approval” mode. Open one to check, edit and send it.'),
    items.length === 0 ? h('p', { class: 'muted', id: 'drafts-empty' }, 'No draft is waiting.') :
      h('ul', { class: 'team-list', id: 'draft-list' }, items.map(d => h('li', { dataset: { id: d.id } },
        h('div', { class: 'team-line' }, convLink(convs.get(d.conversation_id), d.conversation_id),
          h('span', { class: 'muted small' }, `written ${ago(d.created_at)} · confidence ${Math.round(d.confidence * 100)}%`)),
        h('p', { class: 'small clamp' }, d.text))))));
}

// ---------- tasks & follow-ups ----------

async function work(root) {
  const f = filters;
  const [tasks, fus] = await Promise.all([
    get('/inbox/tasks' + qs({ assignee: f.tasksWho === 'me' ? 'me' : '', open: f.tasksShow === 'open' ? 1 : '' })),
    get('/inbox/followups' + qs({ status: f.tasksShow === 'open' ? '' : 'done' })),
  ]);
  const mine = (x) => f.tasksWho !== 'me' || x.assignee === state.me.id || (!x.assignee && x.created_by === state.me.id);
  const followups = fus.items.filter(x => mine(x) && (f.tasksShow === 'open' ? (x.status === 'pending' || x.status === 'due') : true))
    .sort((a, b) => new Date(a.due_at) - new Date(b.due_at));
  const taskItems = tasks.items.sort((a, b) => (a.due_at ? new Date(a.due_at) : Infinity) - (b.due_at ? new Date(b.due_at) : Infinity));
  const convs = await conversations([...taskItems, ...followups].map(x => x.conversation_id));
  const sel = (id, value, options, set) => h('select', { id, onchange: (e) => { set(e.target.value); work(root); } }, options.map(([v, t]) => h('option', { value: v, selected: v === value }, t)));
  clear(root,
    h('div', { class: 'card filters-row' },
      sel('work-who', f.tasksWho, [['me', 'Mine'], ['all', 'Everyone’s']], (v) => { f.tasksWho = v; }),
      sel('work-show', f.tasksShow, [['open', 'To do'], ['done', 'Done']], (v) => { f.tasksShow = v; })),
    h('div', { class: 'card' }, h('h2', {}, icon('task', 16), ' Tasks'),
      taskItems.length === 0 ? h('p', { class: 'muted' }, 'No task here.') :
        h('ul', { class: 'team-list', id: 'my-tasks' }, taskItems.map(t => h('li', { class: t.done ? 'done' : '' },
          h('div', { class: 'team-line' },
            h('label', {}, h('input', { type: 'checkbox', checked: t.done, onchange: async (e) => {
              try { await post(`/inbox/tasks/${t.id}/complete`, { done: e.target.checked }); toast(e.target.checked ? 'Task done' : 'Task reopened'); work(root); } catch (ex) { problemToast(ex); }
            } }), ' ', h('strong', {}, t.title)),
            h('span', { class: 'muted small' }, [t.assignee ? employeeName(t.assignee) : 'nobody', t.due_at ? 'due ' + fullDate(t.due_at) : ''].filter(Boolean).join(' · '))),
          convLink(convs.get(t.conversation_id), t.conversation_id))))),
    h('div', { class: 'card' }, h('h2', {}, icon('clock', 16), ' Follow-ups'),
      followups.length === 0 ? h('p', { class: 'muted' }, 'No follow-up here.') :
        h('ul', { class: 'team-list', id: 'my-followups' }, followups.map(x => h('li', { class: x.status },
          h('div', { class: 'team-line' }, h('strong', {}, x.note || 'Follow up'),
            h('span', { class: ['pill', x.status] }, followUpLabels[x.status] || x.status),
            h('span', { class: 'muted small' }, fullDate(x.due_at), x.if_no_reply ? ' · if the customer does not answer' : '')),
          convLink(convs.get(x.conversation_id), x.conversation_id))))));
}

const followUpLabels = { pending: 'Scheduled', due: 'Due now', done: 'Done', cancelled: 'Cancelled' };

// ---------- activity log ----------

const auditKinds = [['', 'Every action'], ['conversation.status', 'Status changes'], ['conversation.assign', 'Assignments'], ['conversation.move', 'Moves'],
  ['conversation.reply', 'Replies'], ['conversation.note', 'Notes'], ['draft.', 'Drafts'], ['task.', 'Tasks'], ['followup.', 'Follow-ups'],
  ['folder.', 'Folder changes'], ['conversation.classified', 'Automatic filing']];

async function audit(root) {
  const f = filters;
  const since = f.auditDays ? new Date(Date.now() - Number(f.auditDays) * 86400e3).toISOString() : '';
  let items;
  try { ({ items } = await get('/inbox/audit' + qs({ since, limit: 1000 }))); } catch (e) { problemToast(e); return; }
  const shown = items.filter(e => (!f.auditWho || e.actor === f.auditWho) && (!f.auditWhat || e.action === f.auditWhat || (f.auditWhat.endsWith('.') && e.action.startsWith(f.auditWhat))));
  const sel = (id, label, value, options, set) => h('label', { class: 'filter' }, h('span', { class: 'sr-only' }, label),
    h('select', { id, 'aria-label': label, onchange: (e) => { set(e.target.value); audit(root); } }, options.map(([v, t]) => h('option', { value: v, selected: v === value }, t))));
  clear(root,
    h('div', { class: 'card filters-row' },
      sel('audit-who', 'Who', f.auditWho, [['', 'Everyone'], ['system', 'inboxkit (automatic)'], ...state.employees.map(e => [e.id, e.name])], (v) => { f.auditWho = v; }),
      sel('audit-what', 'What', f.auditWhat, auditKinds, (v) => { f.auditWhat = v; }),
      sel('audit-when', 'When', f.auditDays, [['1', 'Last 24 hours'], ['7', 'Last 7 days'], ['30', 'Last 30 days'], ['', 'Any time']], (v) => { f.auditDays = v; })),
    h('div', { class: 'card' }, h('h2', {}, 'Activity log'),
      h('p', { class: 'muted small', id: 'audit-count' }, `${shown.length} action${shown.length === 1 ? '' : 's'}`, items.length === 1000 ? ' among the latest 1000' : ''),
      shown.length === 0 ? h('p', { class: 'muted' }, 'Nothing matches these filters.') :
        h('ul', { class: 'activity team-list', id: 'audit-list' }, shown.slice(0, 300).map(e => h('li', { dataset: { action: e.action } },
          h('strong', {}, e.actor === 'system' ? 'inboxkit' : employeeName(e.actor)), ' ', describeAudit(e),
          e.conversation_id ? [' · ', h('button', { class: 'link small', onclick: () => open(e.conversation_id) }, 'open')] : null,
          h('span', { class: 'muted small', title: fullDate(e.at) }, ' · ' + ago(e.at)))))));
}

// ---------- people ----------

async function people(root, admin, rerender) {
  const { items } = await get('/inbox/employees');
  state.employees = items;
  const name = h('input', { id: 'invite-name', dataset: { field: 'name' }, placeholder: 'Inès Moreau', autocomplete: 'off' });
  const email = h('input', { id: 'invite-email', type: 'email', dataset: { field: 'email' }, placeholder: 'ines@example.com', autocomplete: 'off' });
  const role = h('select', { id: 'invite-role' }, h('option', { value: 'agent' }, 'Agent'), h('option', { value: 'admin' }, 'Admin'));
  const out = h('div', { id: 'invite-result' });
  const form = h('form', { class: 'card form', id: 'invite-form', onsubmit: async (e) => {
    e.preventDefault();
    form.querySelectorAll('.form-error').forEach(x => x.remove());
    try {
      const acc = await post('/inbox/employees', { name: name.value, email: email.value, role: role.value });
      await people(root, admin, rerender);
      root.append(h('div', { class: 'card callout', id: 'invite-done' },
        h('p', {}, `${acc.name} can now sign in with ${acc.email} and this first password. Hand it over in person or by phone; it is not shown again:`),
        h('code', { class: 'mono token' }, acc.password)));
    } catch (ex) {
      form.append(h('p', { class: 'form-error' }, plainError(ex)));
    }
  } },
  h('h2', {}, 'Invite a colleague'), h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Name'), name),
  h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Work email'), email),
  h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Role'), role, h('span', { class: 'muted small' }, 'Admins also change settings, folders, integrations and the team.')),
  h('button', { class: 'btn primary', type: 'submit', id: 'invite-send' }, 'Invite'));
  clear(root,
    h('div', { class: 'card' }, h('h2', {}, 'People'),
      h('table', { class: 'table', id: 'people' }, h('tbody', {}, items.map(p => h('tr', { dataset: { id: p.id } },
        h('td', {}, h('strong', {}, p.name), p.id === state.me.id ? h('span', { class: 'muted small' }, ' (you)') : null),
        h('td', { class: 'small' }, p.email),
        h('td', {}, h('select', { class: 'role-select', 'aria-label': `Role of ${p.name}`, onchange: async (e) => {
          try {
            await patch(`/inbox/employees/${p.id}`, { role: e.target.value });
            toast(`${p.name} is now ${e.target.value === 'admin' ? 'an admin' : 'an agent'}`);
            people(root, admin, rerender);
          } catch (ex) { e.target.value = p.role; toast(plainError(ex), { kind: 'error' }); }
        } }, h('option', { value: 'agent', selected: p.role === 'agent' }, 'Agent'), h('option', { value: 'admin', selected: p.role === 'admin' }, 'Admin')))))))),
    form, out);
}

