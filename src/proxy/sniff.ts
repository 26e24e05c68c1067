/**
 * The fast path's only look at a statement: does its text mention "pgml" or "cron", the name of an
 * upstream function the proxy inlines, or the name of a table whose columns the proxy computes
 * (ASCII case-insensitive)? Only then is the SQL decoded and parsed, and the answer says which of
 * them matched, so a statement that names no such table is not searched for one again. Works on the
 * raw message bytes. With pgml and cron alone a hand-written scan for the two words does it;
 * otherwise a precomputed automaton (Aho-Corasick, turned into a full transition table) costs one
 * table load and one comparison a byte however many names there are, about 1.6 times the scan
 * (measured on pgbench statements). Rebuilt when the names change.
 */
const ALWAYS = ['pgml', 'cron'];
/** Marks a transition to a state where a name ends, so the scan tests one bit a byte, as it did for any match. */
const ENDS_HERE = 0x8000;

/**
 * What a statement mentions, as bits: a function the proxy evaluates or inlines, a table whose
 * columns it computes, a cursor the session declared over a one-pass plan (one-pass-cursors.ts).
 */
export const Mentions = { none: 0, function: 1, generatedTable: 2, cursor: 4 } as const;

export class StatementSniffer {
  private constructor(
    /** next state = table[state * 256 + byte], with ENDS_HERE set where a name ends. Absent: pgml and cron only. */
    private readonly table: Uint16Array | undefined,
    /** Mentions bits of the names that end in each state. */
    private readonly ends: Uint8Array,
    /** Every kind of name there is to find: the scan stops once it has found them all. */
    private readonly all: number,
  ) {}

  /**
   * A sniffer for pgml/cron and these function names, table names and cursor names (the case is ignored for
   * ASCII letters, as Postgres folds unquoted identifiers).
   */
  static for(functions: Iterable<string> = [], tables: Iterable<string> = [], cursors: Iterable<string> = []): StatementSniffer {
    const kinds = new Map<string, number>();
    const add = (name: string, kind: number) => {
      const key = foldName(name);
      if (key.length > 0) kinds.set(key, (kinds.get(key) ?? 0) | kind);
    };
    for (const name of functions) add(name, Mentions.function);
    for (const name of tables) add(name, Mentions.generatedTable);
    for (const name of cursors) add(name, Mentions.cursor);
    if (kinds.size === 0) return new StatementSniffer(undefined, new Uint8Array(0), Mentions.function);
    for (const name of ALWAYS) add(name, Mentions.function);
    // The trie: goto[state] maps a byte to a state; `ends` marks the kinds of name that end there.
    const goto: Map<number, number>[] = [new Map()];
    const ends: number[] = [0];
    for (const [key, kind] of kinds) {
      let state = 0;
      for (const byte of Buffer.from(key, 'latin1')) {
        let next = goto[state]!.get(byte);
        if (next === undefined) {
          next = goto.length;
          goto.push(new Map());
          ends.push(0);
          goto[state]!.set(byte, next);
        }
        state = next;
      }
      ends[state]! |= kind;
    }
    if (goto.length >= ENDS_HERE) throw new RangeError(`too many names to sniff (${goto.length} states)`);
    // Breadth first, so a state's failure state (always shallower) has all its transitions already.
    const table = new Uint16Array(goto.length * 256);
    const fail = new Int32Array(goto.length);
    const queue: number[] = [];
    for (let byte = 0; byte < 256; byte++) {
      const next = goto[0]!.get(foldCase(byte));
      table[byte] = next ?? 0;
      if (next !== undefined && !queue.includes(next)) queue.push(next);
    }
    while (queue.length > 0) {
      const state = queue.shift()!;
      for (const [byte, next] of goto[state]!) {
        fail[next] = table[fail[state]! * 256 + byte]!;
        // A name that ends inside a longer one ("cron" in "xcron") is found there too.
        ends[next]! |= ends[fail[next]!]!;
        queue.push(next);
      }
      for (let byte = 0; byte < 256; byte++) {
        table[state * 256 + byte] = goto[state]!.get(foldCase(byte)) ?? table[fail[state]! * 256 + byte]!;
      }
    }
    for (let i = 0; i < table.length; i++) if (ends[table[i]!] !== 0) table[i]! |= ENDS_HERE;
    const all = [...kinds.values()].reduce((a, b) => a | b, 0);
    return new StatementSniffer(table, Uint8Array.from(ends), all);
  }

  /** What the message (from byte `start`, past the type and length) mentions: Mentions bits. */
  sniff(message: Buffer, start = 5): number {
    const { table, ends, all } = this;
    if (table === undefined) return mentionsPgmlOrCron(message, start) ? Mentions.function : Mentions.none;
    let state = 0;
    let found = 0;
    for (let i = start; i < message.length; i++) {
      state = table[(state << 8) | message[i]!]!;
      if ((state & ENDS_HERE) !== 0) {
        state ^= ENDS_HERE;
        if ((found |= ends[state]!) === all) return found;
      }
    }
    return found;
  }

  /** Whether the message mentions any of the names. */
  mentions(message: Buffer, start = 5): boolean {
    return this.sniff(message, start) !== Mentions.none;
  }
}

/** A name as the bytes to look for (latin1 of its UTF-8), ASCII letters in lower case. */
function foldName(name: string): string {
  return Buffer.from(name, 'utf8').toString('latin1').replace(/[A-Z]/g, (c) => c.toLowerCase());
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

/** Statements that deallocate prepared statements (which ones, the tag does not say). */
export const deallocates = commandTagIn(['DEALLOCATE', 'DEALLOCATE ALL', 'DISCARD ALL']);

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
