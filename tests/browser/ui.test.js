// ui.test.js — drives the scanq web UI in Debian's headless Chromium
// (playwright-core, no downloaded browser).  Started by
// tests/integration/browser_ui.sh, which runs `scanq serve` and passes:
//   SCANQ_URL            base URL of the server
//   SCANQ, SCANQ_DB      the binary and database (to create a token)
//   SCANQ_LISTENER_PORT  a loopback TCP port that is open (the port scan's target)
//   SCANQ_ARTIFACTS      where screenshots go
// Each part runs on its own and reports PASS/FAIL; the exit status is 1 if
// any part failed.
'use strict';
const { BASE, T, run, shot, submit } = require('./lib');
const { execFileSync } = require('child_process');

const PORT = process.env.SCANQ_LISTENER_PORT;

async function waitStatus(page, statuses) {
  const list = [].concat(statuses).map((s) => `#scan-status[data-status="${s}"]`).join(', ');
  await page.waitForSelector(list, { timeout: T });
  return page.getAttribute('#scan-status', 'data-status');
}

const parts = {
  async 'a port scan of a loopback listener completes and shows its finding'(page) {
    const id = await submit(page, { type: 'portscan', targets: '127.0.0.1', ports: PORT });
    await waitStatus(page, 'completed');
    await page.waitForFunction((port) => [...document.querySelectorAll('#findings-body tr')]
      .some((tr) => tr.textContent.includes(port + '/tcp')), PORT, { timeout: T });
    const retry = await page.isDisabled('#btn-retry'), cancel = await page.isDisabled('#btn-cancel');
    if (!retry || !cancel) throw new Error('retry/cancel must be disabled on a completed scan');
    await shot(page, 'ui-scan-completed');
    // The list shows it as completed with a full progress bar.
    await page.click('a[data-nav][href="/"]');
    await page.waitForSelector(`#scans-body tr[data-id="${id}"][data-status="completed"]`, { timeout: T });
    await shot(page, 'ui-scan-list');
  },

  async 'findings show severity badges, most severe first, with their CVE'(page) {
    await submit(page, { type: 'test-ok', targets: '127.0.0.1',
      options: '{"severities":["low","critical","info","high","medium"]}' });
    await waitStatus(page, 'completed');
    await page.waitForFunction(() => document.querySelectorAll('#findings-body tr').length === 5,
      null, { timeout: T });
    const rows = await page.$$eval('#findings-body tr', (trs) => trs.map((tr) => {
      const b = tr.querySelector('.badge.sev');
      return { badge: b && b.textContent.toLowerCase(), cls: b && b.className,
        color: b && getComputedStyle(b).backgroundColor, cve: tr.querySelector('.cve')?.textContent };
    }));
    const order = rows.map((r) => r.badge).join(',');
    if (order !== 'critical,high,medium,low,info') throw new Error('not sorted by severity: ' + order);
    for (const r of rows) {
      if (!r.cls.includes('sev-' + r.badge)) throw new Error('badge class ' + r.cls);
      if (r.cve !== 'CVE-2014-3566') throw new Error('cve not shown: ' + r.cve);
    }
    if (new Set(rows.map((r) => r.color)).size !== 5) throw new Error('badges share colours: ' + rows.map((r) => r.color));
    await shot(page, 'ui-severity');
  },

  async 'the download menu saves the scan\'s findings as CSV and SARIF'(page) {
    const id = await submit(page, { type: 'test-ok', targets: '127.0.0.1',
      options: '{"severities":["low","critical","info"]}' });
    await waitStatus(page, 'completed');
    await page.waitForFunction(() => document.querySelectorAll('#findings-body tr').length === 3,
      null, { timeout: T });
    const fs = require('fs');
    const save = async (label) => {
      const [dl] = await Promise.all([page.waitForEvent('download', { timeout: T }),
        page.click(`#export-menu button:has-text("${label}")`)]);
      return { name: dl.suggestedFilename(), text: fs.readFileSync(await dl.path(), 'utf8') };
    };
    const csv = await save('CSV');
    if (csv.name !== `scanq-scan-${id}.csv`) throw new Error('csv file name ' + csv.name);
    const lines = csv.text.split('\r\n').filter((l) => l);
    if (!lines[0].startsWith('fingerprint,') || lines.length !== 4) throw new Error('csv: ' + csv.text);
    if (!lines.slice(1).every((l) => l.includes('CVE-2014-3566'))) throw new Error('csv lacks the CVE: ' + csv.text);
    const sarif = await save('SARIF');
    const doc = JSON.parse(sarif.text);
    if (doc.version !== '2.1.0' || doc.runs[0].results.length !== 3) throw new Error('sarif: ' + sarif.text.slice(0, 300));
    await shot(page, 'ui-export-menu');
  },

  async 'a long scan is cancelled from its page'(page) {
    await submit(page, { type: 'test-sleep', targets: '127.0.0.1', options: '{"seconds":300}' });
    await waitStatus(page, ['pending', 'running']);
    await page.waitForSelector('#btn-cancel:not([disabled])', { timeout: T });
    if (!(await page.isDisabled('#btn-retry'))) throw new Error('retry enabled on a live scan');
    await page.click('#btn-cancel');
    await waitStatus(page, 'cancelled');
    await page.waitForSelector('#btn-retry:not([disabled])', { timeout: T });
    await shot(page, 'ui-scan-cancelled');
  },

  async 'a failed scan shows its error and is retried'(page) {
    await submit(page, { type: 'test-fail', targets: '127.0.0.1', attempts: '1' });
    await waitStatus(page, 'failed');
    await page.waitForSelector('#scan-error:not([hidden])', { timeout: T });
    const msg = (await page.textContent('#scan-error')).trim();
    if (!msg) throw new Error('no error message shown');
    await shot(page, 'ui-scan-failed');
    await page.click('#btn-retry');
    // The retry starts a new attempt: the timeline gets a second "running"
    // (or the scan is pending again), then it fails again.
    await page.waitForFunction(() => [...document.querySelectorAll('#events-body tr')]
      .some((tr) => /retr/i.test(tr.textContent)), null, { timeout: T });
    await page.waitForFunction(() => document.querySelectorAll('#events-body tr td:nth-child(3)')
      .length >= 4, null, { timeout: T });
  },

  async 'the queue and workers panel shows live workers'(page) {
    await page.goto(BASE + '/');
    await page.waitForSelector('#queue dd[data-key="workers"]', { timeout: T });
    await page.waitForFunction(() => /[1-9]\d* (active|idle)|[1-9]\d* active/.test(
      document.querySelector('#queue dd[data-key="workers"]').textContent), null, { timeout: T });
    await page.waitForSelector('#workers-body tr', { timeout: T });
  },

  async 'once a token exists the UI asks for it and then works'(page) {
    const secret = execFileSync(process.env.SCANQ, ['--db', process.env.SCANQ_DB, 'token', 'create',
      '--role', 'viewer', '--name', 'browser-test'], { encoding: 'utf8' }).trim();
    // The server notices the first token within a second.
    const end = Date.now() + T;
    while ((await fetch(BASE + '/api/v1/me')).status !== 401) {
      if (Date.now() > end) throw new Error('server never required the token');
      await new Promise((r) => setTimeout(r, 200));
    }
    await page.goto(BASE + '/');
    await page.waitForSelector('#token-dialog[open]', { timeout: T });
    await page.fill('#token-input', secret);
    await page.click('#token-save');
    await page.waitForSelector('#scans-body tr', { timeout: T });
    await page.waitForFunction(() => document.querySelector('#role').textContent.includes('viewer'),
      null, { timeout: T });
    // A viewer may look but not act.
    const id = await page.getAttribute('#scans-body tr', 'data-id');
    await page.goto(BASE + '/scans/' + id);
    await page.waitForSelector('#scan-status[data-status]', { timeout: T });
    if (!(await page.isDisabled('#btn-retry')) || !(await page.isDisabled('#btn-cancel')))
      throw new Error('a viewer sees enabled retry/cancel buttons');
    await shot(page, 'ui-token');
  },
};

run('ui', parts);
