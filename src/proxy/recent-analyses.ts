import type { Queryable } from '../db/queryable.js';
import type { FunctionRegistry } from '../functions/index.js';
import { analyzeQuery, type QueryAnalysis } from '../sql/index.js';

/**
 * Analyses of recently seen query texts, shared by all sessions. Clients send the same SQL again
 * and again (prepared or not), and parsing and analysis are most of what a constant call costs the
 * proxy. An analysis depends only on the text it was made of (after inlining, which runs every
 * time since it depends on the session and the upstream's functions) and on the registry of proxy
 * functions, which does not change while the process runs; it is never modified once made.
 */
export class RecentAnalyses {
  private readonly entries = new Map<string, QueryAnalysis | 'passthrough'>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxTextLength: number,
  ) {}

  get(sql: string): QueryAnalysis | 'passthrough' | undefined {
    const hit = this.entries.get(sql);
    if (hit !== undefined) {
      // Map order is insertion order: re-inserting keeps the least recently used first.
      this.entries.delete(sql);
      this.entries.set(sql, hit);
    }
    return hit;
  }

  set(sql: string, outcome: QueryAnalysis | 'passthrough'): void {
    if (sql.length > this.maxTextLength) return;
    this.entries.set(sql, outcome);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }
}

const recentAnalyses = new RecentAnalyses(1024, 16_384);

export function analyzeRecent(sql: string, registry: FunctionRegistry): QueryAnalysis | 'passthrough' {
  let outcome = recentAnalyses.get(sql);
  if (outcome === undefined) {
    const analysis = analyzeQuery(sql, registry);
    outcome = analysis.intercepted ? analysis : 'passthrough';
    recentAnalyses.set(sql, outcome);
  }
  return outcome;
}

/**
 * analyzeRecent, with the columns whose type decides an overload read from the upstream (a
 * composite-typed column is a row: sql/column-probe.ts). The typed analysis replaces the untyped
 * one in the cache, so a statement seen again pays nothing. Like a prepared statement's plan, it
 * holds the types the columns had when first seen.
 */
export async function analyzeTyped(sql: string, registry: FunctionRegistry, db: Queryable): Promise<QueryAnalysis | 'passthrough'> {
  const outcome = analyzeRecent(sql, registry);
  if (outcome === 'passthrough' || outcome.columnProbes.length === 0) return outcome;
  const types = new Map<number, string | undefined>();
  for (const probe of outcome.columnProbes) types.set(probe.argStart, await probedType(db, probe.sql));
  const typed = analyzeQuery(sql, registry, types);
  recentAnalyses.set(sql, typed);
  return typed;
}

/** 'record' when the probe's one column is of a composite type. */
async function probedType(db: Queryable, probe: string): Promise<string | undefined> {
  const { fields } = await db.query(probe);
  const oid = fields[0]?.typeOid ?? 0;
  const { rows } = await db.query<{ composite: boolean }>("SELECT typtype = 'c' AS composite FROM pg_catalog.pg_type WHERE oid = $1", [oid]);
  return rows[0]?.composite === true ? 'record' : undefined;
}
