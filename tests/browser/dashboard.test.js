// dashboard.test.js — the UI's first page in Debian's headless Chromium
// (playwright-core): the dashboard's chart, changes, queue health, late
// schedules and newest findings show what GET /api/v1/dashboard says, and
// the scan list's findings and changes columns show each scan's summary.
// Started by tests/integration/browser_dashboard.sh, which passes:
//   SCANQ_URL        base URL of the server (no tokens: every role)
//   SCANQ_SCAN       a completed scan with a gone change
//   SCANQ_ARTIFACTS  where screenshots go
'use strict';
const { BASE, T, run, shot } = require('./lib');

const SCAN = process.env.SCANQ_SCAN, SCHED_SCAN = process.env.SCANQ_SCHED_SCAN;
const CHAIN = process.env.SCANQ_CHAIN, SPLIT = process.env.SCANQ_SPLIT, TLS = process.env.SCANQ_TLS;
const SEV = ['critical', 'high', 'medium', 'low', 'info'];

async function getJson(page, path) {
  const res = await page.request.get(BASE + path);
  if (!res.ok()) throw new Error(path + ': HTTP ' + res.status());
  return res.json();
}

const parts = {
  async 'the dashboard shows the API\'s numbers: chart, changes, queue, late schedules, newest findings'(page) {
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.goto(BASE + '/');
    // A day without findings is a bar of no height: attached, not "visible".
    await page.waitForSelector('#dash-chart svg g.day', { state: 'attached', timeout: T });
    await page.waitForSelector('#dash-newest tr', { timeout: T });
    const d = await getJson(page, '/api/v1/dashboard');
    const bars = await page.$$eval('#dash-chart g.day', (gs) => gs.map((g) => ({ day: g.dataset.day,
      total: Number(g.dataset.total),
      sev: Object.fromEntries([...g.querySelectorAll('rect')].map((r) => [r.dataset.sev, Number(r.dataset.n)])) })));
    if (bars.length !== 30) throw new Error(bars.length + ' bars');
    bars.forEach((b, i) => {
      const want = d.open_findings.days[i];
      if (b.day !== want.day || SEV.some((s) => b.sev[s] !== want[s]))
        throw new Error('day ' + b.day + ': page ' + JSON.stringify(b.sev) + ', API ' + JSON.stringify(want));
    });
    const today = bars[29].total, open = SEV.reduce((n, s) => n + d.open_findings.now[s], 0);
    if (today !== open || open < 1) throw new Error('today ' + today + ', open now ' + open);
    const ch = await page.$$eval('#dash-changes tr', (trs) => trs.map((tr) => [tr.dataset.name,
      ...['new', 'gone', 'changed'].map((k) => Number(tr.querySelector('[data-key="' + k + '"]').textContent))]));
    const want = [['24h', d.changes.last_24h], ['7d', d.changes.last_7d]].map(([k, c]) => [k, c.new, c.gone, c.changed]);
    if (JSON.stringify(ch) !== JSON.stringify(want) || ch[0][2] < 1) throw new Error('changes: ' + JSON.stringify(ch));
    const pending = await page.textContent('#dash-queue dd[data-key="pending"]');
    if (Number(pending) !== d.queue.pending || d.queue.pending !== 1) throw new Error('pending ' + pending);
    const failed = await page.textContent('#dash-queue dd[data-key="failed last hour"]');
    if (Number(failed) !== d.queue.failed_last_hour) throw new Error('failed ' + failed);
    const late = await page.$$eval('#dash-late li', (lis) => lis.map((li) => li.dataset.name));
    if (JSON.stringify(late) !== '["late1"]') throw new Error('late: ' + JSON.stringify(late));
    const newest = await page.$$eval('#dash-newest tr', (trs) => trs.map((tr) => tr.dataset.name));
    if (JSON.stringify(newest) !== JSON.stringify(d.newest_findings.map((f) => f.fingerprint)))
      throw new Error('newest: ' + JSON.stringify(newest));
    await page.waitForSelector('#webhooks-body tr', { timeout: T });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    if (overflow) throw new Error('the page is wider than 1400 px');
    const card = await page.$eval('#webhooks-card', (c) => [c.scrollWidth, c.clientWidth]);
    if (card[0] > card[1]) throw new Error('the Webhooks card overflows: ' + card);
    await shot(page, 'dashboard');
  },
  async 'the scan list shows each scan\'s findings by severity and its changes'(page) {
    await page.goto(BASE + '/');
    const row = '#scans-body tr[data-id="' + SCAN + '"]';
    await page.waitForSelector(row + ' td.changes', { timeout: T });
    const scan = await getJson(page, '/api/v1/scans/' + SCAN);
    const sum = scan.summary;
    const cells = await page.$$eval(row + ' td.findings-sev [data-sev]', (ss) =>
      Object.fromEntries(ss.map((s) => [s.dataset.sev, Number(s.textContent)])));
    for (const s of SEV)
      if ((cells[s] || 0) !== sum.severity[s]) throw new Error(s + ': page ' + cells[s] + ', summary ' + sum.severity[s]);
    const changes = await page.textContent(row + ' td.changes');
    const c = sum.changes;
    if (changes !== '+' + c.new + ' −' + c.gone + ' ~' + c.changed || c.gone < 1) throw new Error('changes cell: ' + changes);
    await shot(page, 'scan-list-columns');
  },
  async 'the scan page: rounded numbers, no internal options, the schedule by name; shards marked in the list'(page) {
    await page.goto(BASE + '/scans/' + SCHED_SCAN);
    await page.waitForFunction(() => { const a = document.querySelector('#scan-schedule');
      return a && a.textContent === 'nightly'; }, null, { timeout: T });
    if (await page.getAttribute('#scan-schedule', 'href') !== '/schedules') throw new Error('no link to the schedules');
    const elapsed = await page.textContent('#scan-summary dd[data-key="elapsed_s"]');
    if (!/^\d+(\.\d{1,3})?$/.test(elapsed)) throw new Error('elapsed_s shown as ' + elapsed);
    await page.goto(BASE + '/scans/' + CHAIN);
    await page.waitForSelector('#scan-summary', { timeout: T });
    const scan = await getJson(page, '/api/v1/scans/' + CHAIN);
    if (!JSON.stringify(scan.options).includes('shard_')) throw new Error('the chain has no internal options to hide');
    const shown = await page.evaluate(() => [...document.querySelectorAll('#scan-fields dt')]
      .find((dt) => dt.textContent === 'options').nextElementSibling.textContent);
    if (/shard_|rate_of_scan/.test(shown) || !shown.includes('"then"')) throw new Error('options shown: ' + shown);
    await page.goto(BASE + '/');
    const parent = '#scans-body tr[data-id="' + SPLIT + '"]';
    await page.waitForSelector(parent, { timeout: T });
    if (await page.textContent(parent + ' td.attempt') !== 'split') throw new Error('split parent attempt: '
      + await page.textContent(parent + ' td.attempt'));
    const shards = (await getJson(page, '/api/v1/scans?limit=100')).scans.filter((s) => s.parent_id === Number(SPLIT));
    if (shards.length !== 2) throw new Error(shards.length + ' shards listed');
    for (const s of shards) {
      const mark = await page.textContent('#scans-body tr[data-id="' + s.id + '"] .parent');
      if (mark.trim() !== 'shard of #' + SPLIT) throw new Error('shard ' + s.id + ' marked ' + mark);
    }
    await shot(page, 'scan-list-shards');
  },
  async 'the scan page shows a TLS finding\'s fix under its title'(page) {
    const findings = (await getJson(page, '/api/v1/scans/' + TLS + '/findings')).findings
      .filter((f) => f.detail && f.detail.fix);
    if (!findings.length) throw new Error('no TLS finding with a fix');
    await page.goto(BASE + '/scans/' + TLS);
    await page.waitForSelector('#findings-body tr .fix', { timeout: T });
    const fixes = await page.$$eval('#findings-body tr[data-fingerprint]', (trs) => Object.fromEntries(
      trs.map((tr) => [tr.dataset.fingerprint, (tr.querySelector('.fix') || {}).textContent || ''])));
    for (const f of findings)
      if (fixes[f.fingerprint] !== 'fix: ' + f.detail.fix) throw new Error('fix of ' + f.title + ': ' + fixes[f.fingerprint]);
    await shot(page, 'scan-tls-fix');
  },
};

run('dashboard', parts);
