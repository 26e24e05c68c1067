/**
 * The upstream functions the proxy must inline or expand: LANGUAGE sql functions (inlined) and
 * plpgsql functions (a call on its own is expanded, src/sql/expand-call.ts) whose bodies call a
 * proxy-evaluated function, directly or through other such functions. One catalog per process,
 * loaded from pg_proc after the migrations and reloaded after DDL (catalog-reload.ts says who asks).
 * It only tells which names are worth a closer look (the sniffer) and which calls are candidates;
 * each call is resolved against the caller's own session when it is inlined (inline.ts).
 */
import type { Queryable } from '../db/queryable.js';
import type { FunctionCatalog } from '../sql/index.js';
import { calledFunctionNames, type CalledName } from '../sql/inline-calls.js';
import { plpgsqlCalledFunctionNames } from '../sql/index.js';
import { GeneratedColumns } from './generated-columns.js';
import { CoalescedReload } from './reload.js';
import { StatementSniffer } from './sniff.js';

/** How many levels of functions calling functions are followed: more looks like recursion. */
export const MAX_INLINE_DEPTH = 8;

export interface SqlFunctionSource {
  schema: string;
  name: string;
  /** The body's text, or for a BEGIN ATOMIC body and a plpgsql function the whole definition. */
  source: string;
  /** 'sql' when absent. */
  language?: string;
}

// Every LANGUAGE sql and plpgsql function outside the system schemas; BEGIN ATOMIC bodies live in
// prosqlbody, and the plpgsql parser reads whole definitions, so those come as definitions. The
// plpgsql functions of the proxy's own schemas are its stubs and triggers: parsing them at every
// reload would cost a parse each for nothing.
const LOAD_SQL = `
SELECT n.nspname AS schema, p.proname AS name, l.lanname AS language,
       CASE WHEN p.prosqlbody IS NULL AND l.lanname = 'sql' THEN p.prosrc ELSE pg_catalog.pg_get_functiondef(p.oid) END AS source
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_catalog.pg_language l ON l.oid = p.prolang
 WHERE p.prokind = 'f'
   AND (l.lanname = 'sql' OR (l.lanname = 'plpgsql' AND n.nspname NOT IN ('pgml', 'cron', 'pgml_proxy')))
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'`;

export class UpstreamFunctions {
  /** Inlined function names (lower-case) -> the schemas that have one. */
  private members = new Map<string, Set<string>>();
  private current = StatementSniffer.for();
  private readonly reloads = new CoalescedReload();
  /** Tables with columns the proxy computes: reloaded with the functions, their names sniffed for too. */
  readonly generated = new GeneratedColumns();

  constructor(private readonly registry: FunctionCatalog) {}

  /** Decides which client messages are parsed: they mention pgml, cron, an inlined function or a table of `generated`. */
  get sniffer(): StatementSniffer {
    return this.current;
  }

  get isEmpty(): boolean {
    return this.members.size === 0;
  }

  /** Whether a call of this name may be one of an inlined function (schema null: not qualified). */
  has(schema: string | null, name: string): boolean {
    const schemas = this.members.get(name.toLowerCase());
    return schemas !== undefined && (schema === null || schemas.has(schema));
  }

  /**
   * Reads pg_proc again. A reload asked for while one runs is done once more afterwards: the
   * running one may have read the catalog before the change that asked for it.
   */
  reload(withDatabase: (work: (db: Queryable) => Promise<void>) => Promise<void>): Promise<void> {
    return this.reloads.run(() =>
      withDatabase(async (db) => {
        const rows = await db.query<SqlFunctionSource>(LOAD_SQL);
        await this.generated.load(db, true);
        this.replace(inlinedFunctions(rows.rows, this.registry));
      }),
    );
  }

  replace(functions: readonly { schema: string; name: string }[]): void {
    const members = new Map<string, Set<string>>();
    for (const fn of functions) {
      const key = fn.name.toLowerCase();
      members.set(key, (members.get(key) ?? new Set()).add(fn.schema));
    }
    this.members = members;
    this.current = StatementSniffer.for(members.keys(), this.generated.names());
  }

  /**
   * Reads the tables with proxy-computed columns on a client's session, which sees what its open
   * transaction defined; the reload after that transaction ends replaces what it read.
   */
  async reloadGenerated(db: Queryable): Promise<void> {
    await this.generated.load(db, false);
    this.current = StatementSniffer.for(this.members.keys(), this.generated.names());
  }
}

/**
 * The functions among `functions` that call a proxy-evaluated function, directly or through
 * others of them (followed MAX_INLINE_DEPTH levels deep). Unqualified calls are matched by name
 * alone: a false match only costs a closer look at the call.
 */
export function inlinedFunctions(functions: readonly SqlFunctionSource[], registry: FunctionCatalog): SqlFunctionSource[] {
  const calls = new Map<SqlFunctionSource, CalledName[]>();
  for (const fn of functions) {
    try {
      calls.set(fn, fn.language === 'plpgsql' ? plpgsqlCalledFunctionNames(fn.source) : calledFunctionNames(fn.source));
    } catch {
      // A body the parser cannot read is not one the proxy could inline either.
    }
  }
  const isProxyFunction = (c: CalledName) => c.schema !== null && (registry.overloads(c.schema, c.name)?.length ?? 0) > 0;
  let members = new Set([...calls].filter(([, called]) => called.some(isProxyFunction)).map(([fn]) => fn));
  for (let depth = 1; depth < MAX_INLINE_DEPTH; depth++) {
    const names = new Set([...members].map((fn) => fn.name.toLowerCase()));
    const qualified = new Set([...members].map((fn) => `${fn.schema}.${fn.name.toLowerCase()}`));
    const callsMember = (c: CalledName) => (c.schema === null ? names.has(c.name.toLowerCase()) : qualified.has(`${c.schema}.${c.name.toLowerCase()}`));
    const next = new Set([...calls].filter(([fn, called]) => members.has(fn) || called.some(callsMember)).map(([fn]) => fn));
    if (next.size === members.size) break;
    members = next;
  }
  return [...members];
}
