// Worker thread entry (bundled as dist/trackerValidationWorker.js): validates tracker text off
// the extension host's main thread, one request at a time.
import { parentPort } from 'node:worker_threads';
import { validateTracker } from '../tracker/trackerValidator';
import type { WorkerReply, WorkerRequest } from './trackerValidationRunner';

parentPort?.on('message', (request: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    reply = {
      id: request.id,
      result: validateTracker(request.text, { dateOrder: request.dateOrder }),
    };
  } catch (error) {
    reply = { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(reply);
});
