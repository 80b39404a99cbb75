// Worker thread entry (bundled as dist/trackerValidationWorker.js): validates tracker text off
// the extension host's main thread, one request at a time.
import { parentPort } from 'node:worker_threads';
import { validateTracker } from '../tracker/trackerValidator';
import { packResult, type WorkerReply, type WorkerRequest } from './trackerValidationRunner';

parentPort?.on('message', (request: WorkerRequest) => {
  let reply: WorkerReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const result = packResult(validateTracker(request.text, { dateOrder: request.dateOrder }));
    reply = { id: request.id, result };
    // The packed entries move to the main thread without being copied.
    transfer = [result.entries.positions.buffer, result.entries.lengths.buffer] as ArrayBuffer[];
  } catch (error) {
    reply = { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(reply, transfer);
});
