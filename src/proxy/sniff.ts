/**
 * The fast path's only look at a statement: does its text mention "pgml" or "cron", or the name of
 * an upstream function the proxy inlines (ASCII case-insensitive)? Only then is the SQL decoded
 * and parsed. Works on the raw message bytes. Without inlined functions a hand-written scan for
 * the two words does it; with them, a precomputed automaton (Aho-Corasick, turned into a full
 * transition table) costs one table load and one comparison a byte however many names there are,
 * about 1.6 times the scan (measured on pgbench statements). Rebuilt when the names change.
 */
const ALWAYS = ['pgml', 'cron'];
/** Transition target meaning "a name ends here". */
const MATCH = 0xffff;

export class StatementSniffer {
  private constructor(
    /** next state = table[state * 256 + byte]; MATCH once any name has been read. Absent: pgml and cron only. */
    private readonly table: Uint16Array | undefined,
  ) {}

  /** A sniffer for pgml/cron and these function names (the case is ignored for ASCII letters). */
  static for(names: Iterable<string> = []): StatementSniffer {
    const extra = [...names];
    if (extra.length === 0) return new StatementSniffer(undefined);
    const patterns = [...new Set([...ALWAYS, ...extra].map((n) => Buffer.from(n.toLowerCase(), 'utf8')).filter((b) => b.length > 0))];
    // The trie: goto[state] maps a byte to a state; `final` marks where a name ends.
    const goto: Map<number, number>[] = [new Map()];
    const final: boolean[] = [false];
    for (const pattern of patterns) {
      let state = 0;
      for (const byte of pattern) {
        let next = goto[state]!.get(byte);
        if (next === undefined) {
          next = goto.length;
          goto.push(new Map());
          final.push(false);
          goto[state]!.set(byte, next);
        }
        state = next;
      }
      final[state] = true;
    }
    if (goto.length >= MATCH) throw new RangeError(`too many function names to sniff (${goto.length} states)`);
    // Breadth first, so a state's failure state (always shallower) has all its transitions already.
    const delta = new Int32Array(goto.length * 256);
    const fail = new Int32Array(goto.length);
    const queue: number[] = [];
    for (let byte = 0; byte < 256; byte++) {
      const next = goto[0]!.get(foldCase(byte));
      delta[byte] = next ?? 0;
      if (next !== undefined && !queue.includes(next)) queue.push(next);
    }
    while (queue.length > 0) {
      const state = queue.shift()!;
      for (const [byte, next] of goto[state]!) {
        fail[next] = delta[fail[state]! * 256 + byte]!;
        // A name that ends inside a longer one ("cron" in "xcron") is found there too.
        if (final[fail[next]!]) final[next] = true;
        queue.push(next);
      }
      for (let byte = 0; byte < 256; byte++) {
        delta[state * 256 + byte] = goto[state]!.get(foldCase(byte)) ?? delta[fail[state]! * 256 + byte]!;
      }
    }
    const table = new Uint16Array(delta.length);
    for (let i = 0; i < delta.length; i++) table[i] = final[delta[i]!] ? MATCH : delta[i]!;
    return new StatementSniffer(table);
  }

  /** Whether the message (from byte `start`, past the type and length) mentions any of the names. */
  mentions(message: Buffer, start = 5): boolean {
    const table = this.table;
    if (table === undefined) return mentionsPgmlOrCron(message, start);
    let state = 0;
    for (let i = start; i < message.length; i++) {
      state = table[(state << 8) | message[i]!]!;
      if (state === MATCH) return true;
    }
    return false;
  }
}

const P = 0x70;
const C = 0x63;

function mentionsPgmlOrCron(message: Buffer, start: number): boolean {
  const end = message.length - 3;
  for (let i = start; i < end; i++) {
    // OR 0x20 lower-cases ASCII letters; non-letters never match the lower-case targets below.
    const b = message[i]! | 0x20;
    if (b === P) {
      if ((message[i + 1]! | 0x20) === 0x67 && (message[i + 2]! | 0x20) === 0x6d && (message[i + 3]! | 0x20) === 0x6c) return true;
    } else if (b === C) {
      if ((message[i + 1]! | 0x20) === 0x72 && (message[i + 2]! | 0x20) === 0x6f && (message[i + 3]! | 0x20) === 0x6e) return true;
    }
  }
  return false;
}

/** ASCII upper case to lower case; other bytes unchanged. */
function foldCase(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
}

/** A test for CommandComplete messages whose tag is one of `tags`; most are ruled out by their first byte. */
function commandTagIn(tags: readonly string[]): (commandComplete: Buffer) => boolean {
  const encoded = tags.map((tag) => Buffer.from(`${tag}\0`, 'latin1'));
  const firstBytes = new Set(encoded.map((tag) => tag[0]!));
  return (commandComplete) =>
    firstBytes.has(commandComplete[5]!) &&
    encoded.some((tag) => commandComplete.length === 5 + tag.length && commandComplete.compare(tag, 0, tag.length, 5) === 0);
}

/**
 * Whether a CommandComplete message reports DDL that may add, change or remove functions (the
 * ones the HTTP schema cache lists and the ones the proxy inlines).
 */
export const isRoutineDdl = commandTagIn([
  'CREATE FUNCTION',
  'ALTER FUNCTION',
  'DROP FUNCTION',
  'CREATE PROCEDURE',
  'ALTER PROCEDURE',
  'DROP PROCEDURE',
  'ALTER ROUTINE',
  'DROP ROUTINE',
  'ALTER SCHEMA',
  'DROP SCHEMA',
  'CREATE EXTENSION',
  'ALTER EXTENSION',
  'DROP EXTENSION',
  'DROP OWNED',
]);

/** DDL that may rename, drop or change the columns of a table. */
export const changesTables = commandTagIn(['ALTER TABLE', 'DROP TABLE']);

/**
 * Statements after which the session may act as another role or with other settings: SET ROLE,
 * SET SESSION AUTHORIZATION, RESET ROLE and every other SET or RESET, DISCARD ALL, a ROLLBACK
 * (also to a savepoint) that may undo one, and DO blocks and procedures, which may run SET.
 */
export const changesSessionSettings = commandTagIn(['SET', 'RESET', 'DISCARD ALL', 'ROLLBACK', 'DO', 'CALL']);

const SET_CONFIG = Buffer.from('set_config', 'latin1');

/**
 * Whether a Query or Parse message (from byte `start`) mentions set_config (ASCII
 * case-insensitive), which changes settings in a statement whose tag does not say so.
 */
export function mentionsSetConfig(message: Buffer, start = 5): boolean {
  const end = message.length - SET_CONFIG.length;
  outer: for (let i = start; i <= end; i++) {
    for (let k = 0; k < SET_CONFIG.length; k++) if ((message[i + k]! | 0x20) !== SET_CONFIG[k]! && message[i + k] !== SET_CONFIG[k]) continue outer;
    return true;
  }
  return false;
}

/** Statements that may change who can read what (object privileges, role membership, policies, owners). */
export const changesPrivileges = commandTagIn([
  'GRANT',
  'REVOKE',
  'GRANT ROLE',
  'REVOKE ROLE',
  'CREATE ROLE',
  'ALTER ROLE',
  'DROP ROLE',
  'ALTER TABLE',
  'DROP TABLE',
  'CREATE POLICY',
  'ALTER POLICY',
  'DROP POLICY',
  'ALTER DEFAULT PRIVILEGES',
  'ALTER SCHEMA',
  'DROP SCHEMA',
  'REASSIGN OWNED',
  'DROP OWNED',
]);
