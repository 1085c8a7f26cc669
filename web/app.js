/* scanq web UI: one page, two views (the scan list at /, one scan at
 * /scans/ID), polling the JSON API.  Every value from the server goes into
 * the page as text (textContent), never as HTML.  The API token, when the
 * server needs one, is kept in localStorage under "scanq_token". */
'use strict';

const TERMINAL = ['completed', 'failed', 'cancelled'];
const $ = (id) => document.getElementById(id);
const state = { status: '', type: '', target: '', scanId: null, timers: [], role: null, cursor: null,
  pages: [] };

function token() { return localStorage.getItem('scanq_token') || ''; }

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || ('HTTP ' + status));
    this.status = status;
    this.code = body && body.code;
  }
}

let tokenPrompt = null;
function askToken(why) {
  if (tokenPrompt) return tokenPrompt;
  const dlg = $('token-dialog');
  $('token-why').textContent = why || 'This server needs an API token.';
  $('token-input').value = '';
  tokenPrompt = new Promise((resolve) => {
    dlg.onclose = () => {
      if (dlg.returnValue === 'save' && $('token-input').value.trim())
        localStorage.setItem('scanq_token', $('token-input').value.trim());
      else if (dlg.returnValue === 'clear')
        localStorage.removeItem('scanq_token');
      tokenPrompt = null;
      resolve();
    };
  });
  if (!dlg.open) dlg.showModal();
  return tokenPrompt;
}

async function api(method, path, body) {
  for (let tries = 0; ; tries++) {
    const headers = { Accept: 'application/json' };
    if (token()) headers.Authorization = 'Bearer ' + token();
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(path, { method, headers,
        body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      $('conn').textContent = 'server unreachable';
      throw new ApiError(0, { detail: 'the server cannot be reached' });
    }
    $('conn').textContent = '';
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (res.status === 401 && tries < 3) {
      await askToken(token() ? 'The saved token was refused; enter another.' : undefined);
      continue;
    }
    if (!res.ok) throw new ApiError(res.status, data);
    return { status: res.status, data };
  }
}

/* ---- small DOM helpers ---- */
function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
}
// morph(parent, kids): parent's children become the nodes kids (built with
// el(), not yet in the page), but a node already in the page stays where it
// matches (same tag, and the same data-id or data-name where it has one, else
// the same position) and only has its attributes, click handler and text
// brought up to date.  The views below are rebuilt on every poll; replacing
// their nodes would drop a click that lands across a poll (mousedown on the
// old link, mouseup on its new copy: the browser fires no click at all), and
// close a <details> the user opened, whose "open" is kept.  Keys keep a row
// with its scan when a new one is listed above it.
function morph(parent, kids) {
  const key = (n) => n.nodeType === Node.ELEMENT_NODE
    && (n.getAttribute('data-id') || n.getAttribute('data-name')) || null;
  const keyed = new Map([...parent.childNodes].filter(key).map((o) => [key(o), o]));
  kids.forEach((k, i) => {
    const at = parent.childNodes[i] || null;
    const o = key(k) ? keyed.get(key(k)) : at && !key(at) ? at : null;
    if (!o || o.nodeName !== k.nodeName) { parent.insertBefore(k, at); return; }
    keyed.delete(key(k));
    if (o !== at) parent.insertBefore(o, at);
    if (o.nodeType === Node.TEXT_NODE) {
      if (o.nodeValue !== k.nodeValue) o.nodeValue = k.nodeValue;
      return;
    }
    for (const a of [...o.attributes])
      if (!k.hasAttribute(a.name) && a.name !== 'open') o.removeAttribute(a.name);
    for (const a of k.attributes)
      if (o.getAttribute(a.name) !== a.value) o.setAttribute(a.name, a.value);
    o.onclick = k.onclick;
    morph(o, [...k.childNodes]);
  });
  while (parent.childNodes.length > kids.length) parent.lastChild.remove();
}
function when(t) { return t ? new Date(t).toLocaleString() : '—'; }
function badge(status) { return el('span', { class: 'badge ' + status, text: status }); }
function bar(progress, status) {
  const inner = el('div');
  inner.style.width = Math.round((status === 'completed' ? 1 : progress || 0) * 100) + '%';
  return el('div', { class: 'progress' + (status === 'completed' ? ' done' : ''),
    title: Math.round((progress || 0) * 100) + '%' }, inner);
}
/* "attempt N of M", N counted within the current retry budget. */
function attemptText(s) {
  const used = s.attempts_used !== undefined ? s.attempts_used : s.attempt;
  return used + ' of ' + s.max_attempts;
}
function targetsText(t) { return Array.isArray(t) ? t.join(', ') : String(t || ''); }
function canOperate() { return state.role === 'operator' || state.role === 'admin'; }
// every(ms, fn): fn now and every ms while the page is visible, never two
// calls of it at once (a slow answer skips a round instead of piling up).
function every(ms, fn) {
  let busy = false;
  const tick = async () => {
    if (busy || document.hidden) return;
    busy = true;
    try { await fn(); } finally { busy = false; }
  };
  tick();
  state.timers.push(setInterval(tick, ms));
}
function stopTimers() { state.timers.forEach(clearInterval); state.timers = []; }


/* ---- the dashboard (GET /api/v1/dashboard): the first page's top ---- */
const DASH_SEV = ['critical', 'high', 'medium', 'low', 'info'];
const SEV_COLOR = { critical: '#7f1d1d', high: '#dc2626', medium: '#b45309', low: '#0891b2', info: '#94a3b8' };
const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, ...kids) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  for (const k of kids) if (k != null) e.append(k);
  return e;
}
// One stacked bar a day (critical at the bottom), plain inline SVG: no
// library, nothing fetched.  Each day is a <g data-day data-total> whose
// rects carry data-sev and data-n, and a <title> for the tooltip.
function trendChart(days) {
  const W = 600, H = 170, top = 8, bottom = 22, left = 34, bw = (W - left) / days.length;
  const total = (d) => DASH_SEV.reduce((n, s) => n + d[s], 0);
  const max = Math.max(1, ...days.map(total));
  const scale = (H - top - bottom) / max;
  const chart = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'open findings by severity, last 30 days' });
  for (const v of max >= 4 ? [0, Math.round(max / 2), max] : [0, max]) {
    const y = H - bottom - v * scale;
    chart.append(svg('line', { x1: left, x2: W, y1: y, y2: y, stroke: '#dde2e6' }),
      svg('text', { x: left - 4, y: y + 4, 'text-anchor': 'end', 'font-size': 10, fill: '#66707a' }, String(v)));
  }
  days.forEach((d, i) => {
    const g = svg('g', { class: 'day', 'data-day': d.day, 'data-total': total(d) },
      svg('title', {}, d.day + ': ' + DASH_SEV.map((s) => d[s] + ' ' + s).join(', ')));
    let y = H - bottom;
    for (const s of DASH_SEV) {
      const h = d[s] * scale;
      y -= h;
      g.append(svg('rect', { x: left + i * bw + 1, y, width: Math.max(1, bw - 2), height: h, fill: SEV_COLOR[s],
        'data-sev': s, 'data-n': d[s] }));
    }
    chart.append(g);
    if (i % 7 === (days.length - 1) % 7)	// a label a week, today's the last
      chart.append(svg('text', { x: left + i * bw + bw / 2, y: H - 6, 'text-anchor': 'middle', 'font-size': 10,
        fill: '#66707a' }, d.day.slice(5)));
  });
  return chart;
}

async function loadDashboard() {
  let d;
  try { d = (await api('GET', '/api/v1/dashboard')).data; } catch (e) { $('conn').textContent = e.message; return; }
  $('dash-chart').replaceChildren(trendChart(d.open_findings.days));
  $('dash-now').textContent = 'now: ' + DASH_SEV.map((s) => d.open_findings.now[s] + ' ' + s).join(', ');
  $('dash-legend').replaceChildren(...DASH_SEV.map((s) => {
    const i = el('i'); i.style.background = SEV_COLOR[s];
    return el('span', {}, i, s);
  }));
  morph($('dash-changes'), [['last 24 h', d.changes.last_24h, '24h'], ['last 7 days', d.changes.last_7d, '7d']]
    .map(([label, c, key]) => el('tr', { 'data-name': key }, el('th', { text: label }),
      el('td', { text: String(c.new), 'data-key': 'new' }), el('td', { text: String(c.gone), 'data-key': 'gone' }),
      el('td', { text: String(c.changed), 'data-key': 'changed' }))));
  const q = d.queue;
  morph($('dash-queue'), [['pending', q.pending], ['running', q.running], ['failed last hour', q.failed_last_hour],
    ['workers', q.workers.active + ' active, ' + q.workers.idle + ' idle, ' + q.workers.dead + ' dead'],
    ['agents', q.agents.live + ' live, ' + q.agents.dead + ' dead']]
    .flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: String(v), 'data-key': k })]));
  morph($('dash-late'), d.late_schedules.map((s) => el('li', { 'data-name': s.name },
    el('a', { href: '/schedules', 'data-nav': '', text: s.name }),
    el('span', { class: 'muted', text: ' due ' + when(s.due_at) + ', ' + Math.round(s.late_s / 60) + ' min late' }))));
  $('dash-late-none').hidden = d.late_schedules.length > 0;
  morph($('dash-newest'), d.newest_findings.map((f) => el('tr', { 'data-name': f.fingerprint, 'data-state': f.state },
    el('td', {}, sevBadge(f.severity)), el('td', { text: f.kind }), el('td', { text: f.target || '' }),
    el('td', { text: f.port ? f.port + '/' + (f.proto || 'tcp') : '' }), el('td', { text: f.title || '' }),
    el('td', { text: f.state }), el('td', { text: when(f.first_seen) }),
    el('td', {}, el('a', { href: '/scans/' + f.last_scan_id, 'data-nav': '', text: '#' + f.last_scan_id })))));
  $('dash-newest-none').hidden = d.newest_findings.length > 0;
}

/* The scan list's findings (by severity, from the summary) and changes. */
function findingsCell(s) {
  const sev = s.summary && s.summary.severity;
  if (!sev) return el('td', { class: 'findings-sev', text: '—' });
  const parts = DASH_SEV.filter((k) => sev[k] > 0)
    .map((k) => el('span', { class: 'sevcount sev-' + k, 'data-sev': k, title: k, text: String(sev[k]) }));
  return el('td', { class: 'findings-sev' }, ...(parts.length ? parts : [el('span', { class: 'muted', text: '0' })]));
}
function changesCell(s) {
  const c = s.summary && s.summary.changes;
  if (!c) return el('td', { class: 'changes muted', text: '—' });
  return el('td', { class: 'changes', title: c.new + ' new, ' + c.gone + ' gone, ' + c.changed + ' changed',
    text: '+' + c.new + ' −' + c.gone + ' ~' + c.changed });
}

/* ---- the scan list ---- */
/* The list is paged by keyset: state.pages holds the cursor of each page
 * shown before this one (the first page has none). */
const PAGE = 50;
async function loadScans() {
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (state.status) q.set('status', state.status);
  if (state.type) q.set('type', state.type);
  if (state.target) q.set('target', state.target);
  const here = state.pages.length ? state.pages[state.pages.length - 1] : null;
  if (here) q.set('cursor', String(here));
  try {
    const { data } = await api('GET', '/api/v1/scans?' + q);
    renderScans(data.scans, $('scans-body'), true);
    state.cursor = data.next_cursor;
    $('btn-older').hidden = !state.cursor;
    $('btn-newer').hidden = $('btn-newest').hidden = state.pages.length === 0;
    $('page-no').textContent = state.pages.length || state.cursor ? 'page ' + (state.pages.length + 1) : '';
    $('scans-empty').hidden = data.scans.length > 0;
  } catch (e) { $('conn').textContent = e.message; }
}

function loadOlder() { if (state.cursor) { state.pages.push(state.cursor); loadScans(); } }
function loadNewer() { state.pages.pop(); loadScans(); }
function filtersChanged() { state.pages = []; loadScans(); }

/* The scan types and the profiles that can run on this host, as a choice. */
async function loadTypes() {
  let types;
  try { types = (await api('GET', '/api/v1/scan-types')).data.types; } catch (e) { return; }
  for (const id of ['f-type', 's-type']) {
    const sel = $(id), keep = sel.value || 'portscan';
    sel.replaceChildren(...types.map((t) => el('option', { value: t.name, disabled: !t.available,
      title: t.summary, text: t.name + (t.kind === 'profile' ? ' (' + (t.available ? t.tool
        : t.tool + ': not installed') + ')' : t.test_only ? ' (test)' : '') })));
    sel.value = types.some((t) => t.name === keep && t.available) ? keep : types[0].name;
  }
  const f = $('filter-type'), cur = f.value;
  f.replaceChildren(el('option', { value: '', text: 'all' }),
    ...types.map((t) => el('option', { value: t.name, text: t.name })));
  f.value = cur;
}

/* A number as people read it: whole numbers as they are, others to at most
 * three decimals (a duration of 0.0027261640000233456 s reads 0.003). */
function number(v) { return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(3))); }

/* The options a user gave: without the ones scanq adds itself to split a
 * scan into shards (shard_*, rate_of_scan), in follow-up stages too. */
function userOptions(o) {
  if (Array.isArray(o)) return o.map(userOptions);
  if (!o || typeof o !== 'object') return o;
  return Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('shard_') && k !== 'rate_of_scan')
    .map(([k, v]) => [k, userOptions(v)]));
}

/* A schedule's name by id (GET /api/v1/schedules/ID), asked once: null
 * while unknown, '' when it was removed. */
const scheduleNames = {};
function scheduleLink(id) {
  if (!(id in scheduleNames)) {
    scheduleNames[id] = null;
    api('GET', '/api/v1/schedules/' + id).then(({ data }) => { scheduleNames[id] = data.name; },
      (e) => { scheduleNames[id] = e.status === 404 ? '' : null; if (e.status !== 404) delete scheduleNames[id]; });
  }
  const name = scheduleNames[id];
  if (name === '') return el('span', { id: 'scan-schedule', text: 'schedule #' + id + ' (removed)' });
  return el('a', { id: 'scan-schedule', href: '/schedules', 'data-nav': '', text: name || 'schedule #' + id });
}

/* A scan's summary as labelled fields: nested objects one level deep,
 * lists joined. */
function summaryFields(sum) {
  if (!sum || typeof sum !== 'object') return el('span', { text: '—' });
  const show = (v) => Array.isArray(v) ? v.map((x) => typeof x === 'object' ? JSON.stringify(x) : String(x)).join(', ')
    : v && typeof v === 'object' ? Object.entries(v).map(([k, x]) => k + ': ' + show(x)).join('; ')
    : typeof v === 'number' ? number(v) : String(v);
  const label = (k) => k.replace(/_/g, ' ');
  const rows = Object.entries(sum).flatMap(([k, v]) => [el('dt', { text: label(k) }),
    el('dd', { text: show(v), 'data-key': k })]);
  return rows.length ? el('dl', { class: 'summary', id: 'scan-summary' }, ...rows) : el('span', { text: '—' });
}

function renderScans(scans, body, replace) {
  const rows = scans.map((s) => el('tr', { 'data-id': String(s.id), 'data-status': s.status },
    el('td', {}, el('a', { href: '/scans/' + s.id, text: '#' + s.id, 'data-nav': '' }),
      // A shard names its split parent; a follow-up stage its parent stage.
      s.parent_id ? el('span', { class: 'parent muted', text: ' ' + ((s.flow & 4) ? 'shard of ' : 'after ') },
        el('a', { href: '/scans/' + s.parent_id, 'data-nav': '', text: '#' + s.parent_id })) : null),
    el('td', { text: s.type }),
    el('td', { class: 'targets', text: targetsText(s.targets), title: targetsText(s.targets) }),
    el('td', {}, badge(s.status)),
    el('td', {}, bar(s.progress, s.status)),
    // A split scan never runs itself: its shards do ("0 of 3" said nothing).
    el('td', { text: (s.flow & 2) ? 'split' : attemptText(s), class: 'attempt' }),
    findingsCell(s), changesCell(s),
    el('td', { text: when(s.created_at) }),
    el('td', { class: 'err', text: s.error_message || '' })));
  if (replace) morph(body, rows); else body.append(...rows);
}

async function loadQueue() {
  try {
    const [{ data: q }, { data: w }] = await Promise.all([
      api('GET', '/api/v1/scans/queue/status'), api('GET', '/api/v1/workers')]);
    const kv = [];
    for (const s of ['pending', 'running', 'completed', 'failed', 'cancelled'])
      kv.push([s, q.by_status[s]]);
    kv.push(['oldest pending', q.oldest_pending_s ? q.oldest_pending_s.toFixed(1) + ' s' : '—']);
    kv.push(['finished last min', q.finished_last_minute]);
    kv.push(['workers', q.workers.active + ' active, ' + q.workers.idle + ' idle, ' +
      q.workers.dead + ' dead']);
    morph($('queue'), kv.flatMap(([k, v]) =>
      [el('dt', { text: k }), el('dd', { text: String(v), 'data-key': k })]));
    morph($('workers-body'), w.workers.map((x) => el('tr', {},
      el('td', { text: x.name }), el('td', {}, badge(x.status)),
      el('td', { text: (x.kind || 'worker') + ' · ' + (x.pool || 'local') }),
      el('td', { text: x.address || '—' }), el('td', { text: x.version || '—' }),
      el('td', { text: String(x.running) }), el('td', { text: String(x.scans_done) }))));
    $('workers-empty').hidden = w.workers.length > 0;
  } catch (e) { $('conn').textContent = e.message; }
}

/* ---- pause and resume (POST /api/v1/pause|resume, GET /api/v1/pauses) ----
 * Every scan, one type, one schedule or one pool; each pause listed has
 * its own Resume.  The maintenance windows (GET /api/v1/windows) are
 * listed below, open ones first with when they close. */
function pauseText(p) {
  const what = p.kind === 'all' ? 'every scan' : p.kind === 'type' ? 'type ' + p.type
    : p.kind === 'pool' ? 'pool ' + p.pool : 'schedule ' + p.schedule;
  return what + ' since ' + when(p.since) + ' by ' + p.by + (p.reason ? ': ' + p.reason : '');
}
/* The body that names what pause p holds, for /api/v1/resume. */
function pauseWhat(p) { return p.kind === 'all' ? { all: true } : { [p.kind]: p[p.kind] }; }

async function loadPauses() {
  try {
    const { data } = await api('GET', '/api/v1/pauses');
    const op = canOperate();
    morph($('pauses'), data.pauses.map((p) => el('li', { 'data-kind': p.kind,
      'data-name': p.kind + ':' + (p[p.kind] || '') }, el('span', { text: pauseText(p) }), ' ',
      op ? el('button', { type: 'button', text: 'Resume', className: 'resume-one',
        onclick: () => resume(pauseWhat(p)) }) : null)));
    $('pause-state').textContent = data.pauses.length
      ? 'Paused: these scans stay pending until resumed.' : 'Nothing is paused.';
    $('pause-form').hidden = !op;
  } catch (e) { $('pause-state').textContent = e.message; }
  loadWindows();
}

function windowText(w) {
  const scope = (w.pool ? 'pool ' + w.pool : 'every pool') + (w.targets ? ', targets ' + w.targets : '');
  return w.name + ' (' + scope + '; ' + w.cron + ' ' + w.tz + ' for ' + w.duration_s + ' s, running scans ' +
    (w.running === 'handback' ? 'handed back' : 'finish') + '): ' +
    (w.open ? 'open until ' + when(w.closes_at) : 'next open ' + when(w.opens_at));
}

async function loadWindows() {
  try {
    const { data } = await api('GET', '/api/v1/windows');
    const list = data.windows.slice().sort((a, b) => (b.open - a.open) || a.opens_at - b.opens_at);
    morph($('windows'), list.map((w) => el('li', { 'data-name': w.name, 'data-open': String(w.open),
      text: windowText(w) })));
    const open = list.filter((w) => w.open);
    $('windows-state').textContent = open.length
      ? 'Open now: ' + open.map((w) => w.name + ' until ' + when(w.closes_at)).join('; ') +
        '. The scans they hold start when they close.'
      : list.length ? 'No maintenance window is open.' : 'No maintenance windows.';
  } catch (e) { $('windows-state').textContent = e.message; }
}

function pauseKindChanged() {
  const kind = $('pause-kind').value;
  $('pause-value-label').hidden = kind === 'all';
  $('btn-pause').textContent = kind === 'all' ? 'Pause all scans' : 'Pause this ' + kind;
}

async function pauseAll(ev) {
  ev.preventDefault();
  const msg = $('pause-msg');
  const kind = $('pause-kind').value;
  const body = kind === 'all' ? { all: true } : { [kind]: $('pause-value').value.trim() };
  body.reason = $('pause-reason').value;
  body.now = $('pause-now').checked;
  try {
    const { data } = await api('POST', '/api/v1/pause', body);
    msg.textContent = 'Paused ' + data.paused + (data.handed_back ? ', ' + data.handed_back +
      ' running scan(s) handed back' : '') + '.';
  } catch (e) { msg.textContent = e.message; }
  loadPauses();
}

async function resume(what) {
  const msg = $('pause-msg');
  try {
    const { data } = await api('POST', '/api/v1/resume', what);
    msg.textContent = 'Resumed ' + data.resumed + '.';
  } catch (e) { msg.textContent = e.message; }
  loadPauses();
}

function resumeAll() { return resume({ all: true }); }

async function submitScan(ev) {
  ev.preventDefault();
  const msg = $('submit-msg');
  const body = { type: $('f-type').value.trim(),
    targets: $('f-targets').value.split(/[\s,]+/).filter(Boolean) };
  if ($('f-ports').value.trim()) body.ports = $('f-ports').value.trim();
  const pr = parseInt($('f-priority').value, 10);
  if (pr) body.priority = pr;
  const at = parseInt($('f-attempts').value, 10);
  if (at) body.max_attempts = at;
  if ($('f-options').value.trim()) {
    try { body.options = JSON.parse($('f-options').value); } catch (e) {
      msg.className = 'msg bad'; msg.textContent = 'Options must be a JSON object.';
      return;
    }
  }
  if ($('f-then').value.trim()) body.then = flowStages($('f-then').value);
  msg.className = 'msg'; msg.textContent = 'Submitting…';
  try {
    const { data } = await api('POST', '/api/v1/scans', body);
    msg.className = 'msg good'; msg.textContent = 'Queued scan #' + data.id;
    navigate('/scans/' + data.id);
  } catch (e) {
    msg.className = 'msg bad'; msg.textContent = e.message;
  }
}

/* ---- one scan ---- */
async function loadScan() {
  const id = state.scanId;
  let s;
  try {
    s = (await api('GET', '/api/v1/scans/' + id)).data;
  } catch (e) {
    if (e.status === 404 || e.status === 400) { show('view-missing'); stopTimers(); }
    else $('conn').textContent = e.message;
    return;
  }
  if (id !== state.scanId) return;
  $('scan-title').textContent = 'Scan #' + s.id + ' · ' + s.type;
  const st = $('scan-status');
  st.textContent = s.status + (s.cancel_requested && s.status === 'running' ? ' (cancelling)' : '');
  st.className = 'badge ' + s.status;
  st.setAttribute('data-status', s.status);
  $('scan-progress').style.width = Math.round((s.status === 'completed' ? 1 : s.progress) * 100) + '%';
  $('scan-progress').parentElement.className = 'progress big' + (s.status === 'completed' ? ' done' : '');
  $('btn-retry').disabled = !(s.allowed.retry && canOperate());
  $('btn-cancel').disabled = !(s.allowed.cancel && canOperate());
  $('scan-error').hidden = !s.error_code && !s.error_message;
  $('scan-error-code').textContent = s.error_code || '';
  $('scan-error-message').textContent = s.error_message || '';
  const fields = [['targets', targetsText(s.targets)], ['attempt', attemptText(s)],
    ['progress', Math.round(s.progress * 100) + '%'], ['worker', s.worker_id || '—'],
    ['created', when(s.created_at)], ['claimed', when(s.claimed_at)],
    ['finished', when(s.finished_at)], ['lease until', when(s.lease_expires_at)],
    ['priority', String(s.priority)], ['time limit', s.time_limit_s + ' s'],
    ['options', JSON.stringify(userOptions(s.options || {}))], ['summary', summaryFields(s.summary)]];
  if (s.schedule_id) fields.push(['schedule', scheduleLink(s.schedule_id)]);
  if (s.error_detail) fields.push(['error detail (admin)', s.error_detail]);
  morph($('scan-fields'), fields.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', {}, v)]));
  morph($('events-body'), s.events.map((e) => el('tr', {},
    el('td', { text: when(e.at) }), el('td', { text: e.from || 'new' }), el('td', {}, badge(e.to)),
    el('td', { text: String(e.attempt) }), el('td', { text: e.worker_id || '' }),
    el('td', { text: e.reason || '' }))));
  loadChain(id);
  // Findings change only while a scan runs (reloaded every 2 s then): a
  // finished one loads them once.
  const now = Date.now();
  if (state.findingsFor !== s.status
      || (!TERMINAL.includes(s.status) && now - (state.findingsAt || 0) >= 2000)) {
    state.findingsAt = now;
    await loadFindings(id);
    await loadChanges(id, s.status);
    state.findingsFor = s.status;
  }
}

async function loadFindings(id) {
  const all = [];
  let after = 0;
  for (let page = 0; page < 10; page++) {
    const { data } = await api('GET', '/api/v1/scans/' + id + '/findings?limit=1000&after=' + after);
    all.push(...data.findings);
    if (!data.next_cursor) break;
    after = data.next_cursor;
  }
  // Each finding's lifecycle state in the scan's baseline, by fingerprint.
  const states = {};
  try {
    let cur = 0;
    for (let page = 0; page < 10; page++) {
      const { data } = await api('GET', '/api/v1/findings?limit=1000&scan=' + id + '&after=' + cur);
      for (const st of data.findings) states[st.fingerprint] = st;
      if (!data.next_cursor) break;
      cur = data.next_cursor;
    }
  } catch (e) { /* states are extra: the findings show without them */ }
  // Most severe first; within a severity, in the order they were found.
  all.sort((a, b) => sevRank(b.severity) - sevRank(a.severity) || a.id - b.id);
  $('findings-count').textContent = '(' + all.length + ')';
  $('findings-empty').hidden = all.length > 0;
  morph($('findings-body'), all.map((f) => {
    const st = states[f.fingerprint];
    return el('tr', { class: 'finding', 'data-severity': f.severity || 'info',
      'data-fingerprint': f.fingerprint || '', 'data-state': st ? st.state : '' },
    el('td', { text: f.kind }), el('td', { text: f.target || '' }),
    el('td', { text: f.port ? f.port + '/' + (f.proto || 'tcp') : '' }),
    el('td', { text: f.service || '' }), el('td', {}, sevBadge(f.severity)),
    el('td', { text: f.title || '' },
      ...(f.cve || []).map((c) => el('span', { class: 'cve', text: c })),
      f.detail && typeof f.detail.fix === 'string' ? el('div', { class: 'fix', text: 'fix: ' + f.detail.fix }) : null),
    el('td', {}, st ? stateBadge(st) : el('span', { class: 'muted', text: '-' })),
    el('td', {}, ...(st && canOperate() ? triageControls(st) : [])));
  }));
  renderWeb(all);
}

// The http findings of a scan as web pages: where the probe ended, its
// status, title, server and technologies, and the certificate's names.
// Only the pages themselves (detail.final_url), not an http finding's
// checks (an expired certificate is a finding of its own above).
function renderWeb(all) {
  const pages = all.filter((f) => f.kind === 'http' && f.detail && typeof f.detail.final_url === 'string');
  $('web').hidden = pages.length === 0;
  $('web-count').textContent = '(' + pages.length + ')';
  morph($('web-body'), pages.map((f) => {
    const d = f.detail, cert = d.certificate || null;
    const redirects = Array.isArray(d.redirects) ? d.redirects.length - 1 : 0;
    const techs = Array.isArray(d.technologies) ? d.technologies : [];
    const names = cert && Array.isArray(cert.sans) ? cert.sans : [];
    return el('tr', { class: 'web-page', 'data-fingerprint': f.fingerprint || '' },
      el('td', { class: 'url', text: d.final_url },
        redirects > 0 ? el('div', { class: 'muted', text: 'after ' + redirects + ' redirect' + (redirects > 1 ? 's' : '') }) : null),
      el('td', { class: 'status', text: d.final_status != null ? String(d.final_status) : '' }),
      el('td', { class: 'title', text: d.html_title || '' }),
      el('td', { class: 'server', text: d.server || '' }),
      el('td', { class: 'techs' }, ...techs.map((t) => el('span', { class: 'tech', title: t.category || '',
        text: t.name + (t.version ? ' ' + t.version : '') }))),
      el('td', { class: 'cert' }, ...(cert ? [el('div', { text: names.join(', ') || cert.subject || '' }),
        cert.not_after ? el('div', { class: 'muted', text: 'until ' + cert.not_after }) : null] : [])));
  }));
}

// The state of a finding across runs; a triaged one says why on hover.
function stateBadge(st) {
  const title = st.reason ? st.state + ': ' + st.reason + (st.actor ? ' (' + st.actor + ')' : '') : st.state;
  return el('span', { class: 'badge state state-' + st.state, title, text: st.state.replace('_', ' ') });
}

// Accept (with a reason) or mark a false positive; reopen a triaged one.
function triageControls(st) {
  if (st.state === 'accepted' || st.state === 'false_positive')
    return [el('button', { type: 'button', class: 'link triage-reopen', text: 'reopen',
      onclick: () => triage(st.fingerprint, st.baseline_id, 'reopen', null) })];
  // The reason is read from the row at the click: the table is morphed in
  // place, so an input captured here may not be the one on the page.
  const reason = (ev) => ev.target.closest('tr').querySelector('.triage-reason').value;
  return [el('input', { class: 'triage-reason', placeholder: 'reason' }),
    el('button', { type: 'button', class: 'link triage-accept', text: 'accept',
      onclick: (ev) => triage(st.fingerprint, st.baseline_id, 'accept', reason(ev)) }),
    el('button', { type: 'button', class: 'link triage-fp', text: 'false positive',
      onclick: (ev) => triage(st.fingerprint, st.baseline_id, 'false-positive', reason(ev)) })];
}

async function triage(fp, baseline, verb, reason) {
  const msg = $('triage-msg');
  const body = { baseline };
  if (reason !== null) body.reason = reason.trim();
  try {
    const { data } = await api('POST', '/api/v1/findings/' + fp + '/' + verb, body);
    msg.className = 'msg good';
    msg.textContent = 'Finding ' + fp.slice(0, 8) + ' is now ' + data.state.replace('_', ' ') + '.';
  } catch (e) {
    msg.className = 'msg bad'; msg.textContent = e.message;
  }
  if (state.scanId) await loadFindings(state.scanId);
}

// The Findings page: states across runs, filtered.
async function loadFindingStates() {
  const q = new URLSearchParams({ limit: '1000' });
  if ($('fs-state').value) q.set('state', $('fs-state').value);
  if ($('fs-severity').value) q.set('severity', $('fs-severity').value);
  if ($('fs-schedule').value.trim()) q.set('schedule', $('fs-schedule').value.trim());
  let data;
  try {
    data = (await api('GET', '/api/v1/findings?' + q)).data;
    $('fs-msg').textContent = '';
  } catch (e) { $('fs-msg').className = 'msg bad'; $('fs-msg').textContent = e.message; return; }
  const rows = data.findings.slice().sort((a, b) => sevRank(b.severity) - sevRank(a.severity) || a.id - b.id);
  $('fs-empty').hidden = rows.length > 0;
  morph($('fs-body'), rows.map((st) => el('tr',
    { class: 'finding', 'data-severity': st.severity, 'data-fingerprint': st.fingerprint, 'data-state': st.state },
    el('td', {}, stateBadge(st)), el('td', {}, sevBadge(st.severity)), el('td', { text: st.kind }),
    el('td', { text: st.target || '' }), el('td', { text: st.port ? st.port + '/' + (st.proto || 'tcp') : '' }),
    el('td', { text: st.title || '' }, ...(st.cve || []).map((c) => el('span', { class: 'cve', text: c }))),
    el('td', { text: st.times_seen + '× since ' + when(st.first_seen) }),
    el('td', {}, el('a', { href: '/scans/' + st.last_scan_id, 'data-nav': '', text: '#' + st.last_scan_id })),
    el('td', { text: st.schedule || '' }))));
}

// The download menu: the export is fetched with the token (a plain link
// could not carry it) and saved under the name the server gives.
async function downloadExport(format) {
  const id = state.scanId;
  const headers = {};
  if (token()) headers.Authorization = 'Bearer ' + token();
  $('export-status').textContent = 'preparing ' + format + '…';
  try {
    const res = await fetch('/api/v1/scans/' + id + '/export?format=' + encodeURIComponent(format), { headers });
    if (!res.ok) {
      let detail = 'HTTP ' + res.status;
      try { detail = (await res.json()).detail || detail; } catch (e) { /* not JSON */ }
      $('export-status').textContent = 'export failed: ' + detail;
      return;
    }
    const disp = res.headers.get('Content-Disposition') || '';
    const m = /filename="([^"]+)"/.exec(disp);
    const a = el('a', { href: URL.createObjectURL(await res.blob()),
      download: m ? m[1] : 'scanq-scan-' + id + '.' + format });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    $('export-status').textContent = '';
  } catch (e) {
    $('export-status').textContent = 'export failed: the server cannot be reached';
  }
}

const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'];
function sevRank(s) { return Math.max(0, SEVERITIES.indexOf(s)); }
function sevBadge(s) {
  const level = SEVERITIES[sevRank(s)];
  return el('span', { class: 'badge sev sev-' + level, 'data-severity': level, text: level });
}

async function act(what) {
  const msg = $('scan-msg');
  $('btn-retry').disabled = $('btn-cancel').disabled = true;
  try {
    const { data } = await api('POST', '/api/v1/scans/' + state.scanId + '/' + what);
    msg.className = 'msg good';
    msg.textContent = what === 'retry' ? 'Scan sent back to pending.'
      : data.status === 'running' ? 'Cancel requested; the worker is stopping the scan.'
      : 'Scan cancelled.';
  } catch (e) {
    msg.className = 'msg bad'; msg.textContent = e.message;
  }
  loadScan();
}

/* ---- routing ---- */
function show(id) {
  for (const v of ['view-list', 'view-scan', 'view-schedules', 'view-missing', 'view-inventory', 'view-findings']) $(v).hidden = v !== id;
  $('nav-findings').className = id === 'view-findings' ? 'current' : '';
  $('nav-scans').className = id === 'view-list' ? 'current' : '';
  $('nav-schedules').className = id === 'view-schedules' ? 'current' : '';
  $('nav-inventory').className = id === 'view-inventory' ? 'current' : '';
}

function route() {
  stopTimers();
  const m = location.pathname.match(/^\/scans\/(\d+)$/);
  if (m) {
    state.scanId = m[1]; state.findingsFor = null;
    $('scan-msg').textContent = '';
    $('findings-body').replaceChildren(); $('events-body').replaceChildren();
    show('view-scan');
    document.title = 'scanq · scan #' + m[1];
    // Status, progress and a cancel show within a second of reaching the
    // API; the findings of a running scan at most every 2 s (loadScan).
    every(500, loadScan);
  } else if (location.pathname === '/') {
    state.scanId = null;
    show('view-list');
    document.title = 'scanq';
    every(2000, loadScans);
    every(5000, loadDashboard);
    every(3000, loadQueue);
    every(3000, loadPauses);
    every(3000, loadWebhooks);
  } else if (location.pathname === '/inventory') {
    state.scanId = null;
    show('view-inventory');
    document.title = 'scanq · inventory';
    every(5000, loadInventory);
  } else if (location.pathname === '/findings') {
    state.scanId = null;
    show('view-findings');
    document.title = 'scanq · findings';
    every(5000, loadFindingStates);
  } else if (location.pathname === '/schedules') {
    state.scanId = null;
    show('view-schedules');
    document.title = 'scanq · schedules';
    every(2000, loadSchedules);
  } else {
    show('view-missing');
  }
}

function navigate(path) {
  if (location.pathname !== path) history.pushState(null, '', path);
  route();
}

async function loadRole() {
  try {
    const { data } = await api('GET', '/api/v1/me');
    state.role = data.role;
    $('role').textContent = data.auth_required ? 'role: ' + data.role : 'no authentication (loopback)';
  } catch (e) { $('role').textContent = ''; }
}

document.addEventListener('click', (ev) => {
  const a = ev.target.closest('a[data-nav]');
  if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
  ev.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', route);
window.addEventListener('DOMContentLoaded', async () => {
  $('filter-status').addEventListener('change', (e) => { state.status = e.target.value; filtersChanged(); });
  $('filter-type').addEventListener('change', (e) => { state.type = e.target.value; filtersChanged(); });
  $('filter-target').addEventListener('input', (e) => { state.target = e.target.value.trim(); filtersChanged(); });
  $('btn-older').addEventListener('click', loadOlder);
  $('btn-newer').addEventListener('click', loadNewer);
  $('btn-newest').addEventListener('click', () => { state.pages = []; loadScans(); });
  $('sched-form').addEventListener('submit', addSchedule);
  $('submit-form').addEventListener('submit', submitScan);
  $('pause-form').addEventListener('submit', pauseAll);
  $('btn-resume').addEventListener('click', resumeAll);
  $('pause-kind').addEventListener('change', pauseKindChanged);
  $('btn-retry').addEventListener('click', () => act('retry'));
  document.querySelectorAll('#export-menu button[data-format]').forEach((b) =>
    b.addEventListener('click', () => downloadExport(b.dataset.format)));
  $('btn-cancel').addEventListener('click', () => act('cancel'));
  $('btn-token').addEventListener('click', async () => { await askToken('Enter an API token.'); loadRole(); });
  $('inv-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadInventory(); });
  $('fs-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadFindingStates(); });
  $('webhook-form').addEventListener('submit', addWebhook);
  $('wh-removed').addEventListener('change', loadWebhooks);
  await loadRole();
  loadTypes();
  route();
});

/* ---- chains of follow-up stages and shards ---- */
// "portscan tls" or "portscan:22,80 tls": one stage per word, TYPE[:PORTS].
function flowStages(text) {
  return text.trim().split(/\s+/).map((w) => {
    const i = w.indexOf(':');
    return i < 0 ? w : { type: w.slice(0, i), ports: w.slice(i + 1) };
  });
}

function chainNode(n, current) {
  const li = el('li', { class: 'chain-node' + (n.id === current ? ' current' : ''),
    'data-id': String(n.id), 'data-status': n.status });
  const pct = Math.round((n.status === 'completed' ? 1 : n.progress) * 100);
  li.append(el('a', { href: '/scans/' + n.id, 'data-nav': '', text: '#' + n.id + ' ' + n.type }), ' ',
    badge(n.status), ' ', el('span', { class: 'chain-progress', text: pct + '%' }), ' ',
    el('span', { class: 'muted', text: n.findings + ' findings' }));
  if (n.note) li.append(el('div', { class: 'muted chain-note', text: n.note }));
  if (n.error) li.append(el('div', { class: 'error chain-error', text: n.error }));
  if (n.shards) {
    const s = n.shards;
    li.append(el('div', { class: 'chain-shards', text: 'shards: ' + s.total + ' — ' + s.completed +
      ' completed, ' + s.running + ' running, ' + s.pending + ' pending' +
      (s.failed ? ', ' + s.failed + ' failed' : '') + (s.cancelled ? ', ' + s.cancelled + ' cancelled' : '') }),
      el('div', { class: 'progress' }, el('div', { style: 'width:' + pct + '%' })));
  }
  const kids = n.children.filter((c) => !c.shard);
  const shards = n.children.filter((c) => c.shard);
  if (shards.length) {
    const d = el('details', { class: 'chain-shard-list' }, el('summary', { text: shards.length + ' shards' }));
    d.append(el('ul', {}, ...shards.map((c) => chainNode(c, current))));
    li.append(d);
  }
  if (kids.length) li.append(el('ul', {}, ...kids.map((c) => chainNode(c, current))));
  return li;
}

async function loadChain(id) {
  let t;
  try { t = (await api('GET', '/api/v1/scans/' + id + '/tree')).data; } catch (e) { return; }
  if (id !== state.scanId) return;
  const solo = t.tree.children.length === 0;
  $('scan-chain').hidden = solo;
  if (solo) { $('chain-changes').hidden = true; return; }
  const st = $('chain-status');
  st.textContent = 'chain ' + t.status;
  st.className = 'badge ' + t.status;
  st.setAttribute('data-status', t.status);
  $('chain-findings').textContent = t.findings + ' findings in all';
  morph($('chain-tree'), [chainNode(t.tree, Number(id))]);
  // The chain's changes grow as its stages complete: reloaded every 2 s
  // while it runs, once when it has finished.
  const key = id + ':' + t.status, now = Date.now();
  if (state.chainChangesFor !== key
      || (!TERMINAL.includes(t.status) && now - (state.chainChangesAt || 0) >= 2000)) {
    state.chainChangesAt = now;
    state.chainChangesFor = key;
    await loadChainChanges(id);
  }
}

/* ---- changes, the inventory, webhooks ---- */
function portText(x) { return x.port ? x.port + '/' + (x.proto || 'tcp') : ''; }
function stateText(st) {
  if (!st) return '';
  return [st.service, st.product, st.version].filter(Boolean).join(' ');
}

async function loadChanges(id, status) {
  $('changes-body').replaceChildren();
  $('changes-table').hidden = true;
  $('changes-title').textContent = 'Changes';
  if (status !== 'completed') { $('changes-note').textContent = 'Compared when the scan completes.'; return; }
  const all = [];
  let data = null, after = 0;
  for (let page = 0; page < 10; page++) {
    data = (await api('GET', '/api/v1/scans/' + id + '/changes?limit=1000&after=' + after)).data;
    all.push(...data.changes);
    if (!data.next_cursor) break;
    after = data.next_cursor;
  }
  if (id !== state.scanId) return;
  if (!data.compared) { $('changes-note').textContent = 'Not compared (completed before changes were tracked).'; return; }
  if (data.baseline) {
    $('changes-note').textContent = 'This scan is the baseline: the first completed scan of its type, targets and options.';
    return;
  }
  $('changes-title').replaceChildren('Changes since ',
    el('a', { href: '/scans/' + data.compared_with, 'data-nav': '', text: 'scan ' + data.compared_with }));
  $('changes-note').textContent = data.new + ' new, ' + data.gone + ' gone, ' + data.changed + ' changed';
  $('changes-table').hidden = all.length === 0;
  $('changes-body').replaceChildren(...all.map((c) => changeRow(c, false)));
}

/* A change as a table row; withScan: first the scan that recorded it. */
function changeRow(c, withScan) {
  return el('tr', { class: 'change-' + c.change, 'data-change': c.change },
    withScan ? el('td', {}, el('a', { href: '/scans/' + c.scan_id, 'data-nav': '', text: 'scan ' + c.scan_id })) : null,
    el('td', { class: 'change', text: c.change }), el('td', { text: c.kind }), el('td', { text: c.target || '' }),
    el('td', { text: portText(c) }), el('td', { text: stateText(c.after || c.before) + (c.ident ? ' [' + c.ident + ']' : '') }),
    el('td', { text: c.change === 'changed' ? stateText(c.before) : '' }));
}

/* The scan and every stage below it as one result (?chain=1); shown for a
 * scan that has stages below it. */
async function loadChainChanges(id) {
  const all = [];
  let data = null, after = 0;
  try {
    for (let page = 0; page < 10; page++) {
      data = (await api('GET', '/api/v1/scans/' + id + '/changes?chain=1&limit=1000&after=' + after)).data;
      all.push(...data.changes);
      if (!data.next_cursor) break;
      after = data.next_cursor;
    }
  } catch (e) { return; }
  if (id !== state.scanId) return;
  $('chain-changes').hidden = data.scans < 2;
  $('chain-changes-note').textContent = data.new + ' new, ' + data.gone + ' gone, ' + data.changed
    + ' changed in ' + data.compared + ' of ' + data.scans + ' scans compared';
  $('chain-changes-table').hidden = all.length === 0;
  morph($('chain-changes-body'), all.map((c) => changeRow(c, true)));
}

async function loadInventory() {
  const q = new URLSearchParams({ limit: '1000' });
  if ($('inv-target').value.trim()) q.set('target', $('inv-target').value.trim());
  if ($('inv-port').value) q.set('port', $('inv-port').value);
  if ($('inv-service').value.trim()) q.set('service', $('inv-service').value.trim());
  let data;
  try {
    data = (await api('GET', '/api/v1/inventory?' + q)).data;
    $('inv-msg').textContent = '';
  } catch (e) { $('inv-msg').className = 'msg bad'; $('inv-msg').textContent = e.message; return; }
  $('inventory-empty').hidden = data.items.length > 0;
  morph($('inventory-body'), data.items.map((it) => el('tr',
    { class: it.still_seen ? 'seen-now' : 'gone-now', 'data-still-seen': String(it.still_seen) },
    el('td', { text: it.target }), el('td', { text: portText(it) }),
    el('td', { class: 'service', text: it.service || '', 'data-detected-by': it.detected_by || '' }),
    el('td', { class: 'product', text: [it.product, it.version].filter(Boolean).join(' ') }),
    el('td', { class: 'confirmed' }, it.service_scan
      ? el('a', { href: '/scans/' + it.service_scan, 'data-nav': '', text: when(it.service_confirmed_at),
        title: 'detected by ' + it.detected_by + ' in scan ' + it.service_scan }) : null),
    el('td', { text: when(it.first_seen) }), el('td', { text: when(it.last_seen) }),
    el('td', {}, el('a', { href: '/scans/' + it.last_scan, 'data-nav': '', text: '#' + it.last_scan })),
    el('td', { text: it.still_seen ? 'yes' : 'no' }),
    el('td', { class: 'hostnames', text: (it.hostnames || []).map((h) => h.name).join(', '),
      title: (it.hostnames || []).map((h) => h.name + ' (' + h.sources.join(', ') + ')').join('\n') }))));
}

async function loadWebhooks() {
  if (state.role !== 'admin') { $('webhooks-card').hidden = true; return; }
  let hooks, dels;
  try {
    hooks = (await api('GET', '/api/v1/webhooks' + ($('wh-removed').checked ? '?removed=1' : ''))).data.webhooks;
    dels = (await api('GET', '/api/v1/webhook-deliveries?limit=10')).data.deliveries;
  } catch (e) { return; }
  $('webhooks-card').hidden = false;
  // A removed webhook is kept with its deliveries: shown marked, without actions.
  morph($('webhooks-body'), hooks.map((w) => el('tr', { class: w.removed_at ? 'removed' : '', 'data-id': String(w.id),
    'data-removed': String(!!w.removed_at) },
    el('td', { text: '#' + w.id }), el('td', { text: w.url }), el('td', { text: w.events }),
    w.removed_at
      ? el('td', { class: 'muted', text: 'removed ' + when(w.removed_at) + ' by ' + w.removed_by })
      : el('td', {}, el('button', { type: 'button', class: 'link', text: 'test', onclick: () => webhookAct('POST', w.id, '/test') }),
        el('button', { type: 'button', class: 'link', text: 'remove', onclick: () => webhookAct('DELETE', w.id, '') })))));
  morph($('deliveries-body'), dels.map((d) => el('tr', { 'data-status': d.status, 'data-webhook': String(d.webhook_id) },
    el('td', { text: '#' + d.webhook_id + (d.webhook_removed ? ' (removed)' : '') }),
    el('td', { text: d.event }), el('td', { text: d.status }), el('td', { text: String(d.attempt) }),
    el('td', { text: d.code ? String(d.code) : '' }), el('td', { text: d.error || '' }))));
}

async function webhookAct(method, id, suffix) {
  try { await api(method, '/api/v1/webhooks/' + id + suffix); $('webhook-msg').textContent = ''; }
  catch (e) { $('webhook-msg').className = 'msg bad'; $('webhook-msg').textContent = e.message; }
  loadWebhooks();
}

async function addWebhook(ev) {
  ev.preventDefault();
  const msg = $('webhook-msg');
  try {
    const { data } = await api('POST', '/api/v1/webhooks', { url: $('wh-url').value.trim(), events: $('wh-events').value.trim() });
    msg.className = 'msg good';
    msg.textContent = 'Webhook #' + data.id + ' added. Its secret (shown once): ' + data.secret;
    $('wh-url').value = '';
  } catch (e) { msg.className = 'msg bad'; msg.textContent = e.message; }
  loadWebhooks();
}

/* ---- schedules ---- */
async function loadSchedules() {
  let data;
  try { data = (await api('GET', '/api/v1/schedules')).data; } catch (e) { $('conn').textContent = e.message; return; }
  const op = canOperate();
  $('schedules-empty').hidden = data.schedules.length > 0;
  morph($('schedules-body'), data.schedules.map((s) => {
    const state_ = s.paused ? 'paused' : s.late ? 'late' : 'active';
    const btn = (text, fn, cls) => el('button', { type: 'button', text, disabled: !op,
      className: cls || '', onclick: fn });
    return el('tr', { 'data-name': s.name, 'data-state': state_ },
      el('td', { text: s.name }), el('td', { text: s.cron }), el('td', { text: s.tz }),
      el('td', {}, el('span', { class: 'badge ' + (state_ === 'active' ? 'running' : state_ === 'late'
        ? 'failed' : 'cancelled'), text: state_ })),
      el('td', { text: s.paused ? '—' : when(s.next_run_at) }),
      el('td', { class: 'last' }, s.last_scan_id ? el('a', { href: '/scans/' + s.last_scan_id,
        text: '#' + s.last_scan_id, 'data-nav': '', 'data-scan': String(s.last_scan_id) }) : '—', ' ',
        s.last_status ? badge(s.last_status) : null),
      el('td', { text: s.fired + ' / ' + s.skipped }),
      el('td', { class: 'targets', text: s.type + ' ' + targetsText(s.targets) }),
      el('td', { class: 'actions' },
        s.paused ? btn('Resume', () => schedAct(s.name, 'resume')) : btn('Pause', () => schedAct(s.name, 'pause')),
        btn('Run now', () => schedAct(s.name, 'run-now')),
        btn('Delete', () => { if (confirm('Delete schedule ' + s.name + '? Its scans are kept.')) schedAct(s.name, 'delete'); })));
  }));
}

async function schedAct(name, what) {
  const msg = $('sched-msg');
  try {
    const path = '/api/v1/schedules/' + encodeURIComponent(name);
    const { data } = what === 'delete' ? await api('DELETE', path) : await api('POST', path + '/' + what);
    msg.className = 'msg good';
    msg.textContent = what === 'run-now' ? 'Queued scan #' + data.id + ' of ' + name + '.'
      : 'Schedule ' + name + (what === 'delete' ? ' deleted.' : what === 'pause' ? ' paused.' : ' resumed.');
  } catch (e) { msg.className = 'msg bad'; msg.textContent = e.message; }
  loadSchedules();
}

async function addSchedule(ev) {
  ev.preventDefault();
  const msg = $('s-msg');
  const body = { name: $('s-name').value.trim(), cron: $('s-cron').value.trim(),
    tz: $('s-tz').value.trim() || 'UTC', overlap: $('s-overlap').value, type: $('s-type').value,
    targets: $('s-targets').value.split(/[\s,]+/).filter(Boolean) };
  if ($('s-ports').value.trim()) body.ports = $('s-ports').value.trim();
  if ($('s-options').value.trim()) {
    try { body.options = JSON.parse($('s-options').value); } catch (e) {
      msg.className = 'msg bad'; msg.textContent = 'Options must be a JSON object.';
      return;
    }
  }
  msg.className = 'msg'; msg.textContent = 'Adding…';
  try {
    const { data } = await api('POST', '/api/v1/schedules', body);
    msg.className = 'msg good';
    msg.textContent = 'Schedule ' + data.name + ' added; next run ' + when(data.next_run_at) + '.';
    $('sched-form').reset();
  } catch (e) { msg.className = 'msg bad'; msg.textContent = e.message; }
  loadSchedules();
}
