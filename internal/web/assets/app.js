// floatlic status page. A client of licd's public API, as licstat is: it
// fetches GET v1/status, follows GET v1/events and refetches the status
// after events (throttled) and every few seconds (heartbeats and HAL nodes
// going up or down make no events). Server-provided text only ever goes
// into the page as text (textContent, append of strings, attributes), never
// as HTML. Paths are relative, so the page also works behind a proxy that
// serves licd under a prefix.
'use strict';
(() => {
  const POLL_MS = 5000;        // refetch this often without events
  const MIN_GAP_MS = 250;      // least time between two status fetches
  const SLOW_FACTOR = 10;      // ... or ten times the last fetch took
  const KEEP_EVENTS = 100;     // events listed (the server replays 100)
  const MAX_ROWS = 500;        // checkouts drawn at once; the filter finds the rest
  const STREAM_QUIET_MS = 40000; // licd pings the event stream every 15 s
  const TOKEN_KEY = 'floatlic.adminToken';

  const $ = (sel) => document.querySelector(sel);
  const body = document.body;

  const state = {
    status: null,
    skew: 0,                   // server clock minus ours, from the last status
    events: [],                // newest last
    lastSeq: 0,
    filter: '',
    streamOpened: 0,
    instance: '',              // of the server whose events are listed
  };

  // el makes an element. props: class, text, data-*, or any attribute;
  // kids: nodes, or strings that become text nodes.
  function el(tag, props, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids) if (kid !== null && kid !== undefined && kid !== false) e.append(kid);
    return e;
  }

  // ---- time ----

  const serverNow = () => Date.now() + state.skew;

  // span writes a duration as people read it: 45s, 12m 5s, 3h 20m, 2d 4h.
  function span(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return s + 's';
    const m = Math.floor(s / 60), h = Math.floor(m / 60), d = Math.floor(h / 24);
    if (m < 60) return m + 'm ' + (s % 60) + 's';
    if (h < 24) return h + 'h ' + (m % 60) + 'm';
    return d + 'd ' + (h % 24) + 'h';
  }

  const pad = (n) => String(n).padStart(2, '0');
  function clock(iso) {
    const d = new Date(iso);
    return isNaN(d) ? '' : pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  // relText is the text of a live time cell: how long ago, or how long
  // left ("ended" once past).
  function relText(iso, mode) {
    const t = Date.parse(iso);
    if (isNaN(t) || t <= 0) return '—';
    const d = t - serverNow();
    if (mode === 'left') return d > 0 ? span(d) : 'ended';
    if (mode === 'up') return 'up ' + span(-d);
    return span(-d) + ' ago';
  }

  // rel makes a cell whose text tick() keeps current.
  function rel(tag, iso, mode, cls) {
    const full = new Date(iso);
    return el(tag, { class: cls, 'data-t': iso, 'data-mode': mode, title: isNaN(full) ? null : full.toLocaleString(), text: relText(iso, mode) });
  }

  function tick() {
    for (const e of document.querySelectorAll('[data-t]')) {
      const text = relText(e.dataset.t, e.dataset.mode);
      if (e.textContent !== text) e.textContent = text;
      if (e.dataset.mode === 'left') e.classList.toggle('warn-text', text === 'ended');
    }
  }

  // ---- rendering ----

  function fill(tbody, rows, cols, emptyText) {
    if (rows.length === 0) rows = [el('tr', null, el('td', { class: 'empty', colspan: cols, text: emptyText }))];
    tbody.replaceChildren(...rows);
  }

  function setCount(section, n) {
    $(section + ' .count').textContent = n ? String(n) : '';
  }

  const num = (n) => Number(n || 0).toLocaleString('en-US');
  const plural = (n, word) => num(n) + ' ' + word + (n === 1 ? '' : 's');

  function render() {
    const st = state.status;
    if (!st) return;
    renderServer(st.server || {}, st.policy);
    renderFeatures(st.features || []);
    renderCheckouts(st.checkouts || []);
    renderQueue(st.queue || []);
    renderBorrows(st.borrows || []);
    renderGraces(st.graces || []);
    renderServers(st.servers || [], st.server || {});
  }

  function renderServer(s, policy) {
    const parts = [el('b', { class: 'mono', text: s.addr || location.host })];
    let role = s.role || '';
    if (s.hal_id) role = 'HAL node #' + s.hal_id + ' · ' + role;
    parts.push(el('span', { text: role }));
    if (s.hal_id && !s.serving && s.primary) parts.push(el('span', null, 'serving: ', el('span', { class: 'mono', text: s.primary })));
    if (s.hal_id && !s.quorum) parts.push(el('span', { class: 'tag bad', text: 'no quorum' }));
    if (s.instance) parts.push(el('span', { class: 'mono', title: 'instance ' + s.instance, text: s.instance.slice(0, 8) }));
    if (s.version) parts.push(el('span', { text: s.version }));
    if (s.started) parts.push(rel('span', s.started, 'up'));
    if (policy && policy.path) parts.push(el('span', { title: 'the options file in force (licd serve --options)', text: 'options: ' + policy.path + ', ' + plural(policy.rules, 'rule') }));
    $('#server').replaceChildren(...parts);
    document.title = 'floatlic · ' + (s.addr || location.host);
  }

  // expiry tells how a license's EXPIRE reads: permanent, a date, a date
  // soon, or past.
  function expiry(exp) {
    if (!exp || exp === 'permanent') return el('span', { class: 'muted', text: exp || '—' });
    const end = Date.parse(exp + 'T23:59:59');
    const left = end - serverNow();
    if (isNaN(end)) return el('span', { text: exp });
    if (left < 0) return el('span', { class: 'tag bad', text: exp + ' · expired' });
    if (left < 30 * 86400e3) return el('span', { class: 'tag warn', text: exp + ' · ' + span(left) + ' left' });
    return el('span', { text: exp });
  }

  function bar(used, count) {
    const ratio = count > 0 ? Math.min(1, used / count) : (used > 0 ? 1 : 0);
    const fillEl = el('div', { class: 'fill' + (ratio >= 1 ? ' full' : ratio >= 0.8 ? ' warn' : '') });
    fillEl.style.width = (ratio * 100).toFixed(1) + '%'; // the CSSOM, which the CSP allows
    return el('div', { class: 'use', title: num(used) + ' of ' + num(count) + ' in use (checked out and borrowed)' },
      el('div', { class: 'track' }, fillEl),
      el('span', { class: 'ratio', text: num(used) + '/' + num(count) }));
  }

  function renderFeatures(fs) {
    let used = 0, total = 0, borrowed = 0, grace = 0, full = 0;
    const rows = fs.map((f) => {
      const u = (f.in_use || 0) + (f.borrowed || 0);
      used += u; total += f.count || 0; borrowed += f.borrowed || 0; grace += f.grace || 0;
      if (u >= f.count) full++;
      return el('tr', { 'data-feature': f.name },
        el('td', { class: 'name', text: f.name }),
        el('td', { text: f.version || '' }),
        el('td', null, bar(u, f.count || 0)),
        el('td', { class: 'num' + (f.borrowed ? '' : ' muted'), text: num(f.borrowed) }),
        el('td', { class: 'num' + (f.grace ? ' warn-text' : ' muted'), text: num(f.grace) }),
        el('td', null, expiry(f.expires)));
    });
    fill($('#features tbody'), rows, 6, 'No features served.');
    $('#summary').replaceChildren(
      el('b', { text: plural(fs.length, 'feature') }), ' · ',
      el('b', { text: num(used) }), ' of ', el('b', { text: num(total) }), ' licenses in use · ',
      num(borrowed) + ' borrowed · ' + num(grace) + ' on grace · ',
      full ? el('span', { class: 'bad-text', text: num(full) + ' exhausted' }) : '0 exhausted');
  }

  function matches(co, f) {
    if (!f) return true;
    return [co.feature, co.user, co.host, co.version, co.session, String(co.pid)]
      .some((v) => String(v || '').toLowerCase().includes(f));
  }

  function byKeys(...keys) {
    return (a, b) => {
      for (const k of keys) {
        const x = String(a[k] || ''), y = String(b[k] || '');
        if (x !== y) return x < y ? -1 : 1;
      }
      return 0;
    };
  }

  function renderCheckouts(all) {
    const shown = all.filter((co) => matches(co, state.filter)).sort(byKeys('feature', 'user', 'host', 'since'));
    const rows = shown.slice(0, MAX_ROWS).map((co) => el('tr', { 'data-id': co.id, 'data-user': co.user },
      el('td', { class: 'name', text: co.feature }),
      el('td', { text: co.user }),
      el('td', { text: co.host }),
      el('td', { class: 'num muted', text: String(co.pid) }),
      el('td', { class: 'num', text: num(co.count) }),
      rel('td', co.since, 'ago'),
      rel('td', co.last_heartbeat, 'ago', 'muted'),
      rel('td', co.lease_until, 'left'),
      el('td', { class: 'num' }, el('button', { type: 'button', class: 'row-remove', 'data-remove': co.id, title: 'Remove this checkout (needs the admin token)', text: 'Remove' }))));
    fill($('#checkouts tbody'), rows, 9, state.filter ? 'No checkout matches the filter.' : 'No checkouts.');
    setCount('#checkouts', all.length);
    const more = $('#checkouts .more');
    more.hidden = shown.length <= MAX_ROWS && shown.length === all.length;
    more.textContent = shown.length > MAX_ROWS
      ? 'Showing ' + num(MAX_ROWS) + ' of ' + num(shown.length) + ' matching checkouts: the filter narrows them.'
      : 'Showing ' + num(shown.length) + ' of ' + num(all.length) + ' checkouts.';
  }

  // renderQueue lists the checkout requests waiting for a license, each
  // feature's queue in its order (licd grants position 1 first).
  function renderQueue(qs) {
    const rows = [...qs].sort((a, b) => byKeys('feature')(a, b) || a.position - b.position).map((q) => el('tr', { 'data-feature': q.feature, 'data-user': q.user, 'data-position': q.position, title: 'session ' + q.session },
      el('td', { class: 'name', text: q.feature }),
      el('td', { text: num(q.position) + ' of ' + num(q.of) }),
      el('td', { text: q.user }),
      el('td', { text: q.host }),
      el('td', { class: 'num', text: num(q.count) }),
      rel('td', q.since, 'ago')));
    fill($('#queue tbody'), rows, 6, 'No checkout waits.');
    setCount('#queue', qs.length);
  }

  function renderBorrows(bs) {
    const rows = [...bs].sort(byKeys('feature', 'user', 'since')).map((b) => el('tr', { 'data-id': b.id },
      el('td', { class: 'name', text: b.feature }),
      el('td', { text: b.user }),
      el('td', { text: b.host }),
      rel('td', b.since, 'ago'),
      rel('td', b.expires, 'left'),
      el('td', { class: 'mono muted', text: b.id })));
    fill($('#borrows tbody'), rows, 6, 'No borrowed licenses.');
    setCount('#borrows', bs.length);
  }

  function renderGraces(gs) {
    const rows = [...gs].sort(byKeys('feature', 'user', 'activated')).map((g) => el('tr', null,
      el('td', { class: 'name', text: g.feature }),
      el('td', { text: g.user }),
      el('td', { text: g.host }),
      rel('td', g.activated, 'ago'),
      rel('td', g.expires, 'left')));
    fill($('#graces tbody'), rows, 5, 'No grace periods reported.');
    setCount('#graces', gs.length);
  }

  // nodeState tells how a node of the servers list reads from this page's
  // node. Only the serving node hears from every node; another node knows
  // itself and the one it hears serving, and lists the rest as not up
  // without knowing, so those read "not known here".
  function nodeState(n, self) {
    const knows = !self.hal_id || self.serving || n.id === self.hal_id || (self.primary && n.addr === self.primary);
    if (!knows) return [el('span', { class: 'tag', title: "Only the serving node hears from every node: see its page.", text: 'not known here' })];
    return [el('span', { class: 'tag ' + (n.up ? 'good' : 'bad'), text: n.up ? 'up' : 'down' }),
      n.serving ? el('span', { class: 'tag accent', text: 'serving' }) : null];
  }

  function renderServers(nodes, self) {
    if (nodes.length === 0 && self.addr) nodes = [{ id: self.hal_id || 0, addr: self.addr, role: self.role, up: true, serving: self.serving }];
    const rows = nodes.map((n) => {
      const addr = el('td', { class: 'mono', title: n.term ? 'raft term ' + n.term + ', applied ' + n.applied : null });
      if (n.addr === self.addr) addr.append(n.addr, el('span', { class: 'here', text: 'this page' }));
      else if (self.hal_id) addr.append(nodeLink(n.addr));
      else addr.append(n.addr);
      return el('tr', { 'data-node': n.id },
        el('td', { class: 'muted', text: n.id ? '#' + n.id : '—' }), addr, el('td', { text: n.role }),
        el('td', null, el('div', { class: 'states' }, ...nodeState(n, self))));
    });
    fill($('#servers tbody'), rows, 4, 'No servers.');
  }

  // ---- events ----

  const tones = {
    grant: 'good', deny: 'bad', expire: 'warn', remove: 'warn', borrow: 'accent',
    borrow_expire: 'warn', grace: 'warn', reload: 'accent', start: 'accent', timeout: 'warn',
    queue: 'accent', dequeue: 'warn',
  };

  function eventItem(e, fresh) {
    const detail = [];
    if (e.count > 1) detail.push('×' + e.count);
    if (e.code) detail.push(e.code);
    if (e.detail) detail.push(e.detail);
    const who = e.user ? e.user + (e.host ? '@' + e.host : '') : '';
    return el('li', { class: fresh ? 'fresh' : null, 'data-seq': e.seq, 'data-kind': e.kind },
      el('time', { datetime: e.time, title: new Date(e.time).toLocaleString(), text: clock(e.time) }),
      el('span', null, el('span', { class: 'tag ' + (tones[e.kind] || ''), text: e.kind })),
      el('span', { class: 'what' },
        e.feature ? el('b', { text: e.feature }) : null,
        who ? ' ' + who : '',
        detail.length ? el('span', { class: 'detail', text: detail.join(' ') }) : null));
  }

  function renderEvents() {
    const list = $('#events .feed');
    if (state.events.length === 0) {
      list.replaceChildren(el('li', { class: 'empty', text: 'No events yet.' }));
      return;
    }
    list.replaceChildren(...state.events.slice().reverse().map((e) => eventItem(e, e.fresh)));
  }

  // onEvent takes one event from the stream. The server replays its latest
  // events on every connection, so events already listed are skipped.
  function onEvent(e) {
    if (typeof e.seq !== 'number' || e.seq <= state.lastSeq) return;
    state.lastSeq = e.seq;
    body.dataset.seq = String(e.seq);
    // Events of the replay are not new to the user; those after it are.
    e.fresh = performance.now() - state.streamOpened > 1000;
    state.events.push(e);
    if (state.events.length > KEEP_EVENTS) state.events.splice(0, state.events.length - KEEP_EVENTS);
    eventsDirty = true;
    refresh();
  }

  let eventsDirty = false;
  function flushEvents() {
    if (!eventsDirty) return;
    eventsDirty = false;
    renderEvents();
  }

  // follow reads the event stream, and opens it again after a pause when it
  // ends. It reads with fetch rather than EventSource, which would deliver
  // only the event kinds the page names in advance.
  async function follow() {
    for (let failures = 0; ; failures++) {
      let err = 'the event stream ended';
      try {
        const quiet = new AbortController();
        const resp = await fetch('v1/events', { headers: { Accept: 'text/event-stream' }, cache: 'no-store', signal: quiet.signal });
        if (!resp.ok) throw new Error(await errorText(resp));
        state.streamOpened = performance.now();
        if (state.lastSeq > 0 && resp.headers.get('Floatlic-Instance') !== state.instance) {
          // Another server, or this one with a new ledger: its events
          // number afresh.
          state.lastSeq = 0;
          state.events = [];
        }
        state.instance = resp.headers.get('Floatlic-Instance');
        failures = 0;
        setStream(true);
        await readStream(resp.body, quiet);
      } catch (e) {
        err = e.message || String(e);
      }
      setStream(false, err);
      await new Promise((r) => setTimeout(r, Math.min(5000, 500 * 2 ** failures)));
    }
  }

  // readStream splits server-sent events (licd ends lines with \n) and
  // hands each one's data to onEvent. licd sends a ping every 15 s, so a
  // stream silent for STREAM_QUIET_MS is dead (a laptop that slept, a
  // network that dropped without a word): quiet is aborted and the stream
  // opened again.
  async function readStream(stream, quiet) {
    const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    let watchdog = 0;
    const wake = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => quiet.abort(new Error('no word from the server for ' + STREAM_QUIET_MS / 1000 + ' s')), STREAM_QUIET_MS);
    };
    try {
      for (wake(); ; wake()) {
        const { value, done } = await reader.read();
        if (done) return;
        take(value);
      }
    } finally {
      clearTimeout(watchdog);
    }

    function take(value) {
      buf += value;
      let end;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const data = frame.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
        if (data) {
          try { onEvent(JSON.parse(data)); } catch (e) { /* not an event: skip it */ }
        }
      }
      flushEvents();
    }
  }

  // ---- connection state ----

  const conn = { stream: false, status: true, why: '' };

  function setStream(up, why) {
    conn.stream = up;
    if (!up) conn.why = why;
    showConn();
    if (up) refresh();
  }

  function setStatusOK(ok, why) {
    conn.status = ok;
    if (!ok) conn.why = why;
    showConn();
  }

  function showConn() {
    const live = conn.stream && conn.status;
    const was = body.dataset.state;
    const now = live ? 'live' : (was === 'connecting' && !state.status ? 'connecting' : 'down');
    body.dataset.state = now;
    $('#conn').textContent = { live: 'live', connecting: 'connecting…', down: 'reconnecting…' }[now];
    const down = $('#down');
    down.hidden = now !== 'down';
    if (now === 'down') {
      down.textContent = 'Cannot reach the server (' + conn.why + '). Retrying; ' +
        (state.status ? 'the data below is as it was last seen.' : 'nothing to show yet.');
    }
  }

  // ---- status fetches, throttled ----

  const sched = { timer: 0, busy: false, again: false, last: -Infinity, took: 0, fetches: 0 };

  // refresh asks for a status fetch: now, or once the gap since the last
  // one has passed (more after slow fetches, so that one page never keeps
  // a big site's server busy).
  function refresh() {
    if (sched.busy) { sched.again = true; return; }
    if (sched.timer) return;
    const gap = Math.max(MIN_GAP_MS, SLOW_FACTOR * sched.took);
    sched.timer = setTimeout(fetchStatus, Math.max(0, sched.last + gap - performance.now()));
  }

  async function fetchStatus() {
    sched.timer = 0;
    sched.busy = true;
    sched.again = false;
    sched.last = performance.now();
    try {
      const resp = await fetch('v1/status', { cache: 'no-store' });
      if (!resp.ok) throw new Error(await errorText(resp));
      const st = await resp.json();
      const now = Date.parse(st.server && st.server.now);
      if (!isNaN(now)) state.skew = now - Date.now();
      state.status = st;
      render();
      body.dataset.fetches = String(++sched.fetches);
      setStatusOK(true);
    } catch (e) {
      setStatusOK(false, e.message || String(e));
    } finally {
      sched.took = performance.now() - sched.last;
      sched.busy = false;
      if (sched.again) refresh();
    }
  }

  // errorText reads the error of a failed reply: "code: message" from the
  // server's JSON error, else the HTTP status.
  async function errorText(resp) {
    const e = await errorOf(resp);
    return e ? e.code + ': ' + e.message : 'HTTP ' + resp.status;
  }

  async function errorOf(resp) {
    try {
      const j = await resp.json();
      return j && j.error && typeof j.error.code === 'string' ? j.error : null;
    } catch (e) {
      return null;
    }
  }

  // ---- removing a checkout ----

  const dialog = $('#remove');
  let removing = null;

  const storedToken = () => sessionStorage.getItem(TOKEN_KEY) || '';

  function showForget() { $('#forget').hidden = !storedToken(); }

  function showError(...parts) {
    const p = $('#remove-error');
    p.replaceChildren(...parts);
    p.hidden = parts.length === 0;
  }

  function openRemove(co) {
    removing = co;
    $('#remove-what').replaceChildren(
      el('b', { text: co.feature }), co.count > 1 ? ' ×' + co.count : '', ' held by ',
      el('b', { text: co.user + '@' + co.host }), ' (pid ' + co.pid + '), since ' + relText(co.since, 'ago') + '.');
    $('#token-row').hidden = storedToken() !== '';
    $('#token').value = '';
    showError();
    dialog.showModal();
    (storedToken() ? $('#remove-ok') : $('#token')).focus();
  }

  // nodeLink points at another HAL node's own page (the serving node's is
  // where a remove can be done: the others refuse admin requests).
  function nodeLink(addr) {
    if (!/^[A-Za-z0-9.\-:[\]]+$/.test(addr)) return el('span', { class: 'mono', text: addr });
    return el('a', { href: location.protocol + '//' + addr + '/', text: addr });
  }

  async function submitRemove(ev) {
    ev.preventDefault();
    const co = removing;
    const token = storedToken() || $('#token').value.trim();
    if (!token) {
      showError("Type the admin token (the contents of licd's --admin-token-file).");
      return;
    }
    const ok = $('#remove-ok');
    ok.disabled = true;
    try {
      const resp = await fetch('v1/admin/remove', {
        method: 'POST',
        cache: 'no-store',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token },
        body: JSON.stringify({ checkout_id: co.id }),
      });
      if (!resp.ok) {
        const e = await errorOf(resp);
        if (resp.status === 401) {
          sessionStorage.removeItem(TOKEN_KEY);
          showForget();
          $('#token-row').hidden = false;
          $('#token').select();
        }
        if (!e) showError('The server answered HTTP ' + resp.status + '.');
        else if (e.primary) showError(e.code + ': ' + e.message + ' — remove it on the serving node: ', nodeLink(e.primary));
        else showError(e.code + ': ' + e.message);
        return;
      }
      const reply = await resp.json();
      sessionStorage.setItem(TOKEN_KEY, token);
      showForget();
      dialog.close();
      toast(reply.removed ? 'Removed ' + co.feature + ' of ' + co.user + '@' + co.host + '.' : 'Nothing removed: that checkout had already ended.');
      refresh();
    } catch (e) {
      showError('Cannot reach the server: ' + (e.message || e));
    } finally {
      ok.disabled = false;
    }
  }

  let toastTimer = 0;
  function toast(text) {
    const t = $('#toast');
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, 4000);
  }

  // ---- wiring ----

  $('#checkouts tbody').addEventListener('click', (ev) => {
    const b = ev.target.closest('button[data-remove]');
    if (!b || !state.status) return;
    const co = (state.status.checkouts || []).find((c) => c.id === b.dataset.remove);
    if (co) openRemove(co);
  });
  $('#remove-form').addEventListener('submit', submitRemove);
  $('#remove-cancel').addEventListener('click', () => dialog.close());
  $('#forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showForget();
    toast('The admin token is forgotten.');
  });
  $('#filter').addEventListener('input', (ev) => {
    state.filter = ev.target.value.trim().toLowerCase();
    if (state.status) renderCheckouts(state.status.checkouts || []);
  });
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });

  showForget();
  renderEvents();
  refresh();
  follow();
  setInterval(() => { if (!document.hidden) refresh(); }, POLL_MS);
  setInterval(tick, 1000);
})();
