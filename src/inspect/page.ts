/**
 * The viewer's page: one HTML document with its CSS and script inline (no framework, no CDN), served
 * by {@link startViewer}. It subscribes at `/ws?role=page` on its own origin and shows, live: each
 * actor with its state tree (active states have the class `active`) and its state value (the element
 * `[data-actor="<id>"]`, whose `data-state` is the value's JSON); the event log with a filter; the
 * selected actor's context; and why the outbox's commands wait.
 *
 * @module
 */
export const VIEWER_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>agentc-inspect</title>
<style>
  :root { color-scheme: light dark; --fg: #1d2330; --muted: #6b7385; --bg: #f7f8fa; --panel: #fff; --line: #dde1e8; --active: #d7f5dd; --active-fg: #0b6b24; --accent: #2f5fd0; }
  @media (prefers-color-scheme: dark) { :root { --fg: #e3e7ef; --muted: #98a0b3; --bg: #14171d; --panel: #1c2028; --line: #2d333f; --active: #17432a; --active-fg: #8be3a4; --accent: #7fa4ff; } }
  * { box-sizing: border-box; }
  body { margin: 0; font: 13px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
  header.top { display: flex; gap: 12px; align-items: baseline; padding: 8px 12px; border-bottom: 1px solid var(--line); background: var(--panel); }
  header.top h1 { font-size: 15px; margin: 0; }
  #status { color: var(--muted); }
  main { display: grid; grid-template-columns: minmax(280px, 1fr) minmax(320px, 1.3fr); gap: 10px; padding: 10px; }
  .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; min-width: 0; }
  h2 { font-size: 13px; margin: 0 0 6px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
  h3 { font-size: 12px; margin: 8px 0 2px; }
  code, pre, .mono { font: 12px/1.35 ui-monospace, SFMono-Regular, Menlo, monospace; }
  #actors { display: flex; flex-direction: column; gap: 8px; }
  section.actor { border: 1px solid var(--line); border-radius: 5px; padding: 4px 8px; }
  section.actor.selected { border-color: var(--accent); }
  section.actor.stopped { opacity: .55; }
  section.actor > .head { display: flex; gap: 8px; align-items: baseline; cursor: pointer; }
  section.actor .name { font-weight: 600; }
  section.actor .status { color: var(--muted); margin-left: auto; }
  ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 14px; }
  ul.tree { padding-left: 0; }
  ul.tree li > span { display: inline-block; padding: 0 4px; border-radius: 3px; color: var(--muted); }
  ul.tree li.active > span { background: var(--active); color: var(--active-fg); font-weight: 600; }
  ul.tree li.final > span::after { content: " (final)"; font-weight: 400; }
  ul.tree li.parallel > span::after { content: " (parallel)"; font-weight: 400; }
  #context { max-height: 40vh; overflow: auto; margin: 0; white-space: pre-wrap; word-break: break-word; }
  #outbox ul { margin: 0; padding-left: 18px; }
  #outbox .none { color: var(--muted); }
  #filter { width: 100%; padding: 4px 6px; margin-bottom: 6px; font: inherit; }
  #log { width: 100%; border-collapse: collapse; }
  #log td { padding: 1px 6px 1px 0; border-bottom: 1px solid var(--line); vertical-align: top; white-space: nowrap; }
  #log td.type { white-space: normal; overflow-wrap: anywhere; width: 40%; }
  #log tr { cursor: pointer; }
  .side { display: flex; flex-direction: column; gap: 10px; min-width: 0; }
  .logwrap { max-height: 45vh; overflow: auto; }
</style>
</head>
<body>
<header class="top"><h1>agentc-inspect</h1><span id="status">connecting…</span><span id="dropped"></span></header>
<main>
  <div class="panel"><h2>Actors</h2><div id="actors"></div></div>
  <div class="side">
    <div class="panel"><h2>Snapshot <span id="selected" class="mono"></span></h2><pre id="context"></pre></div>
    <div class="panel" id="outbox"><h2>Outbox: why commands wait</h2>
      <h3>waiting for ready</h3><ul data-field="queue"></ul>
      <h3>held until the server is idle</h3><ul data-field="held"></ul>
      <h3>text waiting</h3><ul data-field="waiting"></ul>
    </div>
    <div class="panel"><h2>Events</h2>
      <input id="filter" type="search" placeholder="filter by actor id or event type">
      <div class="logwrap"><table id="log"><tbody></tbody></table></div>
    </div>
  </div>
</main>
<script>
(function () {
  'use strict';
  var LOG_LIMIT = 10000, LOG_SHOWN = 500;
  var actors = new Map();
  var log = [];
  var selected = null;
  var dropped = 0;
  var dirty = new Set();
  var logDirty = false, scheduled = false;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) for (var key in attrs) node.setAttribute(key, attrs[key]);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function join(prefix, key) { return prefix === '' ? key : prefix + '.' + key; }
  function activePaths(value, prefix, set) {
    if (typeof value === 'string') { set.add(join(prefix, value)); return set; }
    if (value && typeof value === 'object') for (var key in value) { var path = join(prefix, key); set.add(path); activePaths(value[key], path, set); }
    return set;
  }
  function valueText(value) {
    if (typeof value === 'string') return value;
    if (!value || typeof value !== 'object') return value === undefined ? '' : JSON.stringify(value);
    return Object.keys(value).map(function (key) {
      var inner = valueText(value[key]);
      return inner === '' ? key : key + '.' + (typeof value[key] === 'object' && Object.keys(value[key]).length > 1 ? '(' + inner + ')' : inner);
    }).join(', ');
  }
  function eventType(event) { return event && typeof event === 'object' && typeof event.type === 'string' ? event.type : ''; }

  function buildTree(node, path, list) {
    var item = el('li', { 'data-path': path });
    if (node.type === 'final' || node.type === 'parallel') item.classList.add(node.type);
    item.appendChild(el('span', node.description ? { title: node.description } : null, node.key));
    if (node.states && node.states.length) {
      var children = el('ul');
      node.states.forEach(function (child) { buildTree(child, join(path, child.key), children); });
      item.appendChild(children);
    }
    list.appendChild(item);
  }

  function ensure(id) {
    var actor = actors.get(id);
    if (actor) return actor;
    var section = el('section', { class: 'actor', 'data-actor-id': id });
    var head = el('div', { class: 'head' });
    head.appendChild(el('span', { class: 'name' }, id));
    var value = el('code', { class: 'value', 'data-actor': id, 'data-state': 'null', 'data-testid': 'state:' + id }, '');
    head.appendChild(value);
    var status = el('span', { class: 'status' }, '');
    head.appendChild(status);
    section.appendChild(head);
    var tree = el('ul', { class: 'tree' });
    section.appendChild(tree);
    head.addEventListener('click', function () { select(id); });
    actor = { id: id, tree: null, value: undefined, context: undefined, status: 'active', section: section, valueEl: value, statusEl: status, treeEl: tree };
    actors.set(id, actor);
    document.getElementById('actors').appendChild(section);
    if (selected === null || (id === 'client' && selected !== 'client' && !actors.get(selected).picked)) select(id, true);
    return actor;
  }

  function apply(record) {
    var actor = ensure(record.actorId);
    if (record.kind === 'actor') {
      actor.status = 'active';
      if (record.definition && !actor.tree) { actor.tree = record.definition; buildTree(record.definition, '', actor.treeEl); }
    } else if (record.kind === 'snapshot') {
      actor.value = record.value;
      actor.context = record.context;
      if (record.status) actor.status = record.status;
    }
    dirty.add(actor.id);
    if (record.kind !== 'snapshot') { log.push(record); logDirty = true; }
  }

  function renderActor(actor) {
    var json = JSON.stringify(actor.value === undefined ? null : actor.value);
    actor.valueEl.setAttribute('data-state', json);
    actor.valueEl.textContent = valueText(actor.value);
    actor.statusEl.textContent = actor.status;
    actor.section.classList.toggle('stopped', actor.status !== 'active');
    var active = actor.value === undefined ? new Set() : activePaths(actor.value, '', new Set());
    var live = actor.status === 'active' || actor.status === 'done';
    actor.treeEl.querySelectorAll('li[data-path]').forEach(function (item) {
      var path = item.getAttribute('data-path');
      item.classList.toggle('active', live && (path === '' || active.has(path)));
    });
  }

  function renderSelected() {
    var actor = selected === null ? null : actors.get(selected);
    document.getElementById('selected').textContent = actor ? actor.id : '';
    document.getElementById('context').textContent = actor && actor.context !== undefined ? JSON.stringify(actor.context, null, 2) : '';
  }

  function renderOutbox() {
    var outbox = actors.get('outbox');
    var context = outbox && outbox.context && typeof outbox.context === 'object' ? outbox.context : {};
    document.querySelectorAll('#outbox ul[data-field]').forEach(function (list) {
      var field = list.getAttribute('data-field');
      var items = context[field];
      items = Array.isArray(items) ? items : items ? [items] : [];
      list.textContent = '';
      if (items.length === 0) list.appendChild(el('li', { class: 'none' }, 'none'));
      items.forEach(function (item) {
        var text = eventType(item && item.event) || 'command';
        if (item && item.id !== null && item.id !== undefined) text += ' #' + item.id;
        if (field === 'waiting' && item.cancelSent) text += ' (its cancel is out)';
        list.appendChild(el('li', { class: 'mono' }, text));
      });
    });
  }

  function renderLog() {
    var needle = document.getElementById('filter').value.trim().toLowerCase();
    var rows = [];
    for (var i = log.length - 1; i >= 0 && rows.length < LOG_SHOWN; i--) {
      var record = log[i];
      var type = record.kind === 'actor' ? '(created)' : eventType(record.event);
      if (needle && record.actorId.toLowerCase().indexOf(needle) < 0 && type.toLowerCase().indexOf(needle) < 0) continue;
      var row = el('tr', { 'data-actor-id': record.actorId });
      row.appendChild(el('td', { class: 'mono' }, new Date(record.at).toISOString().slice(11, 23)));
      row.appendChild(el('td', { class: 'mono' }, record.actorId));
      row.appendChild(el('td', { class: 'mono type' }, type));
      row.appendChild(el('td', { class: 'mono' }, record.sourceId ? 'from ' + record.sourceId : ''));
      rows.push(row);
    }
    var body = document.querySelector('#log tbody');
    body.textContent = '';
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function render() {
    scheduled = false;
    dirty.forEach(function (id) { renderActor(actors.get(id)); });
    if (dirty.has('outbox')) renderOutbox();
    if (selected !== null && dirty.has(selected)) renderSelected();
    dirty.clear();
    if (logDirty) { logDirty = false; renderLog(); }
    document.getElementById('dropped').textContent = dropped > 0 ? dropped + ' records dropped' : '';
  }
  function schedule() { if (!scheduled) { scheduled = true; setTimeout(render, 30); } }

  function select(id, automatic) {
    if (selected !== null && actors.get(selected)) actors.get(selected).section.classList.remove('selected');
    selected = id;
    var actor = actors.get(id);
    if (actor) { actor.section.classList.add('selected'); if (!automatic) actor.picked = true; }
    renderSelected();
  }

  document.getElementById('filter').addEventListener('input', renderLog);
  document.querySelector('#log tbody').addEventListener('click', function (event) {
    var row = event.target.closest('tr');
    if (row) select(row.getAttribute('data-actor-id'));
  });

  function connect() {
    var socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws?role=page');
    var status = document.getElementById('status');
    socket.onopen = function () { status.textContent = 'connected'; log = []; logDirty = true; };
    socket.onmessage = function (message) {
      var data;
      try { data = JSON.parse(message.data); } catch (error) { return; }
      if (typeof data.dropped === 'number') dropped = data.dropped;
      (data.records || []).forEach(apply);
      if (log.length > LOG_LIMIT) log = log.slice(log.length - LOG_LIMIT);
      schedule();
    };
    socket.onclose = function () { status.textContent = 'disconnected; retrying…'; setTimeout(connect, 1000); };
  }
  renderOutbox();
  connect();
})();
</script>
</body>
</html>
`;
