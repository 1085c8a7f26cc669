// changes.test.js — the UI of changes, webhooks and the inventory in Debian's headless Chromium
// (playwright-core): a scan's "Changes since scan N" with new, gone and
// changed rows marked; the baseline saying so; the Inventory page with the
// closed port no longer seen and the new one seen; the webhooks panel
// adding a webhook and refusing one outside the allow-list.  Started by
// tests/integration/browser_changes.sh, which passes:
//   SCANQ_URL                  base URL of the server
//   SCANQ_S1, SCANQ_S2         the baseline scan and the scan that changed
//   SCANQ_GONE, SCANQ_NEW      the closed and the opened port
//   SCANQ_CHAIN                a chain's root whose root and tls stage
//                              found port SCANQ_CHAIN_GONE gone
//   SCANQ_SSH, SCANQ_PLAIN     the port detection named ssh (OpenSSH 9.3p1 in
//                              SCANQ_S2) and a later plain portscan of it
//   SCANQ_ARTIFACTS            where screenshots go
'use strict';
const { BASE, T, run, shot } = require('./lib');

const S1 = process.env.SCANQ_S1, S2 = process.env.SCANQ_S2;
const GONE = process.env.SCANQ_GONE, NEW = process.env.SCANQ_NEW;
const CHAIN = process.env.SCANQ_CHAIN, CHAIN_GONE = process.env.SCANQ_CHAIN_GONE;
const SSH = process.env.SCANQ_SSH, PLAIN = process.env.SCANQ_PLAIN;

const parts = {
  async 'a scan shows its changes since the previous scan, new, gone and changed marked'(page) {
    await page.goto(BASE + '/scans/' + S2);
    await page.waitForSelector('#changes-body tr[data-change="new"]', { timeout: T });
    const title = await page.textContent('#changes-title');
    if (title !== 'Changes since scan ' + S1) throw new Error('title: ' + title);
    const rows = await page.$$eval('#changes-body tr', (trs) => trs.map((tr) =>
      [tr.getAttribute('data-change'), tr.className, tr.children[3].textContent]));
    const has = (c, port) => rows.some((r) => r[0] === c && r[1] === 'change-' + c && r[2] === port + '/tcp');
    if (!has('new', NEW) || !has('gone', GONE) || !rows.some((r) => r[0] === 'changed'))
      throw new Error('rows: ' + JSON.stringify(rows));
    const color = await page.$eval('#changes-body tr[data-change="gone"] td', (td) => getComputedStyle(td).color);
    if (color === 'rgb(0, 0, 0)') throw new Error('a gone row is not highlighted');
    await shot(page, 'changes-scan');
  },
  async 'the first scan of a baseline says it is the baseline'(page) {
    await page.goto(BASE + '/scans/' + S1);
    await page.waitForFunction(() => document.querySelector('#changes-note').textContent.includes('baseline'),
      null, { timeout: T });
    if (!(await page.isHidden('#changes-table'))) throw new Error('the baseline shows a changes table');
  },
  async "a chain's first scan gathers the changes of every stage below it, each naming its scan"(page) {
    await page.goto(BASE + '/scans/' + CHAIN);
    await page.waitForSelector('#chain-changes:not([hidden]) #chain-changes-body tr[data-change="gone"]', { timeout: T });
    await page.waitForFunction(() => document.querySelectorAll('#chain-changes-body tr').length === 2,
      null, { timeout: T });
    const rows = await page.$$eval('#chain-changes-body tr', (trs) => trs.map((tr) =>
      [tr.children[0].textContent, tr.getAttribute('data-change'), tr.children[4].textContent]));
    const scans = rows.map((r) => r[0]);
    if (!rows.every((r) => r[1] === 'gone' && r[2] === CHAIN_GONE + '/tcp')
        || !scans.includes('scan ' + CHAIN) || new Set(scans).size !== 2)
      throw new Error('rows: ' + JSON.stringify(rows));
    const note = await page.textContent('#chain-changes-note');
    if (!note.startsWith('0 new, 2 gone, 0 changed')) throw new Error('note: ' + note);
    await shot(page, 'changes-chain');
    // A stage with nothing below it shows only its own changes.
    const stage = scans.find((s) => s !== 'scan ' + CHAIN).slice(5);
    await page.goto(BASE + '/scans/' + stage);
    await page.waitForSelector('#changes-body tr[data-change="gone"]', { timeout: T });
    if (!(await page.isHidden('#chain-changes'))) throw new Error('a stage without stages below shows a chain section');
  },
  async 'the inventory shows the closed port as no longer seen and the new one as seen'(page) {
    await page.goto(BASE + '/');
    await page.click('#nav-inventory');
    await page.waitForSelector('#view-inventory:not([hidden]) #inventory-body tr', { timeout: T });
    const rows = await page.$$eval('#inventory-body tr', (trs) => trs.map((tr) =>
      [tr.children[1].textContent, tr.getAttribute('data-still-seen')]));
    const seen = (port) => (rows.find((r) => r[0] === port + '/tcp') || [])[1];
    if (seen(GONE) !== 'false' || seen(NEW) !== 'true') throw new Error('rows: ' + JSON.stringify(rows));
    // The plain portscan saw the ssh port last; its service is still what
    // detection found, confirmed by that scan, as the API says.
    const ssh = await page.$$eval('#inventory-body tr', (trs, port) => trs.filter((tr) => tr.children[1].textContent === port + '/tcp')
      .map((tr) => [tr.querySelector('.service').textContent, tr.querySelector('.product').textContent,
        (tr.querySelector('.confirmed a') || {}).href || '', tr.children[7].textContent]), SSH);
    const api = (await (await page.request.get(BASE + '/api/v1/inventory?port=' + SSH)).json()).items[0];
    if (ssh.length !== 1 || ssh[0][0] !== 'ssh' || ssh[0][1] !== 'OpenSSH 9.3p1' || !ssh[0][2].endsWith('/scans/' + S2)
        || ssh[0][3] !== '#' + PLAIN || api.service !== 'ssh' || api.service_scan !== Number(S2) || api.last_scan !== Number(PLAIN))
      throw new Error('ssh row: ' + JSON.stringify(ssh) + ' api: ' + JSON.stringify(api));
    await page.fill('#inv-port', NEW);
    await page.click('#inv-form button');
    await page.waitForFunction(() => document.querySelectorAll('#inventory-body tr').length === 1, null, { timeout: T });
    await page.fill('#inv-port', '');
    await page.fill('#inv-target', 'not-a-cidr');
    await page.click('#inv-form button');
    await page.waitForFunction(() => document.querySelector('#inv-msg').textContent.includes('target must be'),
      null, { timeout: T });
    await shot(page, 'changes-inventory');
  },
  async 'an admin adds a webhook in the panel; one outside the allow-list is refused'(page) {
    await page.goto(BASE + '/');
    await page.waitForSelector('#webhooks-card:not([hidden])', { timeout: T });
    await page.fill('#wh-url', 'http://192.0.2.7/hook');
    await page.click('#wh-add');
    await page.waitForFunction(() => document.querySelector('#webhook-msg').textContent.includes('[webhooks] allow'),
      null, { timeout: T });
    await page.fill('#wh-url', 'http://127.0.0.1:9/hook');
    await page.click('#wh-add');
    await page.waitForFunction(() => document.querySelector('#webhook-msg').textContent.includes('secret'),
      null, { timeout: T });
    await page.waitForFunction(() => [...document.querySelectorAll('#webhooks-body tr')]
      .some((tr) => tr.textContent.includes('http://127.0.0.1:9/hook')), null, { timeout: T });
    await shot(page, 'changes-webhooks');
    // Test it, then remove it: it leaves the list, its delivery stays listed
    // marked (removed), and "show removed" shows it marked, without actions.
    const id = await page.$eval('#webhooks-body tr:last-child', (tr) => tr.getAttribute('data-id'));
    await page.click(`#webhooks-body tr[data-id="${id}"] button:text("test")`);
    await page.waitForSelector(`#deliveries-body tr[data-webhook="${id}"]`, { timeout: T });
    await page.click(`#webhooks-body tr[data-id="${id}"] button:text("remove")`);
    await page.waitForFunction((i) => !document.querySelector(`#webhooks-body tr[data-id="${i}"]`), id, { timeout: T });
    await page.waitForFunction((i) => [...document.querySelectorAll(`#deliveries-body tr[data-webhook="${i}"]`)]
      .every((tr) => tr.children[0].textContent === '#' + i + ' (removed)'), id, { timeout: T });
    await page.check('#wh-removed');
    await page.waitForSelector(`#webhooks-body tr[data-id="${id}"][data-removed="true"]`, { timeout: T });
    const row = await page.textContent(`#webhooks-body tr[data-id="${id}"]`);
    if (!/removed .* by (token:|api:open)/.test(row) || await page.$(`#webhooks-body tr[data-id="${id}"] button`))
      throw new Error('the removed row: ' + row);
    await shot(page, 'changes-webhooks-removed');
  },
};

run('changes', parts);
