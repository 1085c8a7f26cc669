// findings.test.js — the findings lifecycle in Debian's headless Chromium
// (playwright-core): the Findings page lists findings by state (the open
// one under "open", the fixed one under "fixed"); on the scan page each
// finding shows its state, an accept without a reason is refused with the
// API's message, an accept with one marks the row accepted, and reopen
// undoes it.  Started by tests/integration/browser_findings.sh, which
// passes:
//   SCANQ_URL            base URL of the server (no tokens: every role)
//   SCANQ_SCAN           the second scan (port SCANQ_OPEN open, SCANQ_FIXED gone)
//   SCANQ_FP             the fingerprint of the open port's finding
//   SCANQ_ARTIFACTS      where screenshots go
'use strict';
const { BASE, T, run, shot } = require('./lib');

const SCAN = process.env.SCANQ_SCAN, OPEN = process.env.SCANQ_OPEN;
const FIXED = process.env.SCANQ_FIXED, FP = process.env.SCANQ_FP;

async function ports(page) {
  return page.$$eval('#fs-body tr', (trs) => trs.map((tr) => [tr.getAttribute('data-state'), tr.children[4].textContent]));
}

const parts = {
  async 'the Findings page lists findings by state: open by default, fixed when asked'(page) {
    await page.goto(BASE + '/');
    await page.click('#nav-findings');
    await page.waitForSelector('#view-findings:not([hidden]) #fs-body tr', { timeout: T });
    let rows = await ports(page);
    if (rows.length !== 1 || rows[0][0] !== 'open' || rows[0][1] !== OPEN + '/tcp')
      throw new Error('open: ' + JSON.stringify(rows));
    await page.selectOption('#fs-state', 'fixed');
    await page.click('#fs-form button');
    await page.waitForFunction((p) => [...document.querySelectorAll('#fs-body tr')].some((tr) =>
      tr.children[4].textContent === p + '/tcp'), FIXED, { timeout: T });
    rows = await ports(page);
    if (rows.length !== 1 || rows[0][0] !== 'fixed') throw new Error('fixed: ' + JSON.stringify(rows));
    await shot(page, 'findings-page');
  },
  async 'on the scan page an operator accepts a finding with a reason, and reopens it'(page) {
    const row = '#findings-body tr[data-fingerprint="' + FP + '"]';
    await page.goto(BASE + '/scans/' + SCAN);
    await page.waitForSelector(row + '[data-state="open"] .triage-accept', { timeout: T });
    await page.click(row + ' .triage-accept');
    await page.waitForFunction(() => document.querySelector('#triage-msg').textContent.includes('reason is required'),
      null, { timeout: T });
    await page.fill(row + ' .triage-reason', 'lab box, ticket 7');
    await page.click(row + ' .triage-accept');
    await page.waitForSelector(row + '[data-state="accepted"] .triage-reopen', { timeout: T });
    const title = await page.getAttribute(row + ' .badge.state', 'title');
    if (!title.includes('lab box, ticket 7')) throw new Error('badge title: ' + title);
    await shot(page, 'findings-accepted');
    await page.click(row + ' .triage-reopen');
    await page.waitForSelector(row + '[data-state="reopened"] .triage-accept', { timeout: T });
  },
};

run('findings', parts);
