// Validate pressfeed's rendered JSON Feed 1.1 documents.
//
//   node .ci/check_jsonfeed.mjs --modules PREFIX [--label LABEL] DIR...
//
// PREFIX is the folder .ci/run installed into with `npm install --prefix PREFIX`
// ajv, ajv-formats and jsonfeed-schema (sonicdoe/jsonfeed-schema, ISC: its
// schema-v1.1.json is a draft-07 JSON Schema of https://www.jsonfeed.org/version/1.1/).
// Each DIR holds all.json and optionally expected-entries (a decimal integer).
//
// The published schema is used as shipped, tightened in three places where it
// is looser than the spec text (see tighten below): an author needs name, url or
// avatar (not just an extension); dates are RFC 3339 date-times (numeric offsets
// with a colon); version must be exactly https://jsonfeed.org/version/1.1. On top:
// item count == expected-entries (else > 0); every item has a non-empty title and
// an id starting with urn:pressfeed:item:; no id twice.
//
// Prints one line per document, details indented below; exits 1 on any problem.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const VERSION = 'https://jsonfeed.org/version/1.1';
const ID_PREFIX = 'urn:pressfeed:item:';
// RFC 3339 section 5.6 date-time; "T"/"Z" may be lower case (its note to 5.6).
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

const { values: opts, positionals: dirs } = parseArgs({
  options: { modules: { type: 'string' }, label: { type: 'string' } },
  allowPositionals: true,
});
if (!opts.modules || dirs.length === 0 || (opts.label && dirs.length > 1)) {
  console.error('usage: check_jsonfeed.mjs --modules NPM_PREFIX [--label LABEL] DIR...');
  process.exit(2);
}

const require = createRequire(path.join(path.resolve(opts.modules), 'noop.js'));
const Ajv = require('ajv');
const addFormats = require('ajv-formats');
const schemaPkg = require('jsonfeed-schema/package.json');
const schema = tighten(structuredClone(require('jsonfeed-schema/schema-v1.1.json')));

// strict mode stays on except strictRequired: the schema says "one of
// content_html/content_text" as anyOf [{required: [content_html]}, ...], an
// idiom that check rejects although it is correct.
const ajv = new Ajv({ strict: true, strictRequired: false, allErrors: true });
addFormats(ajv);
const lenientDateTime = ajv.formats['date-time'];
ajv.addFormat('date-time', {
  type: 'string',
  validate: (s) => RFC3339.test(s) && lenientDateTime.validate(s), // the latter checks day ranges
});
const validate = ajv.compile(schema);
const schemaName = `jsonfeed-schema@${schemaPkg.version} schema-v1.1.json`;

function tighten(s) {
  if (s.description !== 'JSON Feed Version 1.1' || !s.definitions?.author) {
    throw new Error('jsonfeed-schema: schema-v1.1.json is not the JSON Feed 1.1 schema this check expects');
  }
  // Spec: "author ... must include at least one" of name, url, avatar; the
  // schema's minProperties: 1 lets an author with only an _extension pass.
  s.definitions.author.anyOf = [{ required: ['name'] }, { required: ['url'] }, { required: ['avatar'] }];
  s.properties.version = { ...s.properties.version, const: VERSION };
  delete s.properties.version.enum; // the schema also allows version 1
  return s;
}

function expectedEntries(dir) {
  const p = path.join(dir, 'expected-entries');
  if (!existsSync(p)) return null;
  const text = readFileSync(p, 'utf8').trim();
  if (!/^[0-9]+$/.test(text)) throw new Error(`${p}: not a decimal integer: ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}

function check(dir, label) {
  const name = `${label}/all.json`;
  const file = path.join(dir, 'all.json');
  const verdicts = [];
  const problems = [];
  const done = () => {
    console.log(`json  ${name}  ${verdicts.join('; ')}`);
    for (const p of problems) console.log(`        FAIL: ${p}`);
    return problems.length === 0;
  };
  if (!existsSync(file)) {
    verdicts.push('MISSING');
    problems.push(`${file} does not exist`);
    return done();
  }
  let feed;
  try {
    feed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    verdicts.push('ajv: NOT RUN');
    problems.push(`not JSON: ${e.message}`);
    return done();
  }
  if (validate(feed)) {
    verdicts.push(`ajv: valid (${schemaName})`);
  } else {
    verdicts.push(`ajv: INVALID (${schemaName})`);
    for (const e of validate.errors.slice(0, 30)) {
      const extra = e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : '';
      problems.push(`ajv: ${e.instancePath || '/'} ${e.message}${extra}`);
    }
    if (validate.errors.length > 30) problems.push(`ajv: ... ${validate.errors.length - 30} more errors`);
  }
  if (feed?.version !== VERSION) problems.push(`version ${JSON.stringify(feed?.version)}, want ${JSON.stringify(VERSION)}`);
  const items = Array.isArray(feed?.items) ? feed.items : [];
  verdicts.push(`version=${feed?.version === VERSION ? '1.1' : JSON.stringify(feed?.version)} items=${items.length}`);

  let want = null;
  try {
    want = expectedEntries(dir);
  } catch (e) {
    problems.push(e.message);
  }
  if (want === null && items.length === 0) problems.push('no items (expected-entries absent, so at least one is required)');
  if (want !== null && items.length !== want) problems.push(`${items.length} items, expected-entries says ${want}`);

  const seen = new Set();
  items.forEach((it, i) => {
    const id = typeof it?.id === 'string' ? it.id : '';
    if (!id.startsWith(ID_PREFIX)) problems.push(`item ${i}: id ${JSON.stringify(it?.id)} does not start with ${ID_PREFIX}`);
    if (typeof it?.title !== 'string' || it.title.trim() === '') problems.push(`item ${i} (${JSON.stringify(id)}): no title`);
    if (seen.has(id)) problems.push(`id ${JSON.stringify(id)} appears more than once`);
    seen.add(id);
  });
  return done();
}

let ok = true;
for (const dir of dirs) {
  ok = check(dir, opts.label ?? path.basename(path.resolve(dir))) && ok;
}
process.exit(ok ? 0 : 1);
