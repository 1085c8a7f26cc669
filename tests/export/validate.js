// validate.js SCHEMA FILE — checks the JSON document FILE against the JSON
// Schema SCHEMA: draft-04 (the official SARIF 2.1.0 schema) through
// ajv-draft-04, any other draft through ajv; formats are checked
// (ajv-formats).  Prints "ok" or one line per error; exits 0 when valid,
// 1 when not, 2 on bad arguments or unreadable files.
'use strict';
const fs = require('fs');
const Ajv = require('ajv');
const Ajv04 = require('ajv-draft-04');
const addFormats = require('ajv-formats');

const [schemaPath, filePath] = process.argv.slice(2);
if (!schemaPath || !filePath) {
	console.error('usage: node validate.js SCHEMA.json FILE.json');
	process.exit(2);
}
let schema, doc;
try {
	schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
	doc = JSON.parse(fs.readFileSync(filePath, 'utf8'));
} catch (e) {
	console.error(`cannot read: ${e.message}`);
	process.exit(2);
}
const draft04 = /draft-04/.test(schema.$schema || '');
const ajv = draft04 ? new Ajv04({ allErrors: true, strict: false }) : new Ajv({ allErrors: true, strict: true });
addFormats(ajv);
const validate = ajv.compile(schema);
if (validate(doc)) {
	console.log('ok');
	process.exit(0);
}
for (const e of validate.errors)
	console.log(`${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
process.exit(1);
