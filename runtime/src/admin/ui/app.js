// aqueduct admin dashboard: hash-routed views over the JSON admin API.
// All data reaches the DOM through createElement / textContent, never innerHTML.
'use strict';

const STATUSES = ['queued', 'running', 'failed', 'succeeded', 'dead', 'ignored'];
const UNSETTLED = new Set(['queued', 'running', 'failed']); // a run in these may still change
const RETURN_KEY = 'aqueduct.return';
const $ = (sel, root = document) => root.querySelector(sel);

// ---------- DOM helpers ----------

// el('a', {href: '#/x', class: 'y', onclick: fn}, 'text', node, [more]) — null/false children are skipped.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c != null && c !== false) node.append(c instanceof Node ? c : String(c));
  }
  return node;
}
const td = (...c) => el('td', {}, ...c);
const code = text => el('code', {}, text);
const dash = '—';

function field(label, control, hint) {
  const hintEl = hint && el('p', {id: `${control.id}-hint`, class: 'hint'}, hint);
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return el('div', {class: 'field'}, el('label', {for: control.id}, label), control, hintEl);
}

function checkbox(id, label, checked = false) {
  const input = el('input', {type: 'checkbox', id, checked});
  return {input, node: el('span', {class: 'check'}, input, el('label', {for: id}, label))};
}

// A captioned table inside a wrapper that scrolls sideways at narrow widths
// (tabindex lets keyboard users scroll it too).
function table(id, caption, headers) {
  const tbody = el('tbody');
  const wrap = el('div', {class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption},
    el('table', {id}, el('caption', {}, caption),
      el('thead', {}, el('tr', {}, headers.map(h => el('th', {scope: 'col'}, h)))), tbody));
  return {wrap, tbody};
}

const pad = n => String(n).padStart(2, '0');

// <time datetime="ISO">local text</time>; precise adds milliseconds (for log lines and steps).
function time(iso, precise = false) {
  if (!iso) return dash;
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  const text = precise
    ? d.toLocaleTimeString(undefined, {hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3})
    : d.toLocaleString();
  return el('time', {datetime: iso, title: iso}, text);
}

function duration(ms) {
  if (ms == null || !isFinite(ms)) return dash;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}
const between = (a, b) => (a && b ? Date.parse(b) - Date.parse(a) : null);

// datetime-local inputs speak local wall-clock time without a zone; the API wants RFC 3339.
function toLocalInput(iso) {
  const d = new Date(iso);
  if (!iso || isNaN(d)) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
const fromLocalInput = v => (v ? new Date(v).toISOString() : '');

const statusBadge = s => el('span', {class: `status status-${s}`}, s);
const runLink = id => el('a', {href: `#/runs/${encodeURIComponent(id)}`}, String(id));
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

// Replaces container's children (arrays flattened, null/false skipped). Re-rendering replaces nodes:
// if focus was on one of them, put it back on its replacement (matched by data-key or href,
// preferring the same label), so live updates don't strand keyboard users.
function fill(container, ...children) {
  const active = document.activeElement;
  const key = container.contains(active) && (active.dataset.key || active.getAttribute('href'));
  const label = active?.textContent;
  container.replaceChildren(...children.flat(Infinity).filter(c => c != null && c !== false));
  if (!key) return;
  const same = [...container.querySelectorAll('[data-key],[href]')]
    .filter(n => (n.dataset.key || n.getAttribute('href')) === key);
  const target = same.find(n => n.textContent === label) || same[0] || container.closest('[tabindex]');
  if (target) target.focus();
}

// ---------- messages ----------

let announceTimer;
function announce(msg) {
  const region = $('#status');
  region.textContent = '';
  clearTimeout(announceTimer);
  // Emptying first and writing a moment later makes screen readers repeat an identical message.
  announceTimer = setTimeout(() => { region.textContent = msg; }, 50);
}
function showError(msg = '') {
  // Rewriting identical text would make screen readers repeat the alert on every failed poll.
  if ($('#error').textContent !== msg) $('#error').textContent = msg;
}
function fail(err) {
  if (err?.name === 'AbortError') return; // the view was left; nothing to report
  showError(err?.message || String(err));
}

// ---------- API ----------

async function api(method, path, body, signal) {
  // X-Requested-With is the server's CSRF guard on non-GET requests; sent always for simplicity.
  const opts = {method, signal, credentials: 'same-origin', headers: {'X-Requested-With': 'aqueduct'}};
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(path, opts).catch(e => {
    throw e.name === 'AbortError' ? e : new Error(`Could not reach the server (${e.message})`);
  });
  if (res.status === 401) return toLogin();
  const text = await res.text();
  if (signal?.aborted) throw new DOMException('view left', 'AbortError');
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON, e.g. a proxy's error page */ }
  if (!res.ok) throw Object.assign(new Error(data?.error || `${res.status} ${res.statusText}`.trim()), {status: res.status});
  return data;
}

function toLogin() {
  // The login round trip (303 to /admin/ui) drops the hash; remember it for after sign-in.
  if (location.hash.startsWith('#/')) sessionStorage.setItem(RETURN_KEY, location.hash);
  location.href = '/admin/ui';
  return new Promise(() => {}); // never settles: the page is going away
}

const get = (path, signal) => api('GET', path, undefined, signal);

// Calls fn every ms until the view's signal aborts or fn returns false. Timeouts are chained
// (not setInterval) so a slow server never gets overlapping requests; hidden tabs skip ticks.
function every(ms, fn, signal) {
  let timer, failed = false;
  const tick = async () => {
    if (signal.aborted) return;
    if (!document.hidden) {
      try {
        const again = await fn();
        if (failed) showError('');
        failed = false;
        if (again === false) return;
      } catch (e) { failed = true; fail(e); }
    }
    if (!signal.aborted) timer = setTimeout(tick, ms);
  };
  timer = setTimeout(tick, ms);
  signal.addEventListener('abort', () => clearTimeout(timer));
}

// ---------- router ----------

let viewAbort = new AbortController();
let lastRunsHash = '#/runs';

const routes = [
  [/^\/runs\/(\d+)$/, 'runs', (m, q, s) => runView(m[1], s)],
  [/^\/runs$/, 'runs', (m, q, s) => runsView(q, s)],
  [/^\/instances$/, 'instances', (m, q, s) => instancesView(s)],
  [/^\/flows$/, 'flows', (m, q, s) => flowsView(s)],
];

function route() {
  viewAbort.abort(); // stops the previous view's timers and in-flight requests
  viewAbort = new AbortController();
  showError('');
  const hash = location.hash.slice(1) || '/runs';
  const cut = hash.indexOf('?');
  const path = cut < 0 ? hash : hash.slice(0, cut);
  const params = new URLSearchParams(cut < 0 ? '' : hash.slice(cut + 1));
  const found = routes.find(([re]) => re.test(path));
  for (const a of document.querySelectorAll('nav a')) {
    if (found && a.dataset.route === found[1]) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  $('#main').replaceChildren();
  if (!found) {
    heading('Not found');
    $('#main').append(el('p', {}, 'There is no such page. ', el('a', {href: '#/runs'}, 'Show runs')));
    return;
  }
  found[2](path.match(found[0]), params, viewAbort.signal);
}

// Every view starts with its h1, which takes focus so screen readers announce the new page.
function heading(title) {
  document.title = `${title} · aqueduct admin`;
  const h1 = el('h1', {tabindex: -1}, title);
  $('#main').append(h1);
  h1.focus();
  return h1;
}

// ---------- #/runs ----------

function runRow(r) {
  return el('tr', {},
    el('th', {scope: 'row'}, runLink(r.id)),
    td(r.flow), td(r.instance ?? dash), td(r.cause), td(statusBadge(r.status)),
    td(r.attempts), td(time(r.created_at)), td(time(r.finished_at)));
}

function runsView(params, signal) {
  lastRunsHash = location.hash || '#/runs';
  heading('Runs');
  const f = {};
  for (const k of ['flow', 'status', 'instance', 'since', 'until']) f[k] = params.get(k) || '';

  const flowSel = el('select', {id: 'filter-flow'}, el('option', {value: ''}, 'any'),
    f.flow && el('option', {value: f.flow, selected: true}, f.flow)); // until the flow list arrives
  const statusSel = el('select', {id: 'filter-status'}, el('option', {value: ''}, 'any'),
    STATUSES.map(s => el('option', {value: s, selected: s === f.status}, s)));
  const instInput = el('input', {id: 'filter-instance', type: 'text', list: 'instance-names', value: f.instance, autocomplete: 'off'});
  const since = el('input', {id: 'filter-since', type: 'datetime-local', value: toLocalInput(f.since)});
  const until = el('input', {id: 'filter-until', type: 'datetime-local', value: toLocalInput(f.until)});
  const datalist = el('datalist', {id: 'instance-names'});
  const form = el('form', {id: 'run-filters', class: 'filters', 'aria-label': 'Filter runs'},
    field('Flow', flowSel), field('Status', statusSel), field('Instance', instInput),
    field('Since', since), field('Until', until), datalist,
    el('button', {type: 'submit'}, 'Apply'));

  const live = checkbox('live', 'Update live', true);
  const liveNote = el('span', {id: 'live-note', class: 'muted'});
  const replayDead = el('button', {type: 'button', id: 'replay-dead', class: 'secondary'}, 'Replay all dead runs');
  const replayResult = el('div', {id: 'replay-result'});
  const {wrap, tbody} = table('runs', 'Runs', ['ID', 'Flow', 'Instance', 'Cause', 'Status', 'Attempts', 'Created', 'Finished']);
  const empty = el('p', {class: 'muted', hidden: true}, 'No runs match these filters.');
  const more = el('button', {type: 'button', id: 'more', class: 'secondary', hidden: true}, 'Load older runs');
  $('#main').append(form, el('div', {class: 'toolbar'}, live.node, liveNote, replayDead), replayResult, wrap, empty, more);

  form.addEventListener('submit', e => {
    e.preventDefault();
    const q = new URLSearchParams();
    const values = {flow: flowSel.value, status: statusSel.value, instance: instInput.value.trim(),
      since: fromLocalInput(since.value), until: fromLocalInput(until.value)};
    for (const [k, v] of Object.entries(values)) if (v) q.set(k, v);
    const hash = `#/runs${q.toString() ? `?${q}` : ''}`;
    if (hash === location.hash) route(); // same hash fires no hashchange: reload by hand
    else location.hash = hash;
  });

  // Filter options: load in parallel with the runs.
  get('/admin/flows', signal).then(({flows}) => {
    const names = flows.map(x => x.name);
    if (f.flow && !names.includes(f.flow)) names.push(f.flow);
    fill(flowSel, el('option', {value: ''}, 'any'),
      names.map(n => el('option', {value: n, selected: n === f.flow}, n)));
  }).catch(fail);
  get('/admin/instances', signal).then(({instances}) => {
    fill(datalist, instances.map(i => el('option', {value: i.name})));
  }).catch(fail);

  const apiQuery = new URLSearchParams(Object.entries(f).filter(([, v]) => v));
  let next = null, paged = false, firstJson = '', shownIds = new Set();
  const fetchPage = before => {
    const q = new URLSearchParams(apiQuery);
    if (before) q.set('before', before);
    return get(`/admin/runs${q.toString() ? `?${q}` : ''}`, signal);
  };
  const setNext = n => { next = n; more.hidden = n == null; };
  const renderFirst = data => {
    firstJson = JSON.stringify(data);
    shownIds = new Set(data.runs.map(r => r.id));
    fill(tbody, data.runs.map(runRow));
    empty.hidden = data.runs.length > 0;
    setNext(data.next);
  };
  const loadFirst = async () => {
    paged = false;
    liveNote.textContent = '';
    const data = await fetchPage();
    renderFirst(data);
    announce(`Loaded ${plural(data.runs.length, 'run')}`);
  };
  loadFirst().catch(fail);

  // Live updates only while the first page alone is shown: re-rendering it would drop older pages.
  every(2000, async () => {
    if (!live.input.checked || paged) return;
    const data = await fetchPage();
    if (!live.input.checked || paged || JSON.stringify(data) === firstJson) return;
    const fresh = data.runs.filter(r => !shownIds.has(r.id)).length;
    renderFirst(data);
    if (fresh) announce(`${plural(fresh, 'new run')}`);
  }, signal);

  live.input.addEventListener('change', () => {
    if (live.input.checked && paged) loadFirst().catch(fail);
  });

  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      const data = await fetchPage(next);
      paged = true;
      if (live.input.checked) liveNote.textContent = 'Live updates pause while older runs are shown.';
      const rows = data.runs.map(runRow);
      tbody.append(...rows);
      setNext(data.next);
      announce(`Loaded ${plural(data.runs.length, 'older run')}`);
      if (more.hidden && rows.length) rows[0].querySelector('a').focus(); // the button vanished
    } catch (e) { fail(e); } finally { more.disabled = false; }
  });

  replayDead.addEventListener('click', async () => {
    if (!confirm(`Replay all dead runs${f.flow ? ` of flow "${f.flow}"` : ''}?`)) return;
    replayDead.disabled = true;
    showError('');
    try {
      const r = await api('POST', '/admin/replay', f.flow ? {status: 'dead', flow: f.flow} : {status: 'dead'}, signal);
      const msg = `Replayed ${plural(r.replayed.length, 'dead run')}` +
        (r.refused.length ? `; ${r.refused.length} refused.` : '.');
      fill(replayResult, el('p', {}, msg), r.refused.length > 0 &&
        el('ul', {}, r.refused.map(x => el('li', {}, 'Run ', runLink(x.run_id), ': ', x.error))));
      announce(msg);
      if (!paged) renderFirst(await fetchPage());
    } catch (e) { fail(e); } finally { replayDead.disabled = false; }
  });
}

// ---------- #/runs/{id} ----------

function runView(id, signal) {
  const main = $('#main');
  const h1 = heading(`Run ${id}`);
  const badge = el('span', {class: 'status'});
  main.prepend(el('p', {class: 'back'}, el('a', {href: lastRunsHash}, '← All runs')));
  const fresh = checkbox('fresh', 'Call every action again');
  const replay = el('button', {type: 'button', id: 'replay'}, 'Replay');
  const detail = el('div', {id: 'run-detail'}, el('p', {class: 'muted'}, 'Loading…'));
  main.append(el('div', {class: 'toolbar'}, replay, fresh.node), detail);

  replay.addEventListener('click', async () => {
    replay.disabled = true;
    showError('');
    try {
      const r = await api('POST', `/admin/runs/${id}/replay${fresh.input.checked ? '?fresh=true' : ''}`, {}, signal);
      announce(`Replaying as run ${r.run_id}`);
      location.hash = `#/runs/${encodeURIComponent(r.run_id)}`;
    } catch (e) { fail(e); } finally { replay.disabled = false; }
  });

  let lastJson = '', lastStatus = null;
  const load = async () => {
    const run = await get(`/admin/runs/${id}`, signal);
    const json = JSON.stringify(run);
    if (json !== lastJson) { // unchanged polls leave the DOM (and any text selection) alone
      lastJson = json;
      badge.className = `status status-${run.status}`;
      badge.textContent = run.status;
      if (!badge.isConnected) h1.append(' ', badge);
      fill(detail, renderRun(run));
      // Only status changes are announced: progress may change every second.
      if (lastStatus !== run.status) announce(lastStatus ? `Run ${id} is now ${run.status}` : `Loaded run ${id}, ${run.status}`);
      lastStatus = run.status;
    }
    return UNSETTLED.has(run.status);
  };
  load().then(again => { if (again) every(1000, load, signal); }).catch(e => {
    if (e.name !== 'AbortError') fill(detail, el('p', {class: 'muted'}, 'This run could not be loaded.'));
    fail(e);
  });
}

function payloadText(run) {
  if (run.body == null) {
    return run.payload_removed_at ? ['payload removed at ', time(run.payload_removed_at)] : 'payload removed';
  }
  if (run.body === '') return '(empty body)';
  try { return JSON.stringify(JSON.parse(run.body), null, 2); } catch { return run.body; }
}

function renderRun(run) {
  const fields = [
    ['Flow', run.flow], ['Instance', run.instance ?? dash], ['Cause', run.cause], ['Attempts', run.attempts],
    ['Created', time(run.created_at)], ['Finished', time(run.finished_at)], ['Due at', time(run.due_at)],
    ['Progress', run.progress == null ? dash
      : typeof run.progress === 'object' ? JSON.stringify(run.progress) : String(run.progress)],
    ['Replay of', run.replay_of != null ? runLink(run.replay_of) : dash],
    ['Replayed as', run.replayed_as != null ? runLink(run.replayed_as) : dash],
  ];
  const dl = el('dl', {class: 'fields'}, fields.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  const history = run.history || [];
  return [
    dl,
    run.error && el('div', {id: 'run-error', class: 'alert', role: 'alert'}, el('strong', {}, 'Error: '), run.error),
    el('h2', {}, 'Payload'), el('pre', {id: 'run-payload'}, payloadText(run)),
    el('h2', {}, 'Query'), el('pre', {id: 'run-query'}, run.query ?? dash),
    el('h2', {}, 'Output'), el('pre', {id: 'run-output'}, run.output == null ? dash : JSON.stringify(run.output, null, 2)),
    el('h2', {}, 'Attempts'), el('ol', {id: 'attempts', class: 'attempts'}, history.map(attemptItem)),
    history.length === 0 && el('p', {class: 'muted'}, 'No attempts yet.'),
  ];
}

function attemptItem(a) {
  const start = Date.parse(a.started_at);
  const total = between(a.started_at, a.finished_at);
  const steps = a.steps || [];
  const offsetOf = s => Date.parse(s.started_at) - start;
  // Bars are scaled to the whole attempt, or to the furthest step end while it still runs.
  const ends = steps.map(s => offsetOf(s) + (s.duration_ms || 0)).filter(Number.isFinite);
  const scale = Math.max(total || 0, ...ends, 1);
  const li = el('li', {class: 'attempt'},
    el('h3', {}, `Attempt ${a.attempt}`),
    el('p', {}, 'Started ', time(a.started_at), a.finished_at ? `, took ${duration(total)}` : ', still running'),
    a.error && el('p', {class: 'error'}, el('strong', {}, 'Error: '), a.error));

  if (steps.length) {
    const {wrap, tbody} = table(null, `Steps of attempt ${a.attempt}`, ['Step', 'Start', 'Duration', 'Error']);
    for (const s of steps) {
      const bar = el('span', {class: s.error ? 'bar bar-error' : 'bar'});
      bar.style.left = `${(100 * Math.max(0, offsetOf(s)) / scale).toFixed(2)}%`;
      bar.style.width = `${(100 * (s.duration_ms || 0) / scale).toFixed(2)}%`;
      tbody.append(el('tr', {class: s.error ? 'step-error' : null},
        el('th', {scope: 'row'}, s.name, s.replayed && [' ', el('span', {class: 'tag'}, 'replayed')]),
        td(`+${duration(offsetOf(s))}`),
        td(duration(s.duration_ms), el('span', {class: 'track', 'aria-hidden': 'true'}, bar)),
        td(s.error ?? '')));
    }
    li.append(wrap);
  }
  if (a.logs?.length) {
    const {wrap, tbody} = table(null, `Log of attempt ${a.attempt}`, ['Time', 'Level', 'Message']);
    tbody.append(...a.logs.map(l => el('tr', {class: `log log-${String(l.level).toLowerCase()}`},
      td(time(l.at, true)), td(l.level), td(el('span', {class: 'message'}, l.message)))));
    li.append(wrap);
  }
  return li;
}

// ---------- #/instances ----------

function endpointList(endpoints) {
  if (!endpoints?.length) return dash;
  return el('ul', {class: 'plain'}, endpoints.map(e => el('li', {}, `${e.flow}: `, code(e.url))));
}

function instancesView(signal) {
  heading('Instances');
  const notice = el('div', {id: 'instance-notice'});
  const {wrap, tbody} = table('instances', 'Instances', ['Name', 'State', 'Version', 'Updated', 'Endpoints', 'Actions']);
  const empty = el('p', {class: 'muted', hidden: true}, 'No instances yet.');
  const nameInput = el('input', {id: 'instance-name', type: 'text', required: true, autocomplete: 'off', spellcheck: 'false'});
  const config = el('textarea', {id: 'instance-config', rows: 10, required: true, spellcheck: 'false', placeholder: '{ "key": "value" }'});
  const submit = el('button', {type: 'submit'}, 'Activate or reconfigure');
  const result = el('div', {id: 'instance-result'});
  const form = el('form', {id: 'instance-form', class: 'stack', 'aria-labelledby': 'instance-form-title'},
    el('h2', {id: 'instance-form-title'}, 'Activate or reconfigure'),
    field('Name', nameInput),
    field('Configuration (JSON)', config, 'A JSON object. Saving an active instance reconfigures it.'),
    submit, result);
  $('#main').append(notice, wrap, empty, form);

  const load = async () => {
    const {instances} = await get('/admin/instances', signal);
    fill(tbody, instances.map(i => el('tr', {},
      el('th', {scope: 'row'}, i.name),
      td(el('span', {class: i.active ? 'state-active' : 'state-inactive'}, i.active ? 'active' : 'inactive')),
      td(i.version), td(time(i.updated_at)), td(endpointList(i.endpoints)),
      td(i.active && el('button', {type: 'button', class: 'secondary', 'data-key': `deactivate:${i.name}`,
        'aria-label': `Deactivate ${i.name}`, onclick: () => deactivate(i.name)}, 'Deactivate')))));
    empty.hidden = instances.length > 0;
    return instances;
  };
  load().then(list => announce(`Loaded ${plural(list.length, 'instance')}`)).catch(fail);

  async function deactivate(name) {
    if (!confirm(`Deactivate instance "${name}"?`)) return;
    showError('');
    const url = `/admin/instances/${encodeURIComponent(name)}`;
    try {
      const r = await api('DELETE', url, undefined, signal).catch(e => {
        // A conflict means the server wants an explicit override; offer it with its reason.
        if (e.status !== 409 || !confirm(`${e.message}\n\nDeactivate "${name}" anyway?`)) throw e;
        return api('DELETE', `${url}?force=true`, undefined, signal);
      });
      fill(notice, el('p', {}, `Instance ${r.name} deactivated.`,
        r.hook_run != null && [' Deactivation hook: run ', runLink(r.hook_run), '.']));
      announce(`Instance ${r.name} deactivated`);
      await load();
    } catch (e) { fail(e); }
  }

  form.addEventListener('submit', async e => {
    e.preventDefault();
    showError('');
    let cfg, problem = null;
    try { cfg = JSON.parse(config.value); } catch (err) { problem = `The configuration is not valid JSON: ${err.message}`; }
    if (!problem && (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg))) problem = 'The configuration must be a JSON object: { … }';
    config.setAttribute('aria-invalid', String(Boolean(problem)));
    if (problem) { showError(problem); config.focus(); return; }
    submit.disabled = true;
    try {
      const r = await api('PUT', `/admin/instances/${encodeURIComponent(nameInput.value.trim())}`, cfg, signal);
      fill(result, el('h3', {}, `Instance ${r.name} is active`),
        el('p', {}, 'Endpoints:'), endpointList(r.endpoints),
        r.hook_run != null && el('p', {}, 'Activation hook: run ', runLink(r.hook_run)));
      announce(`Instance ${r.name} saved and active`);
      await load();
    } catch (err) { fail(err); } finally { submit.disabled = false; }
  });
}

// ---------- #/flows ----------

function trigger(f) {
  const parts = [];
  if (f.path) parts.push(code([f.method, f.path].filter(Boolean).join(' ')));
  if (f.schedule) parts.push([code(f.schedule), f.tz ? ` (${f.tz})` : '']);
  for (const k of ['event', 'subject', 'queue', 'topic', 'preprocess']) {
    if (f[k] != null) parts.push([`${k} `, code(String(f[k]))]);
  }
  return parts.length ? parts.flatMap((p, i) => (i ? ['; ', p] : [p])) : dash;
}

function pausedText(p) {
  if (p === true) return el('span', {class: 'state-paused'}, 'paused');
  if (Array.isArray(p) && p.length) return el('span', {class: 'state-paused'}, `paused for ${p.join(', ')}`);
  return 'no';
}

function flowsView(signal) {
  heading('Flows');
  const {wrap, tbody} = table('flows', 'Flows', ['Name', 'Kind', 'Trigger', 'Next', 'Paused', 'Actions']);
  $('#main').append(wrap);

  // One data-key per flow/instance pair, so focus lands on the replacement after Pause becomes Resume.
  const button = (flow, instance, pause) => el('button', {
    type: 'button', class: 'secondary small', 'data-key': `pause:${flow}:${instance ?? ''}`,
    'aria-label': `${pause ? 'Pause' : 'Resume'} ${flow} ${instance ? `for ${instance}` : '(all instances)'}`,
    onclick: () => setPaused(flow, instance, pause),
  }, pause ? 'Pause' : 'Resume');

  const instanceList = f => f.instances?.length > 0 && el('ul', {class: 'instances'},
    f.instances.map(i => el('li', {},
      el('strong', {}, i.name), ': next ', time(i.next),
      i.schedule && [', schedule ', code(i.schedule)],
      i.paused && [' ', el('span', {class: 'state-paused'}, 'paused')], ' ',
      button(f.name, i.name, !i.paused))));

  const row = f => {
    const paused = Array.isArray(f.paused) && f.paused.length === 0 ? false : f.paused;
    const scheduled = f.kind === 'schedule' || f.schedule != null || f.instances != null;
    return el('tr', {},
      el('th', {scope: 'row'}, f.name), td(f.kind), td(trigger(f)),
      td(f.next?.length ? el('ul', {class: 'plain'}, f.next.map(t => el('li', {}, time(t)))) : dash),
      td(pausedText(paused)),
      // Flow-wide buttons: "paused" may be a list of paused instances, in which case both apply.
      td(scheduled && [el('div', {class: 'buttons'}, paused !== true && button(f.name, null, true),
        paused !== false && paused != null && button(f.name, null, false)), instanceList(f)]));
  };

  const load = async () => {
    const {flows} = await get('/admin/flows', signal);
    fill(tbody, flows.map(row));
    return flows;
  };
  load().then(list => announce(`Loaded ${plural(list.length, 'flow')}`)).catch(fail);

  async function setPaused(flow, instance, pause) {
    showError('');
    try {
      const r = await api('POST', `/admin/flows/${encodeURIComponent(flow)}/${pause ? 'pause' : 'resume'}`,
        instance ? {instance} : {}, signal);
      await load();
      announce(`${r.flow}${r.instance ? ` for ${r.instance}` : ''} ${r.paused ? 'paused' : 'resumed'}` +
        (r.changed ? '' : ' (no change)'));
    } catch (e) { fail(e); }
  }
}

// ---------- start ----------

$('#sign-out').addEventListener('click', () => api('POST', '/admin/ui/logout').then(() => {
  sessionStorage.removeItem(RETURN_KEY);
  location.href = '/admin/ui';
}, fail));

// The skip link must not change the hash (that would be a route); just move focus.
$('.skip').addEventListener('click', e => { e.preventDefault(); $('#main h1')?.focus(); });

const back = sessionStorage.getItem(RETURN_KEY);
sessionStorage.removeItem(RETURN_KEY);
if (!location.hash && back && back.startsWith('#/')) history.replaceState(null, '', back);
addEventListener('hashchange', route);
route();
