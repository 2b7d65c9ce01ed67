// Settings: company settings and reply prompt, folders with the AND/OR
// rule builder and auto-reply, integrations (secrets are write-only),
// knowledge base, API tokens and quarantine.
import { get, post, patch, put, del, api, ApiError } from './api.js';
import { h, $, clear, icon, ago, fullDate, contactName, sourceLabels, statusLabels } from './util.js';
import { state, problemToast, plainError, fieldSentence, loadComposerHelpers } from './inbox.js';

const toast = (...a) => window.inboxToast(...a);
let section = 'folders';
// oauthNotice is the outcome of connecting a mailbox, shown once on the
// integrations page the provider sent the browser back to.
let oauthNotice = null;

export function renderSettings(root) {
  const admin = state.me.role === 'admin';
  const back = location.hash.match(/^#\/settings\/integrations(?:\?(.*))?$/);
  if (back) {
    section = 'integrations';
    const q = new URLSearchParams(back[1] || '');
    if (q.get('oauth')) oauthNotice = q.get('oauth');
    history.replaceState(null, '', '#/settings');
  }
  const nav = [['general', 'Company'], ['folders', 'Folders & rules'], ['replies', 'Saved replies'], ['integrations', 'Integrations'], ['knowledge', 'Knowledge base'], ['tokens', 'API tokens'], ['quarantine', 'Quarantine']];
  const body = h('div', { class: 'settings-body', id: 'settings-body' });
  clear(root,
    h('div', { class: 'page-head' }, h('h1', {}, 'Settings'), admin ? null : h('span', { class: 'pill' }, 'read-only: admins change settings')),
    h('div', { class: 'settings' },
      h('nav', { class: 'settings-nav' }, nav.map(([k, label]) => h('button', { class: ['side-item', section === k ? 'active' : ''], dataset: { section: k }, onclick: () => { section = k; renderSettings(root); } }, label))),
      body));
  ({ general, folders, replies, integrations, knowledge, tokens, quarantine })[section](body, admin);
}

function field(label, input, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), input, hint ? h('span', { class: 'muted small' }, hint) : null);
}

function showFieldErrors(form, e) {
  for (const el of form.querySelectorAll('.field-error')) el.remove();
  if (!(e instanceof ApiError)) { toast(plainError(e), { kind: 'error' }); return; }
  const errs = e.problem.errors || [];
  if (!errs.length) { toast(plainError(e), { kind: 'error' }); return; }
  for (const fe of errs) {
    const target = form.querySelector(`[data-field="${fe.field.split('.')[0].replace(/\[\d+\]$/, '')}"]`) || form;
    target.after(h('p', { class: 'field-error form-error' }, fieldSentence(fe.field, fe.reason)));
  }
}

// ---------- company ----------

async function general(root, admin) {
  const st = await get('/inbox/settings');
  const name = h('input', { value: st.name, dataset: { field: 'name' }, disabled: !admin });
  const tz = h('input', { value: st.time_zone, placeholder: 'Europe/Paris', dataset: { field: 'time_zone' }, disabled: !admin });
  const prompt = h('textarea', { rows: 6, dataset: { field: 'reply_prompt' }, disabled: !admin }, st.reply_prompt);
  const nl = h('select', { dataset: { field: 'newsletter' }, disabled: !admin }, [['', 'Keep (flagged)'], ['skip', 'Skip'], ['spam', 'Mark as spam'], ['folder', 'File in a folder']].map(([v, t]) => h('option', { value: v, selected: st.newsletter === v }, t)));
  const nlFolder = h('select', { dataset: { field: 'newsletter_folder_id' }, disabled: !admin }, h('option', { value: '' }, '—'), state.folders.map(f => h('option', { value: f.id, selected: f.id === st.newsletter_folder_id }, f.name)));
  const mask = h('input', { type: 'checkbox', checked: st.mask_pii, disabled: !admin });
  const form = h('form', { class: 'card form', onsubmit: async (e) => {
    e.preventDefault();
    try {
      await patch('/inbox/settings', { name: name.value, time_zone: tz.value, reply_prompt: prompt.value, newsletter: nl.value, newsletter_folder_id: nlFolder.value, mask_pii: mask.checked });
      toast('Settings saved');
    } catch (ex) { showFieldErrors(form, ex); }
  } },
  h('h2', {}, 'Company'),
  field('Name', name), field('Time zone', tz, 'Used to group statistics by day.'),
  field('Reply prompt', prompt, 'How AI replies should sound. Required before a folder can answer automatically.'),
  field('Newsletters', nl), field('Newsletter folder', nlFolder),
  h('label', { class: 'check' }, mask, ' Mask emails and phone numbers before text is sent to the AI model'),
  h('div', { class: 'ai-state' }, icon('spark'), st.features.ai ? ` AI is on (${st.features.ai_model || 'default model'}).` : ' AI is off: rules and the offline learner classify; drafts and summaries need an OpenAI key.'),
  admin ? h('button', { class: 'btn primary', type: 'submit' }, 'Save') : null);
  clear(root, form);
}

// ---------- folders & rules ----------

const fields = [['subject', 'Subject'], ['body', 'Message'], ['sender_email', 'Sender email'], ['sender_domain', 'Sender domain'], ['sender_name', 'Sender name'],
  ['sender_phone', 'Sender phone'], ['recipients', 'Recipients'], ['channel', 'Channel'], ['language', 'Language'], ['has_attachment', 'Has attachment']];
const ops = [['contains', 'contains'], ['not_contains', 'does not contain'], ['equals', 'is'], ['not_equals', 'is not'], ['starts_with', 'starts with'], ['ends_with', 'ends with'], ['matches', 'matches regex'], ['in', 'is one of']];

let editing = null;

async function folders(root, admin) {
  const { items } = await get('/inbox/folders');
  if (editing && !items.find(f => f.id === editing)) editing = null;
  const list = h('div', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', {}, 'Folders'),
    admin ? h('button', { class: 'btn small', id: 'new-folder', onclick: async () => {
      const name = prompt('Folder name');
      if (!name) return;
      try { const f = await post('/inbox/folders', { name }); editing = f.id; folders(root, admin); } catch (e) { problemToast(e); }
    } }, icon('plus', 14), ' New folder') : null),
  h('p', { class: 'muted small' }, 'Folders are tried from top to bottom: the first one whose rules match files the conversation.'),
  h('ol', { class: 'folder-admin', id: 'folder-order' }, items.map((f, i) => h('li', { class: editing === f.id ? 'active' : '', dataset: { id: f.id },
    draggable: admin ? 'true' : null,
    ondragstart: (e) => { e.dataTransfer.setData('text/folder', f.id); e.dataTransfer.effectAllowed = 'move'; },
    ondragover: (e) => { if (admin) { e.preventDefault(); e.currentTarget.classList.add('drop'); } },
    ondragleave: (e) => e.currentTarget.classList.remove('drop'),
    ondrop: (e) => {
      e.preventDefault();
      e.currentTarget.classList.remove('drop');
      const from = items.findIndex(x => x.id === e.dataTransfer.getData('text/folder'));
      if (from >= 0 && from !== i) moveFolder(items, from, i);
    } },
    h('div', { class: 'folder-admin-main' },
      h('button', { class: 'link folder-name', onclick: () => { editing = f.id; folders(root, admin); } }, f.name),
      h('span', { class: 'muted small' }, f.rules && f.rules !== null ? 'rules' : 'no rules', autoReplyNote(f.auto_reply.mode)),
      f.rules_error ? h('span', { class: 'pill st urgent' }, 'rules need fixing') : null),
    admin ? h('span', { class: 'order-btns' },
      h('button', { type: 'button', class: 'icon-btn move-up', disabled: i === 0, 'aria-label': `Move ${f.name} up`, title: 'Try earlier', onclick: () => reorder(items, i, -1) }, '↑'),
      h('button', { type: 'button', class: 'icon-btn move-down', disabled: i === items.length - 1, 'aria-label': `Move ${f.name} down`, title: 'Try later', onclick: () => reorder(items, i, 1) }, '↓')) : null))));
  const moveFolder = async (list, from, to) => {
    const ids = list.map(x => x.id);
    const [moved] = ids.splice(from, 1);
    ids.splice(to, 0, moved);
    try { await put('/inbox/folder-order', { ids }); toast('Folder order saved'); folders(root, admin); } catch (e) { problemToast(e); }
  };
  const reorder = (list, i, delta) => moveFolder(list, i, i + delta);
  const f = items.find(x => x.id === editing) || items[0];
  clear(root, h('div', { class: 'split' }, list, f ? folderEditor(f, admin, () => folders(root, admin)) : h('div', { class: 'card muted' }, 'No folder yet.')));
}

function autoReplyNote(mode) {
  if (mode === 'approve') return ' · drafts replies for approval';
  if (mode === 'auto') return ' · replies automatically';
  return '';
}

// toTree turns stored rules into the builder's model. Each condition
// keeps the stored node it came from: saving a folder without touching a
// condition writes it back exactly, whatever the builder can express.
function toTree(rules) {
  const node = (n) => {
    if (!n || Object.keys(n).length === 0) return { kind: 'group', op: 'any', children: [] };
    for (const op of ['all', 'any', 'none']) if (n[op]) return { kind: 'group', op, children: n[op].map(node) };
    if (n.expr) return { kind: 'expr', expr: n.expr, raw: n };
    return { kind: 'cond', field: n.field || 'subject', op: n.op || 'contains', raw: n,
      value: Array.isArray(n.value) ? n.value.join(', ') : n.value === true ? 'true' : n.value === false ? 'false' : (n.value ?? '') };
  };
  const root = rules ? { ...rules } : null;
  if (root) delete root.actions;
  const t = node(root);
  // A single condition at the top is shown inside a group and saved back alone.
  return t.kind === 'group' ? t : { kind: 'group', op: 'all', children: [t], wrapped: true };
}

function fromTree(t) {
  if (t.kind === 'group') {
    if (t.wrapped && t.op === 'all' && t.children.length === 1) return fromTree(t.children[0]);
    return { [t.op]: t.children.map(fromTree) };
  }
  if (t.raw && !t.dirty) return t.raw;
  if (t.kind === 'expr') return { expr: t.expr };
  let value = t.value;
  if (t.field === 'has_attachment') value = t.value !== 'false';
  else if (t.op === 'in') value = String(t.value).split(',').map(v => v.trim()).filter(Boolean);
  return { field: t.field, op: t.op, value };
}

function groupEl(g, rerender, onRemove, depth = 0) {
  return h('div', { class: ['rule-group', 'depth' + (depth % 3)] },
    h('div', { class: 'rule-group-head' },
      h('select', { class: 'combinator', 'aria-label': 'Match', onchange: (e) => { g.op = e.target.value; g.wrapped = false; rerender(); } },
        [['all', 'ALL of (AND)'], ['any', 'ANY of (OR)'], ['none', 'NONE of (NOT)']].map(([v, t]) => h('option', { value: v, selected: g.op === v }, t))),
      h('span', { class: 'grow' }),
      h('button', { type: 'button', class: 'btn small ghost add-cond', onclick: () => { g.children.push({ kind: 'cond', field: 'subject', op: 'contains', value: '' }); rerender(); } }, '+ Condition'),
      h('button', { type: 'button', class: 'btn small ghost add-group', onclick: () => { g.children.push({ kind: 'group', op: 'any', children: [{ kind: 'cond', field: 'body', op: 'contains', value: '' }] }); rerender(); } }, '+ Group'),
      onRemove ? h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Remove group', onclick: onRemove }, icon('x', 14)) : null),
    g.children.length === 0 ? h('p', { class: 'muted small' }, 'No condition: this folder never matches.') : null,
    g.children.map((c, i) => {
      const remove = () => { g.children.splice(i, 1); rerender(); };
      if (c.kind === 'group') return groupEl(c, rerender, remove, depth + 1);
      if (c.kind === 'expr') return h('div', { class: 'rule-cond' }, h('input', { class: 'grow', value: c.expr, 'aria-label': 'Advanced expression', oninput: (e) => { c.expr = e.target.value; c.dirty = true; } }), h('button', { type: 'button', class: 'icon-btn', onclick: remove, 'aria-label': 'Remove' }, icon('x', 14)));
      return h('div', { class: 'rule-cond' },
        h('select', { 'aria-label': 'Field', onchange: (e) => { c.field = e.target.value; c.dirty = true; rerender(); } }, fields.map(([v, t]) => h('option', { value: v, selected: c.field === v }, t))),
        c.field === 'has_attachment' ? h('select', { 'aria-label': 'Value', onchange: (e) => { c.value = e.target.value; c.dirty = true; } }, h('option', { value: 'true', selected: c.value !== 'false' }, 'yes'), h('option', { value: 'false', selected: c.value === 'false' }, 'no'))
          : [h('select', { 'aria-label': 'Operator', onchange: (e) => { c.op = e.target.value; c.dirty = true; } }, ops.map(([v, t]) => h('option', { value: v, selected: c.op === v }, t))),
            h('input', { class: 'grow rule-value', value: c.value, placeholder: c.op === 'in' ? 'a, b, c' : 'value', oninput: (e) => { c.value = e.target.value; c.dirty = true; } })],
        h('button', { type: 'button', class: 'icon-btn', onclick: remove, 'aria-label': 'Remove condition' }, icon('x', 14)));
    }));
}

const intentLabels = { question: 'Question', complaint: 'Complaint', order: 'Order', appointment: 'Appointment', invoice: 'Invoice or payment',
  cancellation: 'Cancellation', urgent: 'Urgent', spam: 'Spam', other: 'Other' };
const urgencyLabels = { low: 'Low', normal: 'Normal', high: 'High' };

// choice is a <select> of [value, label] pairs that always offers the
// current value, so a value the list does not know survives a save.
function choice(current, none, pairs, attrs = {}) {
  const known = pairs.some(([v]) => v === current);
  return h('select', attrs, h('option', { value: '' }, none),
    pairs.map(([v, t]) => h('option', { value: v, selected: current === v }, t)),
    current && !known ? h('option', { value: current, selected: true }, current) : null);
}

function folderEditor(f, admin, reload) {
  const tree = toTree(f.rules);
  // Every stored action is kept: the controls below change the ones they
  // show, the others are written back as they were.
  const actions = { ...(f.rules?.actions || {}) };
  const builder = h('div', { class: 'rule-builder', dataset: { field: 'rules' } });
  const rerender = () => clear(builder, groupEl(tree, rerender, null));
  rerender();
  const name = h('input', { value: f.name, dataset: { field: 'name' } });
  const desc = h('textarea', { rows: 2, dataset: { field: 'description' } }, f.description);
  const status = choice(actions.status || '', 'keep', ['urgent', 'spam', 'open'].map(v => [v, statusLabels[v]]), { id: 'action-status' });
  const intent = choice(actions.intent || '', 'not set', Object.entries(intentLabels), { id: 'action-intent' });
  const urgency = choice(actions.urgency || '', 'not set', Object.entries(urgencyLabels), { id: 'action-urgency' });
  const tags = h('input', { id: 'action-tags', value: (actions.tags || []).join(', '), placeholder: 'tag, tag' });
  const assign = choice(actions.assign || '', 'nobody', state.employees.map(e => [e.id, e.name]), { id: 'action-assign' });
  const noMove = h('input', { type: 'checkbox', id: 'action-nomove', checked: !!actions.no_move });
  const mode = h('select', { id: 'autoreply-mode', dataset: { field: 'auto_reply' } }, [['', 'Off'], ['approve', 'Draft for approval'], ['auto', 'Send automatically']].map(([v, t]) => h('option', { value: v, selected: (f.auto_reply.mode || '') === v }, t)));
  const fprompt = h('textarea', { rows: 3, placeholder: 'Extra instructions for this folder' }, f.auto_reply.prompt || '');
  const useKB = h('input', { type: 'checkbox', checked: !!f.auto_reply.use_knowledge });
  const aiWarning = h('p', { class: 'callout warn small', id: 'autoreply-warning', role: 'status' });
  const showAIWarning = () => {
    const on = !state.features.ai && mode.value !== '';
    aiWarning.hidden = !on;
    aiWarning.textContent = on ? (mode.value === 'approve'
      ? 'AI is off on this server, so no draft will be written for this folder: nothing will wait for approval. Ask your administrator to connect an AI model, or turn automatic replies off.'
      : 'AI is off on this server, so no reply will be sent automatically from this folder. Ask your administrator to connect an AI model, or turn automatic replies off.') : '';
  };
  mode.addEventListener('change', showAIWarning);
  showAIWarning();
  const previewOut = h('div', { class: 'preview', id: 'rule-preview' });
  const rules = () => {
    const r = tree.children.length ? fromTree(tree) : null;
    const a = { ...actions };
    const set = (k, v) => { if (v === undefined || v === '' || v === false || (Array.isArray(v) && v.length === 0)) delete a[k]; else a[k] = v; };
    set('status', status.value);
    set('intent', intent.value);
    set('urgency', urgency.value);
    set('assign', assign.value);
    const t = tags.value.split(',').map(x => x.trim()).filter(Boolean);
    set('tags', t.length === (actions.tags || []).length && t.every((x, i) => x === actions.tags[i]) ? actions.tags : t);
    set('no_move', noMove.checked);
    if (r && Object.keys(a).length) return { ...r, actions: a };
    return r;
  };
  const form = h('form', { class: 'card form folder-editor', onsubmit: async (e) => {
    e.preventDefault();
    try {
      await patch(`/inbox/folders/${f.id}`, { name: name.value, description: desc.value, rules: rules(), version: f.version,
        auto_reply: { ...f.auto_reply, mode: mode.value, prompt: fprompt.value, use_knowledge: useKB.checked } });
      toast('Folder saved');
      reload();
    } catch (ex) { showFieldErrors(form, ex); }
  } },
  h('div', { class: 'card-head' }, h('h2', {}, f.name),
    admin ? h('button', { type: 'button', class: 'btn small danger', onclick: async () => {
      if (!confirm(`Delete folder ${f.name}? Its conversations become unfiled.`)) return;
      try { await del(`/inbox/folders/${f.id}`); editing = null; reload(); } catch (ex) { problemToast(ex); }
    } }, 'Delete') : null),
  f.rules_error ? h('p', { class: 'form-error', title: f.rules_error }, 'The saved rules of this folder are not valid, so its previous rules still apply. Check each condition and save again.') : null,
  field('Name', name), field('Description', desc, 'Helps the AI classifier decide what belongs here.'),
  h('h3', {}, 'Rules'), h('p', { class: 'muted small' }, 'Text comparisons ignore case and accents. Folders are tried in order; the first match files the conversation.'),
  builder,
  h('div', { class: 'grid3' }, field('Then set status', status), field('Set intent', intent), field('Set urgency', urgency),
    field('Add tags', tags), field('Assign to', assign)),
  h('label', { class: 'check' }, noMove, ' Only apply these actions: keep trying the next folders for filing'),
  h('div', { class: 'row-actions' },
    h('button', { type: 'button', class: 'btn ghost', id: 'preview-rules', onclick: async () => {
      try {
        const res = await post('/inbox/rules/preview', { rules: rules() || {}, limit: 200 });
        clear(previewOut, h('p', { class: 'small' }, h('strong', {}, `${res.matched} of ${res.scanned}`), ' recent conversations would match.'),
          res.note ? h('p', { class: 'muted small' }, 'Partial preview: ' + res.note + '.') : null,
          h('ul', { class: 'history' }, res.items.slice(0, 12).map(m => h('li', {}, h('span', {}, contactName(m.conversation.contact)), h('span', { class: 'muted small' }, m.conversation.subject || m.conversation.preview || '')))));
      } catch (ex) { showFieldErrors(form, ex); }
    } }, 'Preview matches')),
  previewOut,
  h('h3', {}, 'Automatic replies'),
  field('Mode', mode), aiWarning,
  field('Folder prompt', fprompt),
  h('label', { class: 'check' }, useKB, ' Use the knowledge base'),
  admin ? h('div', { class: 'row-actions' }, h('button', { class: 'btn primary', type: 'submit', id: 'save-folder' }, 'Save folder')) : null);
  return form;
}

// ---------- saved replies ----------

async function replies(root, admin) {
  const { items } = await get('/inbox/saved-replies');
  const save = async (next, done) => {
    try {
      const r = await put('/inbox/saved-replies', { items: next });
      state.savedReplies = r.items;
      toast(done);
      loadComposerHelpers();
      replies(root, admin);
    } catch (ex) { showFieldErrors(form, ex); }
  };
  const title = h('input', { id: 'saved-title', dataset: { field: 'items' }, placeholder: 'Delivery times' });
  const text = h('textarea', { id: 'saved-text', rows: 5, placeholder: 'Hello, our deliveries take 3 to 5 working days…' });
  const form = h('form', { class: 'card form', onsubmit: (e) => { e.preventDefault(); save([...items, { title: title.value, text: text.value }], 'Saved reply added'); } },
    h('h2', {}, 'Add a saved reply'), field('Title', title), field('Text', text), h('button', { class: 'btn primary', type: 'submit', id: 'saved-add' }, 'Add'));
  clear(root, h('div', { class: 'card' }, h('h2', {}, 'Saved replies'),
    h('p', { class: 'muted small' }, 'Answers the team sends often. Agents insert them from the composer and adapt them before sending.'),
    items.length === 0 ? h('p', { class: 'muted' }, 'No saved reply yet.') :
      h('ul', { class: 'docs', id: 'saved-list' }, items.map((r, i) => h('li', {}, h('strong', {}, r.title), h('p', { class: 'small clamp' }, r.text),
        admin ? h('button', { class: 'link small', onclick: () => save(items.filter((_, j) => j !== i), 'Saved reply deleted') }, 'Delete') : null)))),
  admin ? form : null);
}

// ---------- integrations ----------

const kindFields = {
  email: { config: ['address', 'display_name', 'imap_host', 'imap_port', 'smtp_host', 'smtp_port', 'username'], secrets: ['password'] },
  sms: { config: ['from', 'api_key', 'signature_method'], secrets: ['api_secret', 'signature_secret'] },
  whatsapp: { config: ['from', 'application_id'], secrets: ['private_key', 'signature_secret'] },
  webhook: { config: [], secrets: ['signing_secret'] },
};

// oauthOutcomes says, in words, how connecting a mailbox ended.
const oauthOutcomes = {
  connected: ['ok', 'Mailbox connected. Its mail will appear in the inbox within a few minutes.'],
  denied: ['error', 'The connection was cancelled on the provider’s page. Nothing was changed.'],
  expired: ['error', 'The connection took too long, or was started in another window or session. Please try again.'],
  failed: ['error', 'The provider did not confirm the connection. Please try again in a moment.'],
  refused: ['error', 'The provider confirmed, but the mailbox refused to open. Check that IMAP is turned on for this account, then try again.'],
  unreachable: ['error', 'You signed in, but the mail server could not be reached to check the mailbox. Nothing was saved; please try again in a moment.'],
  norefresh: ['error', 'The provider did not grant lasting access. Remove this app from the account’s security settings, then connect again.'],
};

const providerName = (id) => (state.features.oauth_providers || []).find(p => p.id === id)?.name || id;

// secretLabel names a stored secret for people.
const secretLabel = (i, s) => s === 'oauth_refresh_token' ? `signed in with ${providerName(i.config.oauth_provider)}` : s;

// connectMailbox sends the browser to the provider's sign-in page; it
// comes back to #/settings/integrations with the outcome.
async function connectMailbox(provider, body, form) {
  try {
    const { authorize_url } = await post(`/inbox/oauth/${provider}/start`, body);
    location.assign(authorize_url);
  } catch (ex) { if (form) showFieldErrors(form, ex); else problemToast(ex); }
}

function connectCard() {
  const providers = state.features.oauth_providers || [];
  if (!providers.length) return null;
  const address = h('input', { type: 'email', dataset: { field: 'address' }, id: 'oauth-address', placeholder: 'support@company.com', autocomplete: 'email' });
  const form = h('form', { class: 'card form', id: 'connect-mailbox', onsubmit: (e) => e.preventDefault() },
    h('h2', {}, 'Connect a mailbox'),
    h('p', { class: 'muted' }, 'Sign in with the mailbox’s account: no password is stored here, only a permission you can withdraw at any time.'),
    field('Mailbox address', address),
    h('div', { class: 'row-actions' }, providers.map(p => h('button', { class: 'btn primary', type: 'button', dataset: { provider: p.id },
      onclick: () => connectMailbox(p.id, { address: address.value }, form) }, `Connect ${p.name}`))));
  return form;
}

// healthLabels name an integration's health for people; each state has
// its own colour (app.css .pill.health).
const healthLabels = { ok: 'Working', degraded: 'Having trouble', failing: 'Failing', disabled: 'Disabled' };

// syncNotice is the outcome of the last "Sync now", kept on the page until
// it is dismissed (a failure must not vanish with a toast).
let syncNotice = null;

// healthCell shows the state, and for a failing or troubled integration
// what went wrong, since when and when it is tried again.
function healthCell(i) {
  const hs = i.health || { state: i.enabled ? 'ok' : 'disabled' };
  const pill = h('span', { class: ['pill', 'health', hs.state], dataset: { health: hs.state } }, healthLabels[hs.state] || hs.state);
  if (hs.state !== 'degraded' && hs.state !== 'failing') return h('td', {}, pill);
  const when = (iso) => iso && !iso.startsWith('0001') ? fullDate(iso) : '';
  const next = when(hs.next_attempt);
  return h('td', { class: 'health-cell' }, pill,
    h('details', { class: 'health-details', open: hs.state === 'failing', dataset: { integration: i.id } },
      h('summary', {}, 'Details'),
      h('p', { class: 'health-problem' }, hs.problem || 'The last sync failed.'),
      h('p', { class: 'small' }, h('span', { class: 'muted' }, 'Failing since '), h('span', { class: 'health-since' }, when(hs.failing_since) || '—'),
        hs.failures > 1 ? h('span', { class: 'muted' }, ` · ${hs.failures} failed attempts in a row`) : null),
      h('p', { class: 'small' }, h('span', { class: 'muted' }, 'Next try '),
        h('span', { class: 'health-next' }, next || 'after its settings are changed'))));
}

// integrationErrors shows why a save was refused: the missing setting
// next to its input, or the failed connection test in words with the
// offer to save the integration anyway, switched off.
function integrationErrors(form, e, saveAnyway) {
  for (const el of form.querySelectorAll('.field-error, .test-failed')) el.remove();
  if (!(e instanceof ApiError)) { toast(plainError(e), { kind: 'error' }); return; }
  if (e.problem.type === '/inbox/problems/connection-test-failed') {
    form.querySelector('[type=submit]').before(h('div', { class: 'test-failed card notice error', role: 'alert', id: 'test-failed' },
      h('p', {}, h('strong', {}, 'The connection test failed. '), e.problem.detail || 'The service did not accept these settings.'),
      h('p', { class: 'small muted' }, 'Check the settings and add it again, or save it switched off and fix it later.'),
      h('button', { class: 'btn small', type: 'button', id: 'save-anyway', onclick: saveAnyway }, 'Save anyway, disabled')));
    return;
  }
  const errs = e.problem.errors || [];
  if (!errs.length) { toast(plainError(e), { kind: 'error' }); return; }
  for (const fe of errs) {
    const [group, key] = fe.field.split('.');
    const target = form.querySelector(`[data-cfg="${key}"], [data-secret="${key}"]`) || form.querySelector(`[data-field="${group}"]`) || form;
    const label = /^is required: (.+)$/.exec(fe.reason || '');
    target.after(h('p', { class: 'field-error form-error' }, label ? `${label[1]} is required.` : fieldSentence(fe.field, fe.reason)));
  }
}

async function integrations(root, admin) {
  const { items } = await get('/inbox/integrations');
  const notice = oauthNotice && oauthOutcomes[oauthNotice];
  oauthNotice = null;
  const kind = h('select', { dataset: { field: 'kind' } }, Object.entries(sourceLabels).map(([v, t]) => h('option', { value: v }, t)));
  const name = h('input', { dataset: { field: 'name' }, placeholder: 'Support mailbox' });
  const dyn = h('div', { class: 'dyn' });
  const renderDyn = () => clear(dyn, kindFields[kind.value].config.map(k => field(k, h('input', { dataset: { cfg: k, field: 'config' } }))),
    kindFields[kind.value].secrets.map(k => field(k + ' (secret)', h('input', { type: 'password', autocomplete: 'new-password', dataset: { secret: k, field: 'secrets' } }), 'Sealed with the master key; never shown again.')));
  kind.onchange = renderDyn;
  renderDyn();
  const form = h('form', { class: 'card form', onsubmit: async (e) => {
    e.preventDefault();
    const config = {}, secrets = {};
    dyn.querySelectorAll('[data-cfg]').forEach(i => { if (i.value) config[i.dataset.cfg] = i.value; });
    dyn.querySelectorAll('[data-secret]').forEach(i => { if (i.value) secrets[i.dataset.secret] = i.value; });
    const body = { kind: kind.value, name: name.value, config, secrets };
    const saveAnyway = async () => {
      try { await post('/inbox/integrations?test=false', { ...body, enabled: false }); toast('Integration saved, switched off'); integrations(root, admin); } catch (ex) { integrationErrors(form, ex, saveAnyway); }
    };
    try { await post('/inbox/integrations', body); toast('Integration added: the connection test passed'); integrations(root, admin); } catch (ex) { integrationErrors(form, ex, saveAnyway); }
  } }, h('h2', {}, 'Add an integration'), field('Channel', kind), field('Name', name), dyn, h('button', { class: 'btn primary', type: 'submit' }, 'Add'));
  clear(root,
    h('div', { class: 'card' }, h('h2', {}, 'Integrations'),
      h('table', { class: 'table' }, h('thead', {}, h('tr', {}, ['Name', 'Channel', 'Status', 'Last sync', 'Secrets', 'Webhook', ''].map(t => h('th', {}, t)))),
        h('tbody', {}, items.map(i => h('tr', {},
          h('td', {}, i.name, i.config.sandbox === 'true' ? h('span', { class: 'pill' }, 'sandbox') : null),
          h('td', {}, sourceLabels[i.kind]),
          healthCell(i),
          h('td', { class: 'small' }, i.last_sync?.finished_at && !i.last_sync.finished_at.startsWith('0001')
            ? `${ago(i.last_sync.finished_at)} · ${i.last_sync.failures ? 'failed' : `${i.last_sync.new} new`}` : '—'),
          h('td', { class: 'small' }, i.secrets_set.length ? i.secrets_set.map(s => h('span', { class: 'pill' }, secretLabel(i, s) + ' ✓')) : '—'),
          h('td', { class: 'small mono' }, i.webhook_url || ''),
          h('td', {}, i.kind === 'email' && i.config.sandbox !== 'true' ? h('button', { class: 'btn small ghost', onclick: async () => {
            try {
              const r = await post(`/inbox/integrations/${i.id}/sync`);
              syncNotice = ['ok', `${i.name}: synced, ${r.new} new ${r.new === 1 ? 'message' : 'messages'}.`];
            } catch (ex) {
              // The server explains a failed sync in words (problem detail);
              // other failures get the generic sentence.
              const why = ex instanceof ApiError && ex.status === 502 && ex.problem.detail ? ex.problem.detail : plainError(ex);
              syncNotice = ['error', `${i.name} could not be synced. ${why}`];
            }
            integrations(root, admin);
          } }, 'Sync now') : null,
          admin ? h('button', { class: 'btn small ghost', onclick: async () => {
            try { await patch(`/inbox/integrations/${i.id}`, { enabled: !i.enabled, version: i.version }); integrations(root, admin); } catch (ex) {
              if (!(ex instanceof ApiError && ex.problem.type === '/inbox/problems/connection-test-failed')) { problemToast(ex); return; }
              syncNotice = ['error', `${i.name} was not switched on: the connection test failed. ${ex.problem.detail || ''}`];
              integrations(root, admin);
            }
          } }, i.enabled ? 'Disable' : 'Enable') : null,
          admin && i.kind === 'whatsapp' ? h('button', { class: 'btn small ghost', dataset: { templates: i.id },
            onclick: () => { templatesOf = i.id; integrations(root, admin); } }, `Templates (${(i.templates || []).length})`) : null,
          admin && i.config.auth === 'xoauth2' && i.config.oauth_provider ? h('button', { class: 'btn small ghost', dataset: { reconnect: i.id },
            onclick: () => connectMailbox(i.config.oauth_provider, { address: i.config.address || i.config.username || '', integration_id: i.id }) }, 'Connect again') : null)))))),
    admin && items.some(i => i.id === templatesOf) ? templatesCard(items.find(i => i.id === templatesOf), () => integrations(root, admin)) : null,
    admin ? connectCard() : null,
    admin ? form : null);
  if (notice) root.prepend(h('div', { class: ['card', 'notice', notice[0]], id: 'oauth-notice', role: 'status' }, notice[1]));
  if (syncNotice) {
    const [kindOf, text] = syncNotice;
    const el = h('div', { class: ['card', 'notice', kindOf], id: 'sync-notice', role: kindOf === 'error' ? 'alert' : 'status' },
      h('span', {}, text), ' ', h('button', { class: 'link', type: 'button', onclick: () => { syncNotice = null; el.remove(); } }, 'Dismiss'));
    root.prepend(el);
  }
}

// ---------- WhatsApp templates ----------

// templatesOf is the WhatsApp integration whose approved templates are
// being edited.
let templatesOf = '';

// placeholders counts a body's {{n}}: the highest number used.
const placeholders = (body) => Math.max(0, ...[...body.matchAll(/\{\{\s*(\d+)\s*\}\}/g)].map(m => Number(m[1])));

// templatesCard lists the templates WhatsApp approved for a number and
// declares more: replies outside the 24-hour window can only use these.
function templatesCard(i, reload) {
  const list = i.templates || [];
  const save = async (next, done, form) => {
    try {
      await patch(`/inbox/integrations/${i.id}?test=false`, { templates: next, version: i.version });
      toast(done);
      reload();
    } catch (ex) { if (form) showFieldErrors(form, ex); else problemToast(ex); }
  };
  const name = h('input', { id: 'template-name', dataset: { field: 'templates' }, placeholder: 'order_ready', autocomplete: 'off' });
  const locale = h('input', { id: 'template-locale', placeholder: 'fr', value: 'fr', autocomplete: 'off' });
  const body = h('textarea', { id: 'template-body', rows: 3, placeholder: 'Bonjour {{1}}, votre commande {{2}} est prête.' });
  const form = h('form', { class: 'form', onsubmit: (e) => {
    e.preventDefault();
    const t = { name: name.value.trim(), locale: locale.value.trim(), body: body.value, parameters: placeholders(body.value) };
    save([...list, t], 'Template added', form);
  } }, h('h3', {}, 'Add an approved template'),
    field('Name, as approved by WhatsApp', name), field('Language', locale, 'As approved: fr, en_GB, es…'),
    field('Text', body, 'Copy the approved text; {{1}}, {{2}}… are the fields the agent fills in.'),
    h('button', { class: 'btn primary', type: 'submit', id: 'template-add' }, 'Add'));
  return h('div', { class: 'card', id: 'templates-card' }, h('h2', {}, `Approved templates · ${i.name}`),
    h('p', { class: 'muted small' }, 'Once a customer has not written for 24 hours, WhatsApp only delivers these templates. Declare them exactly as WhatsApp approved them.'),
    list.length === 0 ? h('p', { class: 'muted' }, 'No template declared yet.') :
      h('ul', { class: 'docs', id: 'template-list' }, list.map((t, j) => h('li', {}, h('strong', {}, `${t.name} (${t.locale})`),
        h('p', { class: 'small' }, t.body), h('span', { class: 'muted small' }, t.parameters === 1 ? '1 field ' : `${t.parameters} fields `),
        h('button', { class: 'link small', type: 'button', onclick: () => save(list.filter((_, k) => k !== j), 'Template removed') }, 'Remove')))),
    form,
    h('button', { class: 'btn ghost small', type: 'button', onclick: () => { templatesOf = ''; reload(); } }, 'Close'));
}

// ---------- knowledge ----------

async function knowledge(root, admin) {
  let items;
  try { ({ items } = await get('/inbox/knowledge')); } catch (e) {
    clear(root, h('div', { class: 'card' }, h('h2', {}, 'Knowledge base'), h('p', { class: 'muted' }, e.status === 501 ? 'This store does not keep a knowledge base yet.' : plainError(e))));
    return;
  }
  const title = h('input', { dataset: { field: 'title' } });
  const body = h('textarea', { rows: 8, dataset: { field: 'body' }, placeholder: 'Delivery times, return policy, opening hours…' });
  const form = h('form', { class: 'card form', onsubmit: async (e) => {
    e.preventDefault();
    try { await post('/inbox/knowledge', { title: title.value, body: body.value, format: 'markdown' }); toast('Document added'); knowledge(root, admin); } catch (ex) { showFieldErrors(form, ex); }
  } }, h('h2', {}, 'Add a document'), field('Title', title), field('Text (Markdown)', body), h('button', { class: 'btn primary', type: 'submit' }, 'Add'));
  clear(root, h('div', { class: 'card' }, h('h2', {}, 'Knowledge base'), h('p', { class: 'muted small' }, 'Passages of these documents are given to the AI when it drafts replies, and cited.'),
    items.length === 0 ? h('p', { class: 'muted' }, 'No document yet.') :
      h('ul', { class: 'docs' }, items.map(d => h('li', {}, h('strong', {}, d.title), h('span', { class: 'muted small' }, ` · updated ${ago(d.updated_at)}`),
        h('p', { class: 'small clamp' }, d.body),
        admin ? h('button', { class: 'link small', onclick: async () => { try { await del(`/inbox/knowledge/${d.id}`); knowledge(root, admin); } catch (ex) { problemToast(ex); } } }, 'Delete') : null)))),
  admin ? form : null);
}

// ---------- tokens ----------

async function tokens(root, admin) {
  if (!admin) { clear(root, h('div', { class: 'card muted' }, 'Only admins manage API tokens.')); return; }
  const { items } = await get('/inbox/tokens');
  const name = h('input', { placeholder: 'CRM sync', dataset: { field: 'name' } });
  const role = h('select', {}, h('option', { value: 'agent' }, 'agent'), h('option', { value: 'admin' }, 'admin'));
  const out = h('div');
  const form = h('form', { class: 'card form', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const t = await post('/inbox/tokens', { name: name.value, role: role.value });
      clear(out, h('div', { class: 'callout' }, h('p', {}, 'Copy this token now; it will not be shown again:'), h('code', { class: 'mono token' }, t.token)));
      tokens(root, admin).then(() => root.append(out));
    } catch (ex) { showFieldErrors(form, ex); }
  } }, h('h2', {}, 'New API token'), field('Name', name), field('Role', role), h('button', { class: 'btn primary', type: 'submit' }, 'Create'));
  clear(root, h('div', { class: 'card' }, h('h2', {}, 'API tokens'), h('p', { class: 'muted small' }, 'Use as “Authorization: Bearer <token>” with the REST API (see openapi.yaml).'),
    h('table', { class: 'table' }, h('tbody', {}, items.map(t => h('tr', {}, h('td', {}, t.name), h('td', { class: 'mono' }, t.prefix + '…'), h('td', {}, t.role), h('td', { class: 'small' }, ago(t.created_at)),
      h('td', {}, h('button', { class: 'btn small ghost', onclick: async () => { await del(`/inbox/tokens/${t.id}`); tokens(root, admin); } }, 'Revoke'))))))), form);
}

// ---------- quarantine ----------

async function quarantine(root, admin) {
  const { items } = await get('/inbox/quarantine?all=1');
  clear(root, h('div', { class: 'card' }, h('h2', {}, 'Quarantine'), h('p', { class: 'muted small' }, 'Messages that could not be read are kept here with their error instead of blocking the sync. Replay them once the cause is fixed.'),
    items.length === 0 ? h('p', { class: 'muted' }, 'Nothing in quarantine. 🎉') :
      h('table', { class: 'table' }, h('tbody', {}, items.map(q => h('tr', {}, h('td', {}, sourceLabels[q.source]), h('td', { class: 'small' }, q.error), h('td', { class: 'small' }, fullDate(q.created_at)),
        h('td', {}, q.replayed_at ? h('span', { class: 'pill ok' }, 'replayed') : admin ? h('button', { class: 'btn small', onclick: async () => {
          try { await post(`/inbox/quarantine/${q.id}/replay`); toast('Replayed'); quarantine(root, admin); } catch (ex) { problemToast(ex); }
        } }, 'Replay') : null)))))));
}
