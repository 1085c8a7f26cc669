// validate.js DOC DIR — checks every HTTP response recorded in DIR against
// the OpenAPI document DOC (docs/openapi.json).  tests/integration/
// api_lib.bash records each response req() receives as three files: NAME
// ("METHOD PATH?QUERY"), NAME.headers (curl -D) and NAME.body.
//
// A response passes when its path and method are an operation of DOC (or,
// for a path DOC does not have, it is a 404 problem; for a method the path
// does not take, a 405 problem with Allow; for either, the refusals every
// request may get, a 400 problem for a control character in the path or
// the query and a 413 problem for a body too large), its status is one of that
// operation's responses, its Content-Type one of that response's media
// types, and a JSON body matches the media type's schema (JSON Schema
// 2020-12, formats checked).  Prints one line per failure and a summary;
// exits 1 if any failed, 2 on bad arguments.
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');

const [docPath, dir] = process.argv.slice(2);
if (!docPath || !dir) {
	console.error('usage: node validate.js OPENAPI.json RESPONSES-DIR');
	process.exit(2);
}
const doc = JSON.parse(fs.readFileSync(docPath, 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
// The OpenAPI keywords (example, ...) are not JSON Schema: strict off.
ajv.addSchema({ $id: 'doc', components: doc.components });

const compiled = new Map();
function validatorFor(pointer, schema) {
	if (!compiled.has(pointer)) {
		// Rewrite local refs so they resolve inside the document schema.
		const text = JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"doc#/');
		compiled.set(pointer, ajv.compile(JSON.parse(text)));
	}
	return compiled.get(pointer);
}

function deref(obj) {
	while (obj && obj.$ref) {
		const parts = obj.$ref.replace(/^#\//, '').split('/');
		obj = parts.reduce((o, p) => o && o[p.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
	}
	return obj;
}

// The template of DOC matching a concrete path: {x} takes one non-empty
// segment; of several matches, the one with the most literal segments.
function findTemplate(p) {
	const segs = p.split('/');
	let best = null, bestLiterals = -1;
	for (const t of Object.keys(doc.paths)) {
		const ts = t.split('/');
		if (ts.length !== segs.length) continue;
		let literals = 0, ok = true;
		for (let i = 0; i < ts.length && ok; i++) {
			if (/^\{.+\}$/.test(ts[i])) ok = segs[i].length > 0;
			else if (ts[i] === segs[i]) literals++;
			else ok = false;
		}
		if (ok && literals > bestLiterals) { best = t; bestLiterals = literals; }
	}
	return best;
}

function parseHeaders(text) {
	// curl -D: possibly several blocks (100 Continue); the last one counts.
	const blocks = text.split(/\r?\n\r?\n/).filter(b => /^HTTP\//.test(b));
	const last = blocks[blocks.length - 1] || '';
	const lines = last.split(/\r?\n/);
	const status = parseInt((lines[0] || '').split(' ')[1], 10);
	const h = {};
	for (const l of lines.slice(1)) {
		const i = l.indexOf(':');
		if (i > 0) h[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
	}
	return { status, h };
}

const problemCheck = validatorFor('#/components/schemas/Problem', { $ref: '#/components/schemas/Problem' });
const failures = [];
const seen = new Map();
let n = 0;

for (const name of fs.readdirSync(dir).filter(f => !f.includes('.')).sort()) {
	const line = fs.readFileSync(path.join(dir, name), 'utf8').trim();
	const sp = line.indexOf(' ');
	const method = line.slice(0, sp), url = line.slice(sp + 1);
	const { status, h } = parseHeaders(fs.readFileSync(path.join(dir, name + '.headers'), 'utf8'));
	const body = fs.readFileSync(path.join(dir, name + '.body'));
	const ctype = (h['content-type'] || '').split(';')[0].trim().toLowerCase();
	const what = `${method} ${url} -> ${status}`;
	const fail = msg => failures.push(`${what}: ${msg}`);
	n++;
	if (!status) { fail('no HTTP status (no response recorded)'); continue; }

	const p = url.split('?')[0];
	const tpl = findTemplate(p);
	const lower = method === 'HEAD' ? 'get' : method.toLowerCase();
	const op = tpl && doc.paths[tpl][lower];

	let response, key;
	if (!tpl || !op) {
		// Not an operation: the server's generic refusals (see info.description).
		const want = !tpl ? 404 : 405;
		key = `(no operation) ${want}`;
		if (status !== want && status !== 400 && status !== 413) { fail(`expected ${want} for ${tpl ? 'a method the path does not take' : 'an undocumented path'}`); continue; }
		if (status === 405 && !h['allow']) fail('405 without an Allow header');
		response = { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
	} else {
		key = `${method} ${tpl} ${status}`;
		const rs = op.responses || {};
		response = deref(rs[String(status)] || rs[`${String(status)[0]}XX`] || rs.default);
		if (!response) { fail(`status ${status} is not documented for ${method.toUpperCase()} ${tpl}`); continue; }
	}
	seen.set(key, (seen.get(key) || 0) + 1);

	const content = response.content || {};
	if (Object.keys(content).length === 0) {
		if (body.length) fail('a body where the document says none');
		continue;
	}
	const media = content[ctype];
	if (!media) { fail(`Content-Type '${ctype}' is not one of ${Object.keys(content).join(', ')}`); continue; }
	if (method === 'HEAD') continue;
	if (!/^application\/([a-z.+-]*\+)?json$/.test(ctype) || !media.schema) continue;
	let value;
	try {
		value = JSON.parse(body.toString('utf8'));
	} catch (e) {
		fail(`body is not JSON: ${e.message}`);
		continue;
	}
	const pointer = tpl && op ? `${tpl} ${lower} ${status} ${ctype}` : 'problem';
	const check = tpl && op ? validatorFor(pointer, media.schema) : problemCheck;
	if (!check(value)) {
		const errs = check.errors.slice(0, 3).map(e => `${e.instancePath || '/'} ${e.message}`).join('; ');
		fail(`body does not match the schema: ${errs}; body: ${body.toString('utf8').slice(0, 200)}`);
	}
	if (ctype === 'application/problem+json' && value && value.status !== status)
		fail(`problem status ${value.status} differs from the HTTP status`);
}

for (const [k, v] of [...seen.entries()].sort()) console.log(`  ${k} x${v}`);
for (const f of failures.slice(0, 30)) console.log(`not ok - ${f}`);
if (failures.length > 30) console.log(`... and ${failures.length - 30} more`);
console.log(`openapi: ${n} responses checked against ${path.basename(docPath)}, ` +
	`${seen.size} distinct operation/status pairs, ${failures.length} failed`);
if (n === 0) {
	console.log('not ok - no responses were recorded');
	process.exit(1);
}
process.exit(failures.length ? 1 : 0);
