import * as assert from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { makeTrackedLink } from '../../src/server/trackedLink';
import { getStatus, parseTrackerFile, serveFolder, startServeProcess } from './serverTestSupport';

describe('server process killed or stopped under load', function () {
  this.timeout(60_000);

  it('keeps every acknowledged click, stays importable, and keeps cut-off bytes aside', async () => {
    const { folder, key, args } = await serveFolder('crash-');
    const file = path.join(folder, 'Tracker_ABC Ltd.xml');

    const first = await startServeProcess(args);
    const acknowledged = new Set<string>();
    let sent = 0;
    let killed = false;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 24 });
    const client = async (lane: number) => {
      for (let i = 0; !killed; i++) {
        const contactId = `${lane}-${i}`;
        const link = makeTrackedLink(
          first.url,
          { template: 'Crash <test>', contactId, linkName: 'L&1', target: 'https://example.org/' },
          key,
        );
        sent++;
        const status = await getStatus(link, agent).catch(() => 0);
        if (status === 302) {
          acknowledged.add(contactId);
        }
      }
    };
    const lanes = Array.from({ length: 24 }, (_, lane) => client(lane));
    while (acknowledged.size < 400) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    first.child.kill('SIGKILL');
    assert.strictEqual(await first.exited, 'SIGKILL');
    killed = true;
    await Promise.all(lanes);
    agent.destroy();

    const second = await startServeProcess(args);
    second.child.kill('SIGTERM');
    assert.strictEqual(await second.exited, 0, second.log());

    const ids = parseTrackerFile(file).map((click) => click.ContactID);
    assert.strictEqual(new Set(ids).size, ids.length, 'a click was written twice');
    const missing = [...acknowledged].filter((id) => !ids.includes(id));
    assert.deepStrictEqual(missing, [], 'acknowledged clicks missing from the file');
    assert.ok(ids.length <= sent);

    const sideFiles = readdirSync(folder).filter((name) => name.includes('.damaged-'));
    for (const side of sideFiles) {
      // What was moved aside is the start of an entry that was being written.
      const text = readFileSync(path.join(folder, side), 'utf8');
      const entryStart = '  <Click>\n';
      assert.ok(
        text.startsWith(entryStart) || entryStart.startsWith(text) || '</Tracker>'.startsWith(text),
        text,
      );
      assert.match(second.log(), /moved \d+ bytes to /);
    }
  });

  it('on SIGINT under load answers or refuses what is in flight and keeps every 302', async () => {
    const { folder, key, args } = await serveFolder('sigint-');
    const server = await startServeProcess(args);
    const acknowledged: string[] = [];
    const statuses = new Set<number>();
    let stopped = false;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const lanes = Array.from({ length: 16 }, async (_, lane) => {
      for (let i = 0; !stopped; i++) {
        const contactId = `${lane}-${i}`;
        const link = makeTrackedLink(
          server.url,
          { template: 'Stop', contactId, linkName: 'L', target: 'https://example.org/' },
          key,
        );
        const status = await getStatus(link, agent).catch(() => 0);
        statuses.add(status);
        if (status === 302) {
          acknowledged.push(contactId);
        } else {
          stopped = true; // refused or connection closed: the server is going away
        }
      }
    });
    while (acknowledged.length < 200) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    server.child.kill('SIGINT');
    assert.strictEqual(await server.exited, 0, server.log());
    stopped = true;
    await Promise.all(lanes);
    agent.destroy();

    assert.deepStrictEqual(
      [...statuses].filter((s) => ![0, 302, 503].includes(s)),
      [],
    );
    const ids = parseTrackerFile(path.join(folder, 'Tracker_ABC Ltd.xml')).map((c) => c.ContactID);
    assert.strictEqual(new Set(ids).size, ids.length, 'a click was written twice');
    assert.deepStrictEqual(
      acknowledged.filter((id) => !ids.includes(id)),
      [],
      'acknowledged clicks missing',
    );
    assert.match(server.log(), /SIGINT: stopping/);
    assert.match(server.log(), /stopped; \d+ clicks recorded/);
  });
});
