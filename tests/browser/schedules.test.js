// schedules.test.js — the Schedules page and the operator's list in
// Debian's headless Chromium (playwright-core).  Started by
// tests/integration/browser_schedules.sh, which runs `scanq serve` with a
// simulated scheduler clock (SCANQ_TEST_CLOCK, 30x) so a schedule "every
// minute" fires within seconds, and passes SCANQ_URL and SCANQ_ARTIFACTS.
// Parts: a schedule created in the UI fires and its scan appears (and
// completes, its summary shown as labelled fields, "attempt 1 of 3");
// pause and run-now from the page; a bad cron expression is refused with
// the field named; the submit form offers the scan types as a choice; the
// scans list filters by type and target and pages.
'use strict';
const { BASE, T, run, shot, scanIdFromUrl } = require('./lib');

async function addSchedule(page, f) {
  await page.goto(BASE + '/schedules');
  await page.waitForSelector('#view-schedules:not([hidden])');
  await page.waitForSelector(`#s-type option[value="${f.type}"]`, { state: 'attached', timeout: T });
  await page.fill('#s-name', f.name);
  await page.fill('#s-cron', f.cron);
  await page.fill('#s-tz', f.tz || 'UTC');
  await page.selectOption('#s-overlap', f.overlap || 'skip');
  await page.selectOption('#s-type', f.type);
  await page.fill('#s-targets', f.targets);
  await page.click('#s-submit');
}

const parts = {
  async 'a schedule created in the UI fires and its scan appears'(page) {
    await addSchedule(page, { name: 'ui-minutely', cron: '* * * * *', tz: 'Europe/Berlin',
      type: 'test-ok', targets: '127.0.0.1' });
    await page.waitForFunction(() => document.querySelector('#s-msg').textContent.includes('added'),
      null, { timeout: T });
    const row = 'tr[data-name="ui-minutely"]';
    await page.waitForSelector(row + '[data-state="active"]', { timeout: T });
    // It fires (every simulated minute is 2 s) and its scan shows up in the row.
    await page.waitForSelector(row + ' td.last a[data-scan]', { timeout: T });
    await shot(page, 'ui-schedules');
    // The row re-renders every 2 s and the schedule fires every 2 s, so the
    // link clicked may be a newer firing than one read before the click: the
    // page it lands on names the scan.
    const first = await page.getAttribute(row + ' td.last a[data-scan]', 'data-scan');
    await page.click(row + ' td.last a[data-scan]');
    const id = await scanIdFromUrl(page);
    if (Number(id) < Number(first)) throw new Error(`clicked through to scan ${id}, older than ${first}`);
    await page.waitForSelector('#scan-status[data-status="completed"]', { timeout: T });
    // The summary as labelled fields, not raw JSON; the attempt within its budget.
    await page.waitForSelector('#scan-summary dt', { timeout: T });
    const fields = await page.textContent('#scan-fields');
    if (!/attempt\s*1 of 3/.test(fields)) throw new Error('attempt shown as: ' + fields);
    if ((await page.textContent('#scan-summary')).includes('{"')) throw new Error('summary is raw JSON');
    await shot(page, 'ui-scheduled-scan');
  },

  async 'pause and run now from the Schedules page'(page) {
    await page.goto(BASE + '/schedules');
    const row = 'tr[data-name="ui-minutely"]';
    await page.waitForSelector(row, { timeout: T });
    // Held longer than the list's poll (2 s) while the schedule fires: the
    // row is redrawn with new values between mousedown and mouseup, and the
    // button must stay the node it was for the click to land.
    await page.click(row + ' button:has-text("Pause")', { delay: 2100 });
    await page.waitForSelector(row + '[data-state="paused"]', { timeout: T });
    const before = await page.getAttribute(row + ' td.last a[data-scan]', 'data-scan');
    await page.click(row + ' button:has-text("Run now")');
    await page.waitForFunction(() => /Queued scan #\d+/.test(document.querySelector('#sched-msg').textContent),
      null, { timeout: T });
    const queued = (await page.textContent('#sched-msg')).match(/#(\d+)/)[1];
    if (Number(queued) <= Number(before)) throw new Error('run now queued ' + queued + ' after ' + before);
    await page.waitForSelector(`${row} td.last a[data-scan="${queued}"]`, { timeout: T });
    await page.click(row + ' button:has-text("Resume")');
    await page.waitForSelector(row + '[data-state="active"]', { timeout: T });
  },

  async 'a bad cron expression is refused naming the field'(page) {
    await addSchedule(page, { name: 'ui-bad', cron: '0 25 * * *', type: 'test-ok', targets: '127.0.0.1' });
    await page.waitForFunction(() => document.querySelector('#s-msg').className.includes('bad'),
      null, { timeout: T });
    const msg = await page.textContent('#s-msg');
    if (!msg.includes('hour field')) throw new Error('refusal says: ' + msg);
    if (await page.$('tr[data-name="ui-bad"]')) throw new Error('the bad schedule was added');
  },

  async 'the submit form offers the scan types as a choice'(page) {
    await page.goto(BASE + '/');
    await page.waitForSelector('#f-type option[value="test-ok"]', { state: 'attached', timeout: T });
    const tag = await page.evaluate(() => document.querySelector('#f-type').tagName);
    if (tag !== 'SELECT') throw new Error('the type is a ' + tag);
    const names = await page.$$eval('#f-type option', (os) => os.map((o) => o.value));
    for (const t of ['portscan', 'discovery', 'tls', 'test-ok'])
      if (!names.includes(t)) throw new Error('no type ' + t + ' in ' + names.join(','));
  },

  async 'the scans list filters by type and target and pages'(page) {
    for (let i = 0; i < 3; i++)
      await fetch(BASE + '/api/v1/scans', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ type: 'test-fail', targets: ['127.0.0.' + (7 + i)], options: { exit: 3 } }) });
    await page.goto(BASE + '/');
    await page.waitForSelector('#scans-body tr', { timeout: T });
    await page.selectOption('#filter-type', 'test-fail');
    await page.waitForFunction(() => { const rows = [...document.querySelectorAll('#scans-body tr')];
      return rows.length === 3 && rows.every((r) => r.children[1].textContent === 'test-fail'); }, null, { timeout: T });
    await page.fill('#filter-target', '127.0.0.8');
    await page.waitForFunction(() => { const rows = [...document.querySelectorAll('#scans-body tr')];
      return rows.length === 1 && rows[0].textContent.includes('127.0.0.8'); }, null, { timeout: T });
    await page.fill('#filter-target', '10.99.99.99');
    await page.waitForSelector('#scans-empty:not([hidden])', { timeout: T });
    // Paging: 60 scans of one type are two pages of 50.
    const body = JSON.stringify({ type: 'test-sleep', targets: ['127.0.0.1'], options: { seconds: 0 } });
    for (let i = 0; i < 60; i++)
      await fetch(BASE + '/api/v1/scans', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    await page.fill('#filter-target', '');
    await page.selectOption('#filter-type', 'test-sleep');
    await page.waitForFunction(() => document.querySelectorAll('#scans-body tr').length === 50, null, { timeout: T });
    await page.click('#btn-older');
    await page.waitForFunction(() => document.querySelectorAll('#scans-body tr').length === 10
      && document.querySelector('#page-no').textContent === 'page 2', null, { timeout: T });
    await page.click('#btn-newer');
    await page.waitForFunction(() => document.querySelectorAll('#scans-body tr').length === 50, null, { timeout: T });
    await shot(page, 'ui-list-filtered');
  },
};

run('schedules', parts);
