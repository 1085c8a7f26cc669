// stuck.test.js — the web UI's stuck report panel (web/admin.js) in Debian's
// headless Chromium (playwright-core).  Started by
// tests/integration/browser_stuck.sh, which runs `scanq serve` on a database
// with one scan stuck on purpose and passes:
//   SCANQ_URL         base URL of the server
//   SCANQ_STUCK_ID    the id of the stuck scan (category finished_without_time)
//   SCANQ_ARTIFACTS   where the screenshot goes
// Exit status 1 if the panel does not show the scan under its category.
'use strict';
const { BASE, run, shot } = require('./lib');

const ID = process.env.SCANQ_STUCK_ID;

run('stuck', {
  async 'the stuck panel shows the scan under finished_without_time with its fix'(page) {
    await page.goto(BASE + '/');
    const cat = '#stuck .stuck-cat[data-category="finished_without_time"]';
    await page.waitForSelector(cat, { timeout: 30000 });
    const text = await page.textContent(cat);
    if (!text.includes('scan ' + ID)) throw new Error('the panel lacks scan ' + ID + ': ' + text);
    if (!text.includes('fix:')) throw new Error('the panel shows no fix: ' + text);
    const href = await page.getAttribute(cat + ' a', 'href');
    if (href !== '/scans/' + ID) throw new Error('the scan link is ' + href);
    const note = await page.textContent('#stuck-note');
    if (!/1 scan\(s\) need a look/.test(note)) throw new Error('the summary says: ' + note);
    await shot(page, 'stuck-panel');
  },
});
