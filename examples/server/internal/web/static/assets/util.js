// DOM and formatting helpers. Every piece of data reaches the page through
// textContent or attributes set by h(), never through innerHTML, so text
// from customers cannot inject markup.

export function h(tag, attrs, ...children) {
  const el = document.createElementNS(
    tag === 'svg' || attrs?.svg ? 'http://www.w3.org/2000/svg' : 'http://www.w3.org/1999/xhtml', tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false || k === 'svg') continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') setStyle(el, v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' || k === 'selected' || k === 'disabled') el[k] = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

// s creates an SVG element.
export function s(tag, attrs, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

// setStyle applies "prop:value;..." through the CSSOM: the page's
// Content-Security-Policy forbids inline style attributes.
function setStyle(el, v) {
  for (const decl of String(v).split(';')) {
    const i = decl.indexOf(':');
    if (i > 0) el.style.setProperty(decl.slice(0, i).trim(), decl.slice(i + 1).trim());
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto', style: 'short' });

// ago formats a time relative to now for lists ("5 min ago", "Tue 14:02").
export function ago(iso) {
  if (!iso) return '';
  const t = new Date(iso), now = new Date();
  const diff = (t - now) / 1000;
  const abs = Math.abs(diff);
  if (abs < 60) return 'now';
  if (abs < 3600) return rtf.format(Math.round(diff / 60), 'minute');
  if (abs < 86400 && t.getDate() === now.getDate()) return t.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  if (abs < 6 * 86400) return t.toLocaleDateString('en-GB', { weekday: 'short' }) + ' ' + t.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  return t.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' });
}

export function fullDate(iso) {
  if (!iso) return '';
  return new Date(iso).toLocaleString('en-GB', { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

// duration formats nanoseconds (Go time.Duration) for statistics.
export function duration(ns) {
  if (!ns) return '—';
  const sec = ns / 1e9;
  if (sec < 90) return Math.round(sec) + ' s';
  if (sec < 5400) return Math.round(sec / 60) + ' min';
  if (sec < 172800) return (sec / 3600).toFixed(1) + ' h';
  return (sec / 86400).toFixed(1) + ' d';
}

export function initials(name) {
  const parts = (name || '').replace(/[^\p{L}\p{N} ]/gu, ' ').trim().split(/\s+/).filter(Boolean);
  if (!parts.length) return '#';
  return (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
}

// phone formats digits in international form for display.
export function phone(d) {
  if (!d) return '';
  if (d.startsWith('33') && d.length === 11) return '+33 ' + d.slice(2, 3) + ' ' + d.slice(3).replace(/(\d\d)(?=\d)/g, '$1 ');
  return '+' + d;
}

export function contactName(c) {
  if (!c) return 'Unknown';
  return c.name || (c.emails && c.emails[0]) || (c.phones && c.phones[0] && phone(c.phones[0])) || 'Unknown';
}

export function debounce(fn, ms) {
  let t;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

export const statusLabels = { new: 'New', open: 'Open', urgent: 'Urgent', resolved: 'Resolved', archived: 'Archived', spam: 'Spam' };
export const sourceLabels = { email: 'Email', sms: 'SMS', whatsapp: 'WhatsApp', webhook: 'Web form' };

// hue derives a stable avatar colour from a string.
export function hue(str) {
  let x = 0;
  for (const ch of str || '') x = (x * 31 + ch.codePointAt(0)) % 360;
  return x;
}

// icon returns a small inline SVG icon by name.
export function icon(name, size = 16) {
  const paths = {
    email: 'M3 5h18v14H3zM3 6l9 7 9-7',
    sms: 'M4 4h16v12H8l-4 4z',
    whatsapp: 'M12 3a9 9 0 0 0-7.8 13.5L3 21l4.6-1.2A9 9 0 1 0 12 3zM9 8c0 4 3 7 7 7',
    webhook: 'M10 13a5 5 0 0 0 7 0l3-3a5 5 0 0 0-7-7l-1 1M14 11a5 5 0 0 0-7 0l-3 3a5 5 0 0 0 7 7l1-1',
    inbox: 'M3 13h5l2 3h4l2-3h5M5 5h14l2 8v6H3v-6z',
    folder: 'M3 6h6l2 2h10v11H3z',
    search: 'M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14zM21 21l-5-5',
    bell: 'M6 16V11a6 6 0 0 1 12 0v5l2 2H4zM10 20a2 2 0 0 0 4 0',
    chart: 'M4 20V10M10 20V4M16 20v-7M22 20H2',
    gear: 'M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8zM12 2v3M12 19v3M2 12h3M19 12h3M4.9 4.9l2.1 2.1M17 17l2.1 2.1M4.9 19.1 7 17M17 7l2.1-2.1',
    clip: 'M21 11l-8.5 8.5a5 5 0 0 1-7-7L14 4a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 7',
    check: 'M4 12l5 5L20 6',
    back: 'M15 18l-6-6 6-6',
    menu: 'M3 6h18M3 12h18M3 18h18',
    user: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21a8 8 0 0 1 16 0',
    clock: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM12 7v5l3 2',
    task: 'M9 11l3 3 8-8M20 12v7H4V5h11',
    note: 'M5 3h10l4 4v14H5zM9 12h6M9 16h6',
    spark: 'M12 3l2 6 6 2-6 2-2 6-2-6-6-2 6-2z',
    send: 'M3 11l18-8-8 18-2-8z',
    x: 'M6 6l12 12M18 6 6 18',
    plus: 'M12 5v14M5 12h14',
    logout: 'M15 4h4v16h-4M10 8l-4 4 4 4M6 12h10',
  };
  return s('svg', { viewBox: '0 0 24 24', width: size, height: size, fill: 'none', stroke: 'currentColor',
    'stroke-width': 1.8, 'stroke-linecap': 'round', 'stroke-linejoin': 'round', class: 'icon', 'aria-hidden': 'true' },
  s('path', { d: paths[name] || paths.inbox }));
}

// preserveInputs re-renders a region without losing what the user is
// typing: values of elements with an id, and the focus, survive render().
export function preserveInputs(root, render) {
  const saved = {};
  for (const el of root.querySelectorAll('input[id], textarea[id], select[id]')) {
    if (el.type !== 'checkbox' && el.dataset.dirty) saved[el.id] = el.value;
  }
  const focused = root.contains(document.activeElement) ? document.activeElement.id : '';
  const caret = focused && 'selectionStart' in document.activeElement ? document.activeElement.selectionStart : null;
  render();
  for (const [id, v] of Object.entries(saved)) {
    const el = root.querySelector('#' + CSS.escape(id));
    if (el) { el.value = v; el.dataset.dirty = '1'; }
  }
  if (focused) {
    const el = root.querySelector('#' + CSS.escape(focused));
    if (el) { el.focus(); if (caret !== null && el.setSelectionRange) try { el.setSelectionRange(caret, caret); } catch { /* not a text input */ } }
  }
}

// Inputs the user touched are marked dirty, so re-renders keep them.
document.addEventListener('input', (e) => { if (e.target.id) e.target.dataset.dirty = '1'; }, true);
