import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONTACTS_FILE, SAMPLES_DIR, TRACKER_FILE, buildSamples } from '../../scripts/makeSamples';

describe('sample data', () => {
  const samples = buildSamples();

  it('is what scripts/makeSamples.ts writes (run `npm run samples` after changing it)', () => {
    const onDisk = (name: string) => fs.readFileSync(path.join(SAMPLES_DIR, name), 'utf8');
    assert.equal(onDisk(TRACKER_FILE), samples.trackerXml);
    assert.equal(onDisk(CONTACTS_FILE), samples.contactsCsv);
  });

  it('has a few hundred clicks over several templates, months and contacts', () => {
    const distinct = (f: (c: (typeof samples.clicks)[number]) => string) =>
      new Set(samples.clicks.map(f)).size;
    assert.ok(samples.clicks.length >= 200 && samples.clicks.length <= 500);
    assert.ok(distinct((c) => c.template) >= 4);
    assert.ok(distinct((c) => c.date.slice(0, 7)) >= 4);
    assert.ok(distinct((c) => c.contactId) >= 25);
  });

  it('repeats exactly the announced number of entries', () => {
    const keys = samples.clicks.map((c) => JSON.stringify(c));
    assert.equal(keys.length - new Set(keys).size, samples.duplicates);
    assert.ok(samples.duplicates > 0);
  });

  it('names every clicking contact in contacts.csv, some without a client', () => {
    const ids = new Set(samples.contacts.map((c) => c.contactId));
    for (const click of samples.clicks) {
      assert.ok(ids.has(click.contactId), `contact ${click.contactId} is not in contacts.csv`);
    }
    assert.ok(samples.contacts.filter((c) => c.client === '').length >= 2);
    assert.ok(new Set(samples.contacts.map((c) => c.client)).size >= 4);
    for (const contact of samples.contacts) {
      assert.match(contact.email, /^[a-z.]+@example\.(com|org|net)$/);
    }
  });

  it('writes a CSV header and quotes fields holding commas', () => {
    const lines = samples.contactsCsv.trimEnd().split('\n');
    assert.equal(lines[0], 'ContactID,Name,Email,Client');
    assert.equal(lines.length, samples.contacts.length + 1);
    assert.ok(lines.some((line) => line.endsWith(',"Smith, Jones & Partners"')));
  });

  it('escapes the ampersand of a template name in the XML', () => {
    assert.match(samples.trackerXml, /<EmailTemplate>Offers &amp; Events<\/EmailTemplate>/);
    assert.doesNotMatch(samples.trackerXml, /Offers & Events/);
  });
});
