/**
 * The cursors a session declared over a one-pass plan (DECLARE c CURSOR FOR SELECT pgml.predict(...)
 * FROM t, in a simple Query): the upstream holds the cursor over the rewritten SELECT (typed NULLs
 * in place of the calls, their arguments as extra columns), and each FETCH's rows are evaluated as
 * they stream back, as a SELECT's are. Names are sniffed for, so a FETCH, CLOSE or DISCARD naming
 * one reaches the interceptor.
 *
 * A mapping goes when its cursor does: CLOSE, CLOSE ALL, DISCARD ALL, the end of the transaction
 * for a cursor without HOLD, a new DECLARE of the name. Where the proxy cannot see the cursor go
 * (ROLLBACK TO a savepoint, a rolled-back block that declared a WITH HOLD cursor, a function that
 * declares one of the name), the FETCH's RowDescription tells: a one-pass cursor's rows end in the
 * extra columns named pgml_proxy_arg_1..n, and rows without them pass on untouched.
 */
import type { OnePassWork } from './batch/one-pass.js';
import { StatementSniffer } from './sniff.js';

interface OnePassCursor {
  work: OnePassWork;
  hold: boolean;
}

export class OnePassCursors {
  private readonly cursors = new Map<string, OnePassCursor>();
  private sniffer: StatementSniffer | undefined;

  /** Mentions bits (Mentions.cursor) for a client message naming one of the cursors. */
  sniff(message: Buffer): number {
    return this.sniffer?.sniff(message) ?? 0;
  }

  get isEmpty(): boolean {
    return this.cursors.size === 0;
  }

  work(name: string): OnePassWork | undefined {
    return this.cursors.get(name)?.work;
  }

  declare(name: string, work: OnePassWork, hold: boolean): void {
    this.cursors.set(name, { work, hold });
    this.changed();
  }

  forget(name: string): void {
    if (this.cursors.delete(name)) this.changed();
  }

  forgetAll(): void {
    if (this.cursors.size === 0) return;
    this.cursors.clear();
    this.changed();
  }

  /** The transaction ended: cursors without HOLD went with it. */
  transactionEnded(): void {
    let removed = false;
    for (const [name, cursor] of this.cursors) {
      if (!cursor.hold) removed = this.cursors.delete(name) || removed;
    }
    if (removed) this.changed();
  }

  private changed(): void {
    this.sniffer = this.cursors.size === 0 ? undefined : StatementSniffer.for([], [], this.cursors.keys());
  }
}
