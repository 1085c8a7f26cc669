// report.test.js — the HTML report in Debian's headless Chromium
// (playwright-core).  Started by tests/integration/browser_report.sh,
// which passes:
//   SCANQ_URL        base URL of the server (no tokens: every role)
//   SCANQ_SCAN       the scan reported (its port SCANQ_FP's finding accepted)
//   SCANQ_REPORT     the report file the CLI wrote for it
//   SCANQ_FP         the accepted finding's fingerprint
//   SCANQ_ARTIFACTS  where screenshots go
// The report's counts are checked against the API's own answers; the
// banner's `<script>` must show as text and never run.
'use strict';
const fs = require('fs');
const { BASE, T, run, shot } = require('./lib');

const SCAN = process.env.SCANQ_SCAN, REPORT = process.env.SCANQ_REPORT, FP = process.env.SCANQ_FP;
const SEV = ['critical', 'high', 'medium', 'low', 'info'];

async function getJson(page, path) {
  const res = await page.request.get(BASE + path);
  if (!res.ok()) throw new Error(path + ': HTTP ' + res.status());
  return res.json();
}

// The numbers a report shows, read from the page.
function numbers(page) {
  return page.evaluate(() => {
    const n = (sel) => Number(document.querySelector(sel).textContent);
    const sev = {};
    document.querySelectorAll('#summary td[data-sev]').forEach((td) => { sev[td.dataset.sev] = Number(td.textContent); });
    return { sev, total: n('#n-findings'), suppressed: n('#n-suppressed'), new: n('#n-new'),
      gone: n('#n-gone'), changed: n('#n-changed'), rows: document.querySelectorAll('tr.finding').length,
      suppressedRows: [...document.querySelectorAll('tr.finding.suppressed')].map((tr) => tr.dataset.fingerprint) };
  });
}

const parts = {
  async 'the report shows the API\'s numbers, the accepted finding suppressed, a scanned script as text'(page) {
    const findings = (await getJson(page, '/api/v1/scans/' + SCAN + '/findings?limit=1000')).findings;
    const changes = await getJson(page, '/api/v1/scans/' + SCAN + '/changes');
    const accepted = (await getJson(page, '/api/v1/findings?state=accepted')).findings;
    await page.goto('file://' + REPORT);
    const got = await numbers(page);
    for (const s of SEV) {
      const want = findings.filter((f) => f.severity === s).length;
      if (got.sev[s] !== want) throw new Error(s + ': page ' + got.sev[s] + ', API ' + want);
    }
    if (got.total !== findings.length || got.rows !== findings.length)
      throw new Error('findings: page ' + got.total + ' (' + got.rows + ' rows), API ' + findings.length);
    const mine = new Set(findings.map((f) => f.fingerprint));
    const sup = accepted.filter((f) => mine.has(f.fingerprint)).map((f) => f.fingerprint);
    if (got.suppressed !== sup.length || JSON.stringify(got.suppressedRows) !== JSON.stringify(sup) || !sup.includes(FP))
      throw new Error('suppressed: page ' + JSON.stringify(got.suppressedRows) + ', API ' + JSON.stringify(sup));
    if (got.new !== changes.new || got.gone !== changes.gone || got.changed !== changes.changed)
      throw new Error('changes: page ' + JSON.stringify(got) + ', API ' + JSON.stringify(changes));
    if (changes.gone < 1) throw new Error('the closed port is not a gone change: ' + JSON.stringify(changes));
    const title = await page.textContent('tr.finding[data-fingerprint="' + FP + '"] td.title');
    if (!title.includes('<script>window.pwned=1</script>')) throw new Error('title: ' + title);
    if (await page.evaluate(() => typeof window.pwned !== 'undefined')) throw new Error('the scanned script ran');
    if (await page.evaluate(() => document.scripts.length) !== 0) throw new Error('the report has a script');
    await shot(page, 'report');
    await page.emulateMedia({ media: 'print' });
    const margin = await page.evaluate(() => getComputedStyle(document.body).marginTop);
    if (margin !== '0px') throw new Error('the print style does not apply: body margin ' + margin);
    await shot(page, 'report-print');
  },
  async 'the scan page\'s download menu saves the report'(page) {
    await page.goto(BASE + '/scans/' + SCAN);
    await page.waitForSelector('#findings-body tr', { timeout: T });
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: T }), page.click('#export-report')]);
    if (dl.suggestedFilename() !== 'scanq-scan-' + SCAN + '.html') throw new Error('file name ' + dl.suggestedFilename());
    const text = fs.readFileSync(await dl.path(), 'utf8');
    if (!text.includes('scanq report: portscan scan ' + SCAN) || /<script/i.test(text))
      throw new Error('downloaded: ' + text.slice(0, 200));
  },
};

run('report', parts);
