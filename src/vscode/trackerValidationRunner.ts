// Runs tracker validation so that a large file never blocks the editor: small texts are
// validated at once, large ones in a worker thread, and a request that a newer one for the
// same document replaced before it started is dropped.
// No 'vscode' import: the runner is measured by bench/validateBench.ts in plain Node.
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { DateOrder } from '../tracker/trackerEntry';
import {
  validateTracker,
  type TrackerDiagnostic,
  type ValidationResult,
} from '../tracker/trackerValidator';
import { EntryTable, packEntries, type PackedEntries } from './trackerEntryTable';

export interface ValidationRequest {
  /** Identifies the document (its URI); a newer request with the same key replaces an older one. */
  key: string;
  text: string;
  dateOrder: DateOrder;
}

/** A validation result as the editor keeps it: the entries packed (see EntryTable). */
export interface ValidatedTracker {
  diagnostics: TrackerDiagnostic[];
  entries: EntryTable;
  rootName?: string;
  looksLikeTracker: boolean;
}

/** A validation result as it crosses from the worker thread. */
export interface PackedResult extends Omit<ValidatedTracker, 'entries'> {
  entries: PackedEntries;
}

/** What the worker answers for one request. */
export type WorkerReply = { id: number; result: PackedResult } | { id: number; error: string };

export function packResult(result: ValidationResult): PackedResult {
  return { ...result, entries: packEntries(result.entries) };
}

function unpackResult(packed: PackedResult): ValidatedTracker {
  return { ...packed, entries: new EntryTable(packed.entries) };
}

/** What the worker is asked to do. */
export interface WorkerRequest {
  id: number;
  text: string;
  dateOrder: DateOrder;
}

export interface RunnerOptions {
  /** The bundled worker (dist/trackerValidationWorker.js); without it everything runs inline. */
  workerScript?: string;
  /** Texts shorter than this (UTF-16 code units) are validated inline: a worker round trip
   * costs more than validating them. */
  inlineBelow?: number;
}

interface Pending {
  id: number;
  request: ValidationRequest;
  resolve: (result: ValidatedTracker | undefined) => void;
  reject: (error: unknown) => void;
}

const DEFAULT_INLINE_BELOW = 64 * 1024;

export class TrackerValidationRunner {
  private worker: Worker | undefined;
  private workerBroken = false;
  private nextId = 1;
  private inFlight: Pending | undefined;
  /** At most one waiting request per document: the newest. */
  private readonly queued = new Map<string, Pending>();
  private readonly inlineBelow: number;

  constructor(private readonly options: RunnerOptions = {}) {
    this.inlineBelow = options.inlineBelow ?? DEFAULT_INLINE_BELOW;
  }

  /**
   * Validates `request.text`. Resolves to undefined when a newer request for the same key
   * replaced this one before it started.
   */
  validate(request: ValidationRequest): Promise<ValidatedTracker | undefined> {
    this.supersede(request.key);
    if (request.text.length < this.inlineBelow || !this.canUseWorker()) {
      return new Promise((resolve) => resolve(validateInline(request)));
    }
    return new Promise((resolve, reject) => {
      this.queued.set(request.key, { id: this.nextId++, request, resolve, reject });
      this.pump();
    });
  }

  dispose(): void {
    for (const pending of this.queued.values()) {
      pending.resolve(undefined);
    }
    this.queued.clear();
    this.inFlight?.resolve(undefined);
    this.inFlight = undefined;
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private supersede(key: string): void {
    const older = this.queued.get(key);
    if (older) {
      this.queued.delete(key);
      older.resolve(undefined);
    }
  }

  private canUseWorker(): boolean {
    const script = this.options.workerScript;
    return !this.workerBroken && script !== undefined && existsSync(script);
  }

  private pump(): void {
    if (this.inFlight || this.queued.size === 0) {
      return;
    }
    const [key, next] = this.queued.entries().next().value as [string, Pending];
    this.queued.delete(key);
    this.inFlight = next;

    const worker = this.ensureWorker();
    if (!worker) {
      this.finishInline(next);
      return;
    }
    worker.ref();
    const message: WorkerRequest = {
      id: next.id,
      text: next.request.text,
      dateOrder: next.request.dateOrder,
    };
    worker.postMessage(message);
  }

  private ensureWorker(): Worker | undefined {
    if (!this.worker && this.canUseWorker()) {
      const worker = new Worker(this.options.workerScript as string);
      worker.on('message', (reply: WorkerReply) => this.onReply(reply));
      worker.on('error', () => this.onWorkerFailure(worker));
      worker.on('exit', () => this.onWorkerFailure(worker));
      this.worker = worker;
    }
    return this.worker;
  }

  private onReply(reply: WorkerReply): void {
    const pending = this.inFlight;
    if (!pending || pending.id !== reply.id) {
      return;
    }
    if ('result' in reply) {
      this.finish(pending, () => pending.resolve(unpackResult(reply.result)));
    } else {
      // A validator bug in the worker is retried inline, where its stack reaches the caller.
      this.finishInline(pending);
    }
  }

  private onWorkerFailure(worker: Worker): void {
    if (this.worker !== worker) {
      return;
    }
    this.worker = undefined;
    this.workerBroken = true;
    if (this.inFlight) {
      this.finishInline(this.inFlight);
    }
  }

  private finishInline(pending: Pending): void {
    this.finish(pending, () => {
      try {
        pending.resolve(validateInline(pending.request));
      } catch (error) {
        pending.reject(error);
      }
    });
  }

  private finish(pending: Pending, settle: () => void): void {
    if (this.inFlight === pending) {
      this.inFlight = undefined;
    }
    settle();
    if (this.queued.size === 0) {
      this.worker?.unref();
    }
    this.pump();
  }
}

function validateInline(request: ValidationRequest): ValidatedTracker {
  const result = validateTracker(request.text, { dateOrder: request.dateOrder });
  return { ...result, entries: EntryTable.of(result.entries) };
}
