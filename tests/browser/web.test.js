// web.test.js — the scan page's Web table in Debian's headless Chromium
// (playwright-core): an http scan's page is listed with its URL, status,
// title, server and technologies as the API has them; a scan without
// web pages shows no Web table; the inventory shows the names an http scan
// read from a certificate as hostnames of the address.  Started by
// tests/integration/browser_findings.sh, which passes:
//   SCANQ_URL            base URL of the server (no tokens: every role)
//   SCANQ_WEB            an http scan of one page, SCANQ_WEB_URL
//   SCANQ_SCAN           a portscan (no web pages)
//   SCANQ_NAME           a name in the certificate of a TLS port of
//                        127.0.0.1 that an http scan saw
//   SCANQ_ARTIFACTS      where screenshots go
'use strict';
const { BASE, T, run, shot } = require('./lib');

const WEB = process.env.SCANQ_WEB, WEB_URL = process.env.SCANQ_WEB_URL, SCAN = process.env.SCANQ_SCAN;
const NAME = process.env.SCANQ_NAME;

const parts = {
  async 'an http scan\'s page shows its web page: URL, status, title, server, technologies, as the API has them'(page) {
    const res = await page.request.get(BASE + '/api/v1/scans/' + WEB + '/findings?limit=1000');
    const f = (await res.json()).findings.find((x) => x.kind === 'http' && x.detail && x.detail.final_url);
    if (!f) throw new Error('no http page finding in the API');
    await page.goto(BASE + '/scans/' + WEB);
    const row = '#web-body tr.web-page[data-fingerprint="' + f.fingerprint + '"]';
    await page.waitForSelector(row, { timeout: T });
    const got = await page.$eval(row, (tr) => ({
      url: tr.querySelector('.url').firstChild.textContent, status: tr.querySelector('.status').textContent,
      title: tr.querySelector('.title').textContent, server: tr.querySelector('.server').textContent,
      techs: [...tr.querySelectorAll('.tech')].map((t) => t.textContent) }));
    const want = { url: WEB_URL, status: String(f.detail.final_status), title: 'Dashboard [Jenkins]',
      server: 'Apache/2.4.57 (Debian)' };
    for (const k of Object.keys(want))
      if (got[k] !== want[k]) throw new Error(k + ': page ' + JSON.stringify(got[k]) + ', want ' + JSON.stringify(want[k]));
    const apiTechs = f.detail.technologies.map((t) => t.name + (t.version ? ' ' + t.version : ''));
    if (JSON.stringify(got.techs) !== JSON.stringify(apiTechs) || !apiTechs.some((t) => t.startsWith('Apache')))
      throw new Error('technologies: page ' + JSON.stringify(got.techs) + ', API ' + JSON.stringify(apiTechs));
    if (await page.isVisible('#web') !== true) throw new Error('the Web table is hidden');
    await shot(page, 'web-page');
    // A scan without http pages has no Web table.
    await page.goto(BASE + '/scans/' + SCAN);
    await page.waitForSelector('#findings-body tr', { timeout: T });
    if (await page.isVisible('#web')) throw new Error('a portscan shows a Web table');
  },

  async 'the inventory shows a certificate\'s name as a hostname of its address, as the API has it'(page) {
    // Hostnames belong to the address: every row of 127.0.0.1 carries them.
    const res = await page.request.get(BASE + '/api/v1/inventory?target=127.0.0.1&limit=1000');
    const items = (await res.json()).items;
    const want = items.map((it) => it.hostnames.map((h) => h.name).join(', '));
    if (!items.length || !items.every((it) => it.hostnames.some((h) => h.name === NAME)))
      throw new Error('the API\'s rows of 127.0.0.1 do not all name ' + NAME + ': ' + JSON.stringify(want));
    await page.goto(BASE + '/inventory');
    await page.fill('#inv-target', '127.0.0.1');
    await page.click('#inv-form button[type=submit]');
    await page.waitForFunction((n) => {
      const tds = [...document.querySelectorAll('#inventory-body tr td.hostnames')];
      return tds.length === n && tds.every((td) => td.textContent !== '');
    }, items.length, { timeout: T });
    const shown = await page.$$eval('#inventory-body tr td.hostnames', (tds) => tds.map((td) => td.textContent));
    if (JSON.stringify(shown) !== JSON.stringify(want))
      throw new Error('the page shows ' + JSON.stringify(shown) + ', the API ' + JSON.stringify(want));
    await shot(page, 'inventory-hostnames');
  },
};

run('web', parts);
