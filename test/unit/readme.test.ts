import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..', '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { default: unknown }> } };
};

describe('README', () => {
  it('lists every setting of package.json with its default', () => {
    const settings = Object.entries(manifest.contributes.configuration.properties);
    assert.ok(settings.length > 0);
    for (const [name, { default: value }] of settings) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\``));
      assert.ok(row, `README's settings table has no row for ${name}`);
      const shown = value === '' ? '(empty)' : `\`${String(value)}\``;
      assert.ok(row.includes(shown), `README shows the default of ${name} as in: ${row}`);
    }
  });

  it('gives the two set-up commands', () => {
    assert.match(readme, /npm ci && npm start/);
    assert.match(readme, /npm ci && npm test/);
  });
});
