// Worker thread entry (bundled as dist/trackerReadWorker.js): reads one tracker file and sends
// its entries, packed, to the thread that started it. See trackerReadThread.ts.
import { parentPort, workerData } from 'node:worker_threads';
import {
  BATCH_HANDLED,
  BATCHES_AHEAD,
  packTrackerEntries,
  type ReadMessage,
  type ReadRequest,
} from './trackerReadThread';
import { readTrackerFile } from './trackerReader';

const port = parentPort;
if (!port) {
  throw new Error('trackerReadWorker runs only as a worker thread');
}
const request = workerData as ReadRequest;
const send = (message: ReadMessage, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer);

let ahead = 0;
let room: (() => void) | undefined;
port.on('message', (message: unknown) => {
  if (message === BATCH_HANDLED) {
    ahead--;
    room?.();
    room = undefined;
  }
});

/** Resolves once the other thread has caught up enough; the reader waits for it per chunk. */
async function waitForRoom(): Promise<void> {
  while (ahead >= BATCHES_AHEAD) {
    await new Promise<void>((resolve) => (room = resolve));
  }
}

readTrackerFile(request.path, {
  ...request.options,
  onEntries(entries) {
    const packed = packTrackerEntries(entries);
    ahead++;
    send({ type: 'entries', packed }, [
      packed.positions.buffer as ArrayBuffer,
      packed.lengths.buffer as ArrayBuffer,
    ]);
    return waitForRoom();
  },
  onProgress(bytesRead, totalBytes) {
    send({ type: 'progress', bytesRead, totalBytes });
  },
}).then(
  (result) => send({ type: 'done', result }),
  (error: unknown) =>
    send({ type: 'failed', message: error instanceof Error ? error.message : String(error) }),
);
