// Statistics: volume over time, distributions and response times, drawn
// as inline SVG charts.
import { get, qs } from './api.js';
import { h, s, clear, duration, hue, statusLabels, sourceLabels } from './util.js';
import { state, plainError } from './inbox.js';

let range = 30;
let granularity = '';

// The intents rules and the AI set, in words.
const intentNames = { question: 'Question', complaint: 'Complaint', order: 'Order', appointment: 'Appointment', invoice: 'Invoice or payment',
  cancellation: 'Cancellation', urgent: 'Urgent', spam: 'Spam', other: 'Other', '': 'Not labelled' };

export async function renderStats(root) {
  clear(root, h('div', { class: 'page-head' }, h('h1', {}, 'Statistics'), h('p', { class: 'muted' }, 'Loading…')));
  const to = new Date(Date.now() + 60e3);
  const from = new Date(to - range * 86400e3);
  let data;
  try {
    data = await get('/inbox/stats' + qs({ from: from.toISOString(), to: to.toISOString(), granularity: group() }));
  } catch (e) {
    clear(root, h('div', { class: 'page-head' }, h('h1', {}, 'Statistics')), h('p', { class: 'form-error' }, plainError(e)));
    return;
  }
  const st = data.stats;
  const folderName = (id) => id ? (state.folders.find(f => f.id === id)?.name || 'Deleted folder') : 'Unfiled';
  const rangeBtn = (d, label) => h('button', { class: ['seg', range === d ? 'active' : ''], onclick: () => { range = d; renderStats(root); } }, label);
  const groupBtn = (g, label) => h('button', { class: ['seg', group() === g ? 'active' : ''], dataset: { group: g }, onclick: () => { granularity = g; renderStats(root); } }, label);
  const csv = (by, label) => h('a', { class: 'btn small ghost', id: 'csv-' + by, download: `statistics-${by}.csv`,
    href: '/inbox/stats/export' + qs({ by, from: from.toISOString(), to: to.toISOString(), granularity: group() }) }, label);
  const names = data.agent_names || {};
  clear(root,
    h('div', { class: 'page-head' }, h('h1', {}, 'Statistics'),
      h('div', { class: 'segmented' }, rangeBtn(7, '7 days'), rangeBtn(30, '30 days'), rangeBtn(90, '90 days'), rangeBtn(365, '12 months')),
      h('div', { class: 'segmented', 'aria-label': 'Group by' }, groupBtn('day', 'By day'), groupBtn('week', 'By week'), groupBtn('month', 'By month')),
      h('div', { class: 'row-actions' }, h('span', { class: 'muted small' }, 'Download CSV:'), csv('period', 'Periods'), csv('agent', 'Agents'), csv('intent', 'Intents'))),
    h('div', { class: 'kpis' },
      kpi('Conversations', String(st.conversations), 'created in the period'),
      kpi('Resolution rate', Math.round((st.resolution_rate || 0) * 100) + ' %', 'resolved or archived'),
      kpi('First response', duration(st.first_response.median), `median · p90 ${duration(st.first_response.p90)}`),
      kpi('Resolution time', duration(st.resolution.median), `median · p90 ${duration(st.resolution.p90)}`)),
    h('div', { class: 'charts' },
      h('section', { class: 'card chart wide' }, h('h3', {}, 'Messages per ' + group()), volumeChart(st.volume, from, to)),
      h('section', { class: 'card chart wide' }, h('h3', {}, 'Per ' + group()), periodTable(st.periods || [])),
      h('section', { class: 'card chart wide' }, h('h3', {}, 'Per agent'), agentTable(st.by_agent || {}, names)),
      h('section', { class: 'card chart' }, h('h3', {}, 'By intent'), bars(Object.entries(st.by_intent || {}).map(([k, v]) => [intentNames[k] || k, v, null]))),
      h('section', { class: 'card chart' }, h('h3', {}, 'By status'), bars(Object.entries(st.by_status || {}).map(([k, v]) => [statusLabels[k] || k, v, 'st-' + k]))),
      h('section', { class: 'card chart' }, h('h3', {}, 'By channel'), bars(Object.entries(st.by_source || {}).map(([k, v]) => [sourceLabels[k] || k, v, 'src-' + k]))),
      h('section', { class: 'card chart' }, h('h3', {}, 'By folder'), bars(Object.entries(st.by_folder || {}).map(([k, v]) => [folderName(k), v, null]))),
      h('section', { class: 'card chart' }, h('h3', {}, 'Automatic filing accuracy'), accuracy(st.accuracy_by_classifier || {}))));
}

// group is the chosen grouping, else one that suits the range.
function group() {
  return granularity || (range > 90 ? 'week' : 'day');
}

function periodTable(rows) {
  if (!rows.length) return h('p', { class: 'muted' }, 'No conversation in this period.');
  return h('table', { class: 'table', id: 'period-table' },
    h('thead', {}, h('tr', {}, ['Period', 'Conversations', 'Resolved', 'First response (median)', 'Resolution (median)'].map(t => h('th', {}, t)))),
    h('tbody', {}, rows.map(p => h('tr', {}, h('td', {}, p.period), h('td', {}, String(p.conversations)), h('td', {}, String(p.resolved)),
      h('td', {}, duration(p.first_response.median)), h('td', {}, duration(p.resolution.median))))));
}

function agentTable(by, names) {
  const rows = Object.entries(by).sort((a, b) => b[1].conversations - a[1].conversations);
  if (!rows.length) return h('p', { class: 'muted' }, 'No conversation in this period.');
  return h('table', { class: 'table', id: 'agent-table' },
    h('thead', {}, h('tr', {}, ['Agent', 'Conversations', 'Resolved', 'First response (median)', 'Resolution (median)'].map(t => h('th', {}, t)))),
    h('tbody', {}, rows.map(([id, a]) => h('tr', { dataset: { agent: id } }, h('td', {}, id ? (names[id] || id) : 'Unassigned'), h('td', {}, String(a.conversations)),
      h('td', {}, String(a.resolved)), h('td', {}, duration(a.first_response.median)), h('td', {}, duration(a.resolution.median))))));
}

function kpi(label, value, sub) {
  return h('div', { class: 'kpi card' }, h('div', { class: 'kpi-label' }, label), h('div', { class: 'kpi-value' }, value), h('div', { class: 'muted small' }, sub));
}

function volumeChart(points, from, to) {
  const periods = [...new Set((points || []).map(p => p.period))].sort();
  if (!periods.length) return h('p', { class: 'muted' }, 'No messages in this period.');
  const inbound = {}, outbound = {};
  for (const p of points) (p.direction === 'out' ? outbound : inbound)[p.period] = ((p.direction === 'out' ? outbound : inbound)[p.period] || 0) + p.count;
  const max = Math.max(1, ...periods.map(p => (inbound[p] || 0) + (outbound[p] || 0)));
  const W = 720, H = 220, pad = 28, bw = Math.min(36, Math.max(4, (W - pad * 2) / periods.length - 4));
  const y = (v) => H - pad - (v / max) * (H - pad * 2);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'svg-chart', role: 'img', 'aria-label': 'Messages per period, received and sent' });
  for (let i = 0; i <= 4; i++) {
    const v = Math.round(max * i / 4);
    svg.append(s('line', { x1: pad, x2: W - pad, y1: y(v), y2: y(v), class: 'grid' }), s('text', { x: 4, y: y(v) + 4, class: 'axis' }, String(v)));
  }
  periods.forEach((p, i) => {
    const slot = (W - pad * 2) / periods.length;
    const x = pad + i * slot + (slot - bw) / 2;
    const a = inbound[p] || 0, b = outbound[p] || 0;
    svg.append(
      s('rect', { x, y: y(a), width: bw, height: Math.max(0, H - pad - y(a)), rx: 2, class: 'bar-in' }, s('title', {}, `${p}: ${a} received`)),
      s('rect', { x, y: y(a + b), width: bw, height: Math.max(0, y(a) - y(a + b)), rx: 2, class: 'bar-out' }, s('title', {}, `${p}: ${b} sent`)));
    if (periods.length <= 14 || i % Math.ceil(periods.length / 10) === 0) svg.append(s('text', { x: x + bw / 2, y: H - 8, class: 'axis', 'text-anchor': 'middle' }, p.slice(5)));
  });
  return h('div', {}, svg, h('div', { class: 'legend small' }, h('span', { class: 'key in' }), 'Received', h('span', { class: 'key out' }), 'Sent'));
}

function bars(rows) {
  rows = rows.filter(r => r[1] > 0).sort((a, b) => b[1] - a[1]);
  if (!rows.length) return h('p', { class: 'muted' }, 'No data.');
  const max = Math.max(...rows.map(r => r[1]));
  return h('div', { class: 'hbars' }, rows.map(([label, v, cls]) => h('div', { class: 'hbar' },
    h('span', { class: 'hbar-label' }, label),
    h('span', { class: 'hbar-track' }, h('span', { class: ['hbar-fill', cls], style: `width:${Math.max(3, v / max * 100)}%;--h:${hue(label)}` })),
    h('span', { class: 'hbar-value' }, String(v)))));
}

function accuracy(by) {
  const rows = Object.entries(by);
  if (!rows.length) return h('p', { class: 'muted' }, 'No automatic decisions yet.');
  return h('table', { class: 'table' }, h('thead', {}, h('tr', {}, h('th', {}, 'Classifier'), h('th', {}, 'Filed'), h('th', {}, 'Corrected'), h('th', {}, 'Kept'))),
    h('tbody', {}, rows.map(([k, a]) => h('tr', {}, h('td', {}, k), h('td', {}, String(a.decisions)), h('td', {}, String(a.corrected)), h('td', {}, Math.round(a.rate * 100) + ' %')))));
}
