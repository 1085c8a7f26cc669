// lib.js — what the browser tests share: Debian's headless Chromium through
// playwright-core, the part runner, and the scan form.  Each *.test.js is
// started by its tests/integration/browser_*.sh (browser_test in lib.sh),
// which runs `scanq serve` and passes SCANQ_URL and SCANQ_ARTIFACTS (where
// screenshots go).
'use strict';
const { chromium } = require('playwright-core');
const path = require('path');

const BASE = process.env.SCANQ_URL;
const OUT = process.env.SCANQ_ARTIFACTS || '.';
const T = 90000; // generous: tests must not depend on speed

function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// shot(page, name): a full-page screenshot NAME.png among the artifacts.
function shot(page, name) {
  return page.screenshot({ path: path.join(OUT, name + '.png'), fullPage: true });
}

// why(e, page): the error's first line, the step its call log names first
// (which selector a timeout waited for: a part may wait for several) and the
// page the browser was on.
function why(e, page) {
  const lines = String(e.message).replace(/\x1b\[[0-9;]*m/g, '').split('\n');
  const step = lines.find((l) => /^\s*- waiting for /.test(l));
  return lines[0] + (step ? ' (' + step.trim().slice(2) + ')' : '') + ' on ' + page.url();
}

// run(prefix, parts): each part (an async function of a fresh page, in its
// own browser context) reports "PASS n. name" or "FAIL n. name: why", with
// a screenshot PREFIX-fail-n.png on failure; the process exits 1 if any
// failed.  SCANQ_UI_PARTS=1,3 runs only those parts.  Dialogs are accepted.
function run(prefix, parts) {
  const only = process.env.SCANQ_UI_PARTS ? process.env.SCANQ_UI_PARTS.split(',') : null;

  (async () => {
    const browser = await launch();
    let failed = 0, n = 0;
    for (const [name, fn] of Object.entries(parts)) {
      n++;
      if (only && !only.includes(String(n))) continue;
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
      const page = await ctx.newPage();
      page.on('pageerror', (e) => console.log(`  page error: ${e.message}`));
      page.on('dialog', (d) => d.accept());
      const t0 = Date.now();
      try {
        await fn(page);
        console.log(`PASS ${n}. ${name} (${Date.now() - t0} ms)`);
      } catch (e) {
        failed++;
        console.log(`FAIL ${n}. ${name}: ${why(e, page)}`);
        await shot(page, `${prefix}-fail-${n}`).catch(() => {});
      }
      await ctx.close();
    }
    await browser.close();
    process.exit(failed ? 1 : 0);
  })().catch((e) => { console.log('FAIL browser: ' + e.message); process.exit(1); });
}

async function scanIdFromUrl(page) {
  await page.waitForURL(/\/scans\/\d+$/, { timeout: T });
  return page.url().match(/\/scans\/(\d+)$/)[1];
}

// submit(page, fields): the scan form on the list page, filled with
// fields.type, targets and the optional ports, attempts, options and then;
// returns the new scan's id from the page it lands on.
async function submit(page, fields) {
  await page.goto(BASE + '/');
  await page.waitForSelector('#view-list:not([hidden])');
  await page.selectOption('#f-type', fields.type);
  await page.fill('#f-targets', fields.targets);
  await page.fill('#f-ports', fields.ports || '');
  await page.fill('#f-attempts', fields.attempts || '');
  await page.fill('#f-options', fields.options || '');
  await page.fill('#f-then', fields.then || '');
  await page.click('#f-submit');
  return scanIdFromUrl(page);
}

module.exports = { BASE, OUT, T, launch, shot, run, submit, scanIdFromUrl };
