// The page of `callsign view`: renders the state the view pushes over its
// websocket (docs/view.md). Plain script, no build step; uPlot draws the
// charts. Everything shown is set as text, never as HTML: names come from the
// network.

(() => {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'class') e.className = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  };

  const rateText = (r) => (r ? r.messagesPerSecond.toFixed(1) : '–');
  const bytesText = (r) => {
    if (!r) return '–';
    const b = r.bytesPerSecond;
    if (b >= 1e6) return `${(b / 1e6).toFixed(1)} MB`;
    if (b >= 1e3) return `${(b / 1e3).toFixed(1)} KB`;
    return `${b.toFixed(0)} B`;
  };
  const sizeText = (b) =>
    b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : b >= 1e3 ? `${(b / 1e3).toFixed(1)} KB` : `${b} B`;

  // ------------------------------------------------------------------ charts

  /** A small live chart of messages/s (line) and bytes/s (area) over the last minute. */
  function makeChart(into) {
    const opts = {
      width: 180,
      height: 40,
      legend: { show: false },
      cursor: { show: false },
      select: { show: false },
      scales: {
        x: { time: true },
        msgs: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
        bytes: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
      },
      axes: [{ show: false }, { show: false, scale: 'msgs' }, { show: false, scale: 'bytes' }],
      series: [
        {},
        { scale: 'msgs', stroke: '#2f6fdf', width: 1.5, points: { show: false } },
        {
          scale: 'bytes',
          stroke: 'rgba(22,160,133,0.6)',
          fill: 'rgba(22,160,133,0.12)',
          width: 1,
          points: { show: false },
        },
      ],
    };
    return new uPlot(opts, [[], [], []], into);
  }

  function setChart(chart, series) {
    const now = Date.now() / 1000;
    const s = series ?? { t: [], messages: [], bytes: [] };
    chart.setScale('x', { min: now - 60, max: now });
    chart.setData([s.t, s.messages, s.bytes], false);
    chart.setScale('x', { min: now - 60, max: now });
  }

  // ------------------------------------------------------------------ tables

  /** Rows kept by key, so that charts live across updates. */
  function keyedTable(tbody, build) {
    const rows = new Map();
    return (items, series) => {
      const seen = new Set();
      for (const item of items) {
        const key = item.key;
        seen.add(key);
        let row = rows.get(key);
        if (!row) {
          row = build(item);
          rows.set(key, row);
        }
        row.update(item, series);
        tbody.append(row.tr); // in the order given
      }
      for (const [key, row] of rows) {
        if (seen.has(key)) continue;
        row.chart?.destroy();
        row.tr.remove();
        rows.delete(key);
      }
    };
  }

  function rateRow(cells, dataset) {
    const tds = cells.map((c) => el('td', c.num ? { class: 'num' } : {}));
    const chartBox = el('div', { class: 'chart' });
    const tr = el('tr', dataset, ...tds, el('td', {}, chartBox));
    const chart = typeof uPlot === 'function' ? makeChart(chartBox) : undefined;
    return { tr, tds, chart };
  }

  const listingsTable = keyedTable($('listings').tBodies[0], (item) => {
    const row = rateRow([{}, {}, {}, { num: true }, { num: true }, { num: true }], {
      'data-listing': item.name,
    });
    return {
      ...row,
      update(l, series) {
        const [name, scope, where, sessions, rate, bytes] = row.tds;
        name.textContent = l.name + (l.multi ? ' (multi)' : '');
        scope.textContent = l.scope;
        where.textContent = l.where;
        sessions.textContent = String(l.sessions);
        rate.textContent = rateText(l.rate);
        bytes.textContent = bytesText(l.rate);
        row.tr.dataset.rate = l.rate ? String(l.rate.messagesPerSecond) : '';
        if (row.chart) setChart(row.chart, series[`listing:${l.id}`]);
      },
    };
  });

  const sessionsTable = keyedTable($('sessions').tBodies[0], (item) => {
    const row = rateRow([{}, {}, {}, {}, { num: true }, { num: true }], {
      'data-session': item.id,
      'data-name': item.name,
    });
    return {
      ...row,
      update(s, series) {
        const [name, sub, pub, level, rate, bytes] = row.tds;
        name.textContent = s.name;
        sub.textContent = s.subscriber.where ?? s.subscriber.node ?? '?';
        pub.textContent = s.publisher.where ?? s.publisher.node ?? '?';
        level.textContent = s.level;
        rate.textContent = s.crossesConnection ? rateText(s.rate) : 'in one process';
        bytes.textContent = s.crossesConnection ? bytesText(s.rate) : '';
        row.tr.dataset.rate = s.rate ? String(s.rate.messagesPerSecond) : '';
        if (row.chart) setChart(row.chart, series[`session:${s.id}`]);
      },
    };
  });

  function renderStreams(servers) {
    const tbody = $('streams').tBodies[0];
    tbody.replaceChildren();
    let count = 0;
    for (const server of servers) {
      if (server.error) {
        tbody.append(
          el(
            'tr',
            { 'data-server': server.server },
            el('td', { colspan: '6', class: 'lost' }, `${server.server}: ${server.error}`),
          ),
        );
        count++;
      }
      for (const s of server.streams) {
        count++;
        const parts = s.partitions
          .map((p) => `${p.partition}: ${p.firstSequence}…${p.lastSequence}`)
          .join(', ');
        const consumers = s.consumers
          .map((c) => `${c.name} ${c.positions.map((p) => `${p.ackFloor}/${p.pending}`).join(' ')}`)
          .join('; ');
        tbody.append(
          el(
            'tr',
            { 'data-stream': s.name },
            el('td', {}, s.name),
            el('td', {}, s.server),
            el('td', { class: 'num' }, String(s.messages)),
            el('td', { class: 'num' }, sizeText(s.bytes)),
            el('td', {}, parts),
            el('td', {}, consumers || '—'),
          ),
        );
      }
    }
    $('streams-empty').hidden = count > 0 || servers.length > 0;
  }

  // ------------------------------------------------------------------ tree

  function renderTree(items, snapshot) {
    const byEndpoint = new Map(snapshot.directories.map((d) => [d.endpoint, d]));
    const list = (children) => {
      const ul = el('ul');
      for (const item of children) ul.append(treeItem(item));
      return ul;
    };
    const treeItem = (item) => {
      const lost = item.lostSeconds !== null;
      const label = el(
        'span',
        { class: 'item' },
        el('span', { class: `level level-${item.level}` }, item.level),
        item.kind === 'directory' ? `directory ${item.label}` : item.label,
      );
      const li = el(
        'li',
        { 'data-key': item.key, 'data-kind': item.kind, 'data-lost': String(lost) },
        label,
      );
      li.append(
        ' ',
        el(
          'span',
          { class: lost ? 'lost' : 'detail' },
          lost ? `lost ${item.lostSeconds} s ago` : item.detail,
        ),
      );
      const d = item.kind === 'directory' ? byEndpoint.get(item.label) : undefined;
      if (d && !lost && (d.listings.length > 0 || d.searches.length > 0)) {
        const details = el('details', {}, el('summary', {}, 'listings and searches'));
        const ul = el('ul');
        for (const l of d.listings)
          ul.append(el('li', {}, `listing ${l.name} (${l.scope}) by ${l.where}`));
        for (const s of d.searches) {
          const pattern = s.regex ? `/${s.pattern}/${s.flags ?? ''}` : s.pattern;
          const kind = s.kind === 'name' ? '' : ` ${s.kind}`;
          ul.append(el('li', {}, `search${kind} ${pattern} (${s.scope}) by ${s.where}`));
        }
        for (const s of d.silent) ul.append(el('li', { class: 'lost' }, `${s}: did not answer`));
        details.append(ul);
        li.append(details);
      }
      if (d?.tenant && !lost) {
        const sites = el('details', { class: 'sites' }, el('summary', {}, 'sites'));
        const ul = el('ul');
        for (const s of d.tenant.sites) {
          const state = s.connected
            ? `connected since ${s.connectedSince}${s.relay ? ` to ${s.relay}` : ''}`
            : 'not connected';
          ul.append(
            el(
              'li',
              { class: s.connected ? '' : 'lost' },
              `site ${s.name}: ${state}, invited ${s.invited}`,
            ),
          );
        }
        sites.append(ul);
        li.append(sites);
      }
      if (item.children.length > 0) li.append(list(item.children));
      return li;
    };
    const root = $('tree');
    root.replaceChildren(...items.map(treeItem));
    if (items.length === 0) root.append(el('li', { class: 'empty' }, 'no directory is running'));
    $('unreachable').textContent = snapshot.unreachable
      .map((u) => `${u.level} directory ${u.endpoint} does not answer: ${u.reason} (${u.code})`)
      .join('\n');
  }

  // ------------------------------------------------------------------ live

  function render(state) {
    const { snapshot, tree, series, streams } = state;
    renderTree(tree, snapshot);
    listingsTable(
      snapshot.listings.map((l) => ({ ...l, key: l.id })),
      series,
    );
    sessionsTable(
      snapshot.sessions.map((s) => ({ ...s, key: s.id })),
      series,
    );
    $('listings-empty').hidden = snapshot.listings.length > 0;
    $('sessions-empty').hidden = snapshot.sessions.length > 0;
    renderStreams(streams);
    $('at').textContent = `as of ${new Date(snapshot.at).toLocaleTimeString()}`;
  }

  function setStatus(status, text) {
    const s = $('status');
    s.dataset.status = status;
    s.textContent = text;
  }

  let wait = 500;
  function connect() {
    const ws = new WebSocket(`ws://${location.host}/live?token=${encodeURIComponent(token)}`);
    ws.onopen = () => {
      wait = 500;
      setStatus('live', 'live');
    };
    ws.onmessage = (e) => {
      try {
        render(JSON.parse(e.data));
      } catch (err) {
        setStatus('lost', `cannot show the state: ${err}`);
      }
    };
    ws.onclose = () => {
      setStatus('lost', 'the view is gone: reconnecting…');
      setTimeout(connect, wait);
      wait = Math.min(wait * 2, 10_000);
    };
  }
  connect();
})();
