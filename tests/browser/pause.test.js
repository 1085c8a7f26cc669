// pause.test.js — the web UI's pause card (web/app.js) in Debian's headless
// Chromium (playwright-core).  Started by tests/integration/browser_pause.sh,
// which pauses every scan with a reason before `scanq serve` starts, and
// passes SCANQ_URL and SCANQ_ARTIFACTS.  The card shows the pause with its
// reason and author; "Resume everything" ends it; "Pause all scans" with a
// reason makes a new one, which the card shows again.  Then a type and a
// pool are paused from the form, and the type's own Resume ends only its
// pause.  The maintenance window the suite added (open all day) is listed
// as open, with when it closes.
'use strict';
const { BASE, run, shot } = require('./lib');

run('pause', {
  async 'the pause card shows what is paused, resumes and pauses again'(page) {
    await page.goto(BASE + '/');
    const item = '#pauses li[data-kind="all"]';
    await page.waitForSelector(item, { timeout: 30000 });
    const text = await page.textContent(item);
    if (!/every scan since .* by cli:.*: disk swap/.test(text)) throw new Error('the card says: ' + text);
    await shot(page, 'pause-card');
    await page.click('#btn-resume');
    await page.waitForFunction(() => document.querySelectorAll('#pauses li').length === 0,
      null, { timeout: 10000 });
    await page.fill('#pause-reason', 'from the browser');
    await page.click('#btn-pause');
    await page.waitForSelector(item, { timeout: 10000 });
    const again = await page.textContent(item);
    if (!again.includes('from the browser')) throw new Error('the new pause says: ' + again);
  },

  async 'a type and a pool are paused and resumed one by one'(page) {
    await page.goto(BASE + '/');
    await page.waitForSelector('#pause-form:not([hidden])', { timeout: 30000 });
    await page.selectOption('#pause-kind', 'type');
    if (await page.textContent('#btn-pause') !== 'Pause this type') throw new Error('the button does not say type');
    await page.fill('#pause-value', 'test-ok');
    await page.fill('#pause-reason', 'type from the browser');
    await page.click('#btn-pause');
    const type = '#pauses li[data-kind="type"]';
    await page.waitForSelector(type, { timeout: 10000 });
    const t = await page.textContent(type);
    if (!/type test-ok since .*: type from the browser/.test(t)) throw new Error('the type pause says: ' + t);
    await page.selectOption('#pause-kind', 'pool');
    await page.fill('#pause-value', 'local');
    await page.fill('#pause-reason', 'pool from the browser');
    await page.click('#btn-pause');
    await page.waitForSelector('#pauses li[data-kind="pool"]', { timeout: 10000 });
    await shot(page, 'pause-card-kinds');
    await page.click(type + ' button.resume-one');
    await page.waitForFunction(() => !document.querySelector('#pauses li[data-kind="type"]'), null,
      { timeout: 10000 });
    const left = await page.$$eval('#pauses li', (l) => l.map((x) => x.getAttribute('data-kind')).sort());
    if (left.join(',') !== 'all,pool') throw new Error('after resuming the type, left: ' + left);
  },

  async 'the open maintenance window is shown with when it closes'(page) {
    await page.goto(BASE + '/');
    const open = '#windows li[data-open="true"][data-name="maint"]';
    await page.waitForSelector(open, { timeout: 30000 });
    const text = await page.textContent(open);
    if (!/^maint \(every pool, targets 127\.0\.0\.9; .*\): open until /.test(text))
      throw new Error('the window says: ' + text);
    const state = await page.textContent('#windows-state');
    if (!/^Open now: maint until /.test(state)) throw new Error('the card says: ' + state);
    await shot(page, 'pause-card-windows');
  },
});
