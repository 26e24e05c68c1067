import { BackendCode, FrontendCode } from '../wire/index.js';

export type Outcome = 'ok' | 'error' | 'skipped';

export interface ResponseHandler {
  /**
   * Sees each response message of its request. Returns false to pass it to the client, true to
   * keep it from the client, or a replacement message to pass instead.
   */
  message(code: number, message: Buffer): boolean | Buffer;
  /**
   * Takes a run of whole DataRow messages, back to back at chunk[start, end), in one call instead
   * of `message` per row, and keeps them from the client. Only a handler that keeps every DataRow
   * of its answer from the client may have it (the proxy's own reads of many rows). `chunk` is the
   * upstream's socket read: nothing may hold it once the call returns.
   */
  rowRun?(chunk: Buffer, start: number, end: number): void;
  /** The request is answered, failed, or was skipped by the server after an earlier error. */
  done?(outcome: Outcome): void;
}

interface Pending {
  code: number;
  handler: ResponseHandler | undefined;
  failed?: boolean;
}

/** Messages that may arrive at any time and belong to no request. */
function isAsynchronous(code: number): boolean {
  return (
    code === BackendCode.NoticeResponse ||
    code === BackendCode.NotificationResponse ||
    code === BackendCode.ParameterStatus
  );
}

/**
 * Pairs upstream responses with the frontend messages that caused them, in order. This is what
 * lets the proxy interleave its own requests with a client's pipeline, transform the answer to one
 * message, and know when the upstream has answered everything (to put a local response in order).
 */
export class ResponseTracker {
  private readonly queue: Pending[] = [];
  private idleWaiters: (() => void)[] = [];
  /** An error happened since the last Sync: the server skips extended messages until the next Sync. */
  pipelineFailed = false;

  get pending(): number {
    return this.queue.length;
  }

  /** Whether a statement sent upstream (Query, Execute, FunctionCall) has not been answered yet. */
  get statementPending(): boolean {
    return this.queue.some((p) => p.code === FrontendCode.Query || p.code === FrontendCode.Execute || p.code === FrontendCode.FunctionCall);
  }

  /** Records a frontend message just sent upstream that will be answered. */
  expect(code: number, handler?: ResponseHandler): void {
    // After an error in the extended protocol the server answers nothing but the next Sync: a
    // message sent once that error has come back (a pipeline's tail) gets no answer to wait for.
    if (this.pipelineFailed && code !== FrontendCode.Sync) {
      handler?.done?.('skipped');
      return;
    }
    this.queue.push({ code, handler });
  }

  /** Routes one upstream message: returns what to pass to the client, or null. */
  route(code: number, message: Buffer): Buffer | null {
    const head = this.queue[0];
    if (head === undefined || isAsynchronous(code)) return message;
    const verdict = head.handler?.message(code, message) ?? false;
    this.advance(head, code);
    if (verdict === false) return message;
    return verdict === true ? null : verdict;
  }

  /** Whether DataRows that come now go to a handler that takes them in runs (see ResponseHandler.rowRun). */
  get takesRowRuns(): boolean {
    return this.queue[0]?.handler?.rowRun !== undefined;
  }

  /**
   * Routes a run of whole DataRow messages to the handler of the request they answer, which keeps
   * them (only when takesRowRuns). A DataRow completes no request, so nothing else changes.
   */
  routeRowRun(chunk: Buffer, start: number, end: number): void {
    this.queue[0]!.handler!.rowRun!(chunk, start, end);
  }

  whenIdle(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The upstream is gone: every waiting request fails. */
  abandon(): void {
    for (const p of this.queue.splice(0)) p.handler?.done?.('error');
    this.wakeIdle();
  }

  private advance(head: Pending, code: number): void {
    switch (head.code) {
      case FrontendCode.Query:
      case FrontendCode.FunctionCall:
      case FrontendCode.Sync:
        if (code === BackendCode.ErrorResponse) head.failed = true;
        if (code === BackendCode.ReadyForQuery) {
          this.pipelineFailed = false;
          this.complete(head.failed ? 'error' : 'ok');
        }
        return;
    }
    if (code === BackendCode.ErrorResponse) {
      this.pipelineFailed = true;
      this.complete('error');
      // The server now ignores every extended-protocol message until Sync.
      while (this.queue.length > 0 && this.queue[0]!.code !== FrontendCode.Sync) {
        this.queue.shift()!.handler?.done?.('skipped');
      }
      this.wakeIdle();
      return;
    }
    if (completes(head.code, code)) this.complete('ok');
  }

  private complete(outcome: Outcome): void {
    const done = this.queue.shift();
    done?.handler?.done?.(outcome);
    this.wakeIdle();
  }

  private wakeIdle(): void {
    if (this.queue.length > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

function completes(request: number, response: number): boolean {
  switch (request) {
    case FrontendCode.Parse:
      return response === BackendCode.ParseComplete;
    case FrontendCode.Bind:
      return response === BackendCode.BindComplete;
    case FrontendCode.Close:
      return response === BackendCode.CloseComplete;
    case FrontendCode.Describe:
      return response === BackendCode.RowDescription || response === BackendCode.NoData;
    case FrontendCode.Execute:
      return (
        response === BackendCode.CommandComplete ||
        response === BackendCode.EmptyQueryResponse ||
        response === BackendCode.PortalSuspended
      );
    default:
      return false;
  }
}

/** Frontend messages that the server answers (Flush, Copy* and Terminate are not). */
export function isAnswered(code: number): boolean {
  return (
    code === FrontendCode.Query ||
    code === FrontendCode.Parse ||
    code === FrontendCode.Bind ||
    code === FrontendCode.Describe ||
    code === FrontendCode.Execute ||
    code === FrontendCode.Close ||
    code === FrontendCode.Sync ||
    code === FrontendCode.FunctionCall
  );
}
