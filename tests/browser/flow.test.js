// flow.test.js — the web UI's chains and shards in Debian's
// headless Chromium (playwright-core).  Started by
// tests/integration/browser_flow.sh, which runs `scanq serve` and passes
// SCANQ_URL, SCANQ_LISTENER_PORT (an open loopback TCP port: serve's own)
// and SCANQ_ARTIFACTS (screenshots).  Each part reports PASS/FAIL; the exit
// status is 1 if any part failed.
'use strict';
const { T, run, shot, submit } = require('./lib');

const PORT = process.env.SCANQ_LISTENER_PORT;

const parts = {
  async 'a chain submitted from the form shows as a tree that ends completed'(page) {
    const id = await submit(page, { type: 'discovery', targets: '127.0.0.1',
      then: `portscan:${PORT} tls` });
    await page.waitForSelector('#chain-status[data-status="completed"]', { timeout: T });
    const tree = await page.$$eval('#chain-tree li.chain-node', (lis) => lis.map((li) => ({
      id: li.getAttribute('data-id'), status: li.getAttribute('data-status'),
      depth: (() => { let d = 0; for (let p = li.parentElement; p && p.id !== 'chain-tree'; p = p.parentElement) if (p.tagName === 'UL') d++; return d; })(),
      text: li.firstElementChild.textContent })));
    const types = tree.map((n) => n.text.replace(/^#\d+ /, '')).join(',');
    if (types !== 'discovery,portscan,tls') throw new Error('tree: ' + JSON.stringify(tree));
    if (tree[0].id !== id || tree.some((n) => n.status !== 'completed'))
      throw new Error('tree statuses: ' + JSON.stringify(tree));
    if (!(tree[0].depth < tree[1].depth && tree[1].depth < tree[2].depth))
      throw new Error('not nested: ' + JSON.stringify(tree));
    await shot(page, 'flow-chain');
    // A stage's own page shows the same chain, itself marked.  The click is
    // held longer than a poll (500 ms), so the tree is redrawn between its
    // mousedown and its mouseup, as it can be under any click on a loaded
    // machine: the link must stay the node it was, or the browser fires no
    // click at all and the page never leaves the root.
    await page.click(`#chain-tree li[data-id="${tree[2].id}"] > a`, { delay: 600 });
    await page.waitForSelector(`#chain-tree li.current[data-id="${tree[2].id}"]`, { timeout: T });
  },

  async 'a split scan shows its shards and their aggregated progress'(page) {
    const id = await submit(page, { type: 'portscan', targets: '127.1.0.0/22', ports: String(PORT),
      options: '{"rate":1200}' });
    await page.waitForSelector('#scan-chain:not([hidden]) .chain-shards', { timeout: T });
    const seen = new Set();
    const t0 = Date.now();
    while (Date.now() - t0 < T) {
      const st = await page.getAttribute('#chain-status', 'data-status');
      seen.add(await page.textContent(`#chain-tree li[data-id="${id}"] > .chain-progress`));
      if (st === 'completed') break;
      await page.waitForTimeout(200);
    }
    const shards = await page.textContent(`#chain-tree li[data-id="${id}"] > .chain-shards`);
    if (!/^shards: 4 — 4 completed/.test(shards)) throw new Error('shards line: ' + shards);
    if (!seen.has('100%') || seen.size < 2) throw new Error('progress never moved: ' + [...seen]);
    await shot(page, 'flow-shards');
  },
};

run('flow', parts);
