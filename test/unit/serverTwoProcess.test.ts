import * as assert from 'node:assert';
import { existsSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { makeTrackedLink } from '../../src/server/trackedLink';
import { getStatus, parseTrackerFile, serveFolder, startServeProcess } from './serverTestSupport';

describe('two server processes on one tracker file', function () {
  this.timeout(90_000);

  it('lose and double nothing under load', async () => {
    const { folder, key, args } = await serveFolder('two-servers-');
    const servers = await Promise.all([startServeProcess(args), startServeProcess(args)]);

    const perServer = 600;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    const statuses = new Map<string, number>();
    const lane = async (server: number, from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const contactId = `${server}-${i}`;
        const link = makeTrackedLink(
          servers[server].url,
          { template: 'Two', contactId, linkName: 'L', target: 'https://example.org/' },
          key,
        );
        statuses.set(contactId, await getStatus(link, agent));
      }
    };
    const lanes: Promise<void>[] = [];
    for (const server of [0, 1]) {
      for (let from = 0; from < perServer; from += 50) {
        lanes.push(lane(server, from, from + 50));
      }
    }
    await Promise.all(lanes);
    agent.destroy();
    for (const server of servers) {
      server.child.kill('SIGTERM');
      assert.strictEqual(await server.exited, 0, server.log());
    }

    assert.deepStrictEqual(
      [...statuses.values()].filter((status) => status !== 302),
      [],
      'every click is answered with a redirect',
    );
    const ids = parseTrackerFile(path.join(folder, 'Tracker_ABC Ltd.xml')).map((c) => c.ContactID);
    assert.strictEqual(ids.length, 2 * perServer);
    assert.deepStrictEqual(new Set(ids), new Set(statuses.keys()));
    assert.ok(!existsSync(path.join(folder, 'Tracker_ABC Ltd.xml.lock')), 'lock left behind');
  });
});
