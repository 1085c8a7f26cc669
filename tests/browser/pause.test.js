// pause.test.js — the web UI's pause card (web/app.js) in Debian's headless
// Chromium (playwright-core).  Started by tests/integration/browser_pause.sh,
// which pauses every scan with a reason before `scanq serve` starts, and
// passes SCANQ_URL and SCANQ_ARTIFACTS.  The card shows the pause with its
// reason and author; "Resume everything" ends it; "Pause all scans" with a
// reason makes a new one, which the card shows again.
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
});
