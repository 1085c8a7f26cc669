/* scanq web UI: the stuck report panel (admin role).  Reads
 * GET /api/v1/admin/stuck every 15 s and shows each category that has
 * scans, with its reason, its fix and links to the scans.  Everything from
 * the server goes into the page as text.  A token without the admin role
 * sees one line saying so; the panel changes nothing. */
'use strict';

(function () {
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  };

  async function loadStuck() {
    const box = document.getElementById('stuck');
    const note = document.getElementById('stuck-note');
    if (!box || !note) return;
    const headers = { Accept: 'application/json' };
    const tok = localStorage.getItem('scanq_token');
    if (tok) headers.Authorization = 'Bearer ' + tok;
    let res, body;
    try {
      res = await fetch('/api/v1/admin/stuck', { headers });
      body = await res.json();
    } catch (e) {
      note.textContent = 'The stuck report cannot be read: ' + e.message;
      return;
    }
    if (res.status === 401 || res.status === 403) {
      box.replaceChildren();
      note.textContent = 'The stuck report needs a token with the admin role.';
      return;
    }
    if (!res.ok) {
      box.replaceChildren();
      note.textContent = (body && body.detail) || ('HTTP ' + res.status);
      return;
    }
    const cats = [];
    const ids = new Set();
    for (const c of body.categories) for (const s of c.scans) ids.add(s.id);
    note.textContent = ids.size
      ? ids.size + ' scan(s) need a look (pending counts after ' + body.max_age_hours + ' h).'
      : 'Nothing stuck (pending counts after ' + body.max_age_hours + ' h).';
    for (const c of body.categories) {
      if (!c.count) continue;
      const d = el('div', undefined, 'stuck-cat');
      d.dataset.category = c.name;
      d.append(el('strong', c.name + ' (' + c.count + ')'), el('div', c.reason, 'muted'),
               el('div', 'fix: ' + c.fix, 'muted'));
      const ul = el('ul');
      for (const s of c.scans.slice(0, 10)) {
        const li = el('li');
        const a = el('a', 'scan ' + s.id);
        a.href = '/scans/' + encodeURIComponent(s.id);
        li.append(a, document.createTextNode(' ' + s.type + ' ' + s.status +
          (s.detail ? ' (' + s.detail + ')' : '')));
        ul.append(li);
      }
      d.append(ul);
      cats.push(d);
    }
    morph(box, cats);	/* app.js: a click on a scan's link survives the refresh */
  }

  document.addEventListener('DOMContentLoaded', () => {
    loadStuck();
    setInterval(loadStuck, 15000);
  });
})();
