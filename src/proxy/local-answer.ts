/**
 * Answers a statement the planner marked `local` (src/sql/plan-local.ts) without the upstream:
 * RowDescription, DataRow, CommandComplete and ReadyForQuery, byte for byte as the upstream would
 * have answered the rewritten statement. Only when that is certain; otherwise the caller sends the
 * statement upstream as before:
 * - in the extended protocol, only a Bind, Execute of all rows and Sync sent together outside a
 *   transaction block, after the unnamed statement's Parse and maybe its Describe (intercept.ts's
 *   answerBound) or of a named statement the upstream prepared (answerPrepared); both fall back to
 *   the upstream path on any evaluation error;
 * - every answer before it must have reached the client, so that the transaction status is true;
 *   in a failed transaction block the upstream answers (25P02, in its own words);
 * - a text-format float is written as float4out/float8out write it with extra_float_digits ≥ 1
 *   (shortest exact digits, the default since Postgres 12), so the session's setting is read, once
 *   per session epoch (SET, RESET, DISCARD, the end of a transaction that ran one and any statement
 *   that ran on the upstream move it: a function it called may have changed the setting);
 * - a `real` result must be a float4 value already (the upstream would round another number from
 *   its decimal text, which is not always what rounding the double gives).
 */
import { PgError, SqlState } from '../errors/index.js';
import type { StatementAnalysis } from '../sql/index.js';
import type { LocalAnswerPlan, LocalColumn } from '../sql/plan-local.js';
import { backend, type FieldDescription, type TransactionStatus } from '../wire/index.js';
import { TypeOid, arrayElement, typeOidOf } from '../wire/types.js';
import { canEncode, encodeValue } from '../wire/values.js';
import type { CallEvaluator } from './evaluate.js';

/** The parts of a client session a local answer needs. */
export interface LocalAnswerPort {
  readonly txStatus: TransactionStatus;
  writeClient(buffers: readonly Buffer[]): void;
  /** After the ReadyForQuery the proxy wrote: a cancel that came during the statement is spent. */
  endStatement(): void;
}

/** pg_type.typlen of the scalar types a local answer can hold; every array type is -1. */
const TYPE_SIZES = new Map<number, number>([
  [TypeOid.bool, 1],
  [TypeOid.int4, 4],
  [TypeOid.int8, 8],
  [TypeOid.float4, 4],
  [TypeOid.float8, 8],
]);

const FLOATS = new Set<number>([TypeOid.float4, TypeOid.float8]);

/**
 * Result types a local answer may hold: numbers and booleans, whose text is ASCII in every client
 * encoding (text results would need the server's conversion to the client's encoding).
 */
export function canAnswerType(type: string): boolean {
  const oid = typeOidOf(type);
  const scalar = arrayElement(oid) ?? oid;
  return canEncode(oid) && TYPE_SIZES.has(scalar);
}

/** A plan's RowDescription: its fields and their bytes, the same at every answer of the statement. */
interface RowDescription {
  fields: FieldDescription[];
  bytes: Buffer;
  /** Some column is written as float text, which depends on extra_float_digits. */
  floatText: boolean;
}

/**
 * Per plan (plans are kept per statement text, recent-analyses.ts) and result formats: encoded once,
 * not per answer. Formats are one per column (0 text, 1 binary); a simple Query's are all text.
 */
const descriptions = new WeakMap<LocalAnswerPlan, Map<string, RowDescription>>();

function rowDescriptionOf(plan: LocalAnswerPlan, formats: readonly number[]): RowDescription {
  let byFormats = descriptions.get(plan);
  if (byFormats === undefined) descriptions.set(plan, (byFormats = new Map()));
  const key = formats.join('');
  let description = byFormats.get(key);
  if (description === undefined) {
    const fields = plan.columns.map((column, i): FieldDescription => {
      const typeOid = typeOidOf(column.type);
      return { name: column.name, typeOid, typeSize: TYPE_SIZES.get(typeOid) ?? -1, format: formats[i] === 1 ? 1 : 0 };
    });
    const floatText = fields.some((f) => f.format === 0 && FLOATS.has(arrayElement(f.typeOid) ?? f.typeOid));
    description = { fields, bytes: backend.rowDescription(fields), floatText };
    byFormats.set(key, description);
  }
  return description;
}

/** A simple Query's result formats, all text, per plan: made once, not per answer. */
const textFormats = new WeakMap<LocalAnswerPlan, readonly number[]>();

function textFormatsOf(plan: LocalAnswerPlan): readonly number[] {
  let formats = textFormats.get(plan);
  if (formats === undefined) textFormats.set(plan, (formats = plan.columns.map(() => 0)));
  return formats;
}

/** A local answer is one row. */
const SELECT_ONE_ROW = backend.commandComplete('SELECT 1');
const PARSE_COMPLETE = backend.parseComplete();
const BIND_COMPLETE = backend.bindComplete();
const PARSED_AND_BOUND = [PARSE_COMPLETE, BIND_COMPLETE];
const BOUND = [BIND_COMPLETE];
/** ReadyForQuery by transaction status: the same bytes at every answer. */
const READY: Record<TransactionStatus, Buffer> = { I: backend.readyForQuery('I'), T: backend.readyForQuery('T'), E: backend.readyForQuery('E') };
const NO_PREFIX: Buffer[] = [];

/**
 * Which messages came with the Bind, Execute and Sync answered: the statement's Parse, the
 * portal's Describe, and the statement's Describe between Parse and Bind (postgres.js without
 * prepare), with the parameter types its ParameterDescription lists.
 */
export interface BoundShape {
  parsed: boolean;
  described: boolean;
  statementDescribed?: { paramTypes: readonly number[] };
}

/**
 * The answers before the Bind's rows: ParseComplete, then for a statement's Describe its
 * ParameterDescription and RowDescription (all text: a statement's Describe knows no result
 * formats), then BindComplete.
 */
function prefixOf(plan: LocalAnswerPlan, { parsed, statementDescribed }: BoundShape): Buffer[] {
  if (statementDescribed === undefined) return parsed ? PARSED_AND_BOUND : BOUND;
  const described = rowDescriptionOf(plan, plan.columns.map(() => 0)).bytes;
  return [PARSE_COMPLETE, backend.parameterDescription(statementDescribed.paramTypes), described, BIND_COMPLETE];
}

/** The upstream's own value of extra_float_digits, as last read in a session epoch. */
interface FloatDigits {
  epoch: number;
  shortest: boolean;
}

export class LocalAnswers {
  private floatDigits: FloatDigits | undefined;

  constructor(
    private readonly session: LocalAnswerPort,
    private readonly evaluator: CallEvaluator,
  ) {}

  /**
   * Answers a simple-protocol Query of this one statement, once every earlier answer is out;
   * false when the upstream must answer. An evaluation error is thrown, for the caller to report.
   */
  query(sql: string, stmt: StatementAnalysis, plan: LocalAnswerPlan): Promise<boolean> {
    return this.answer(sql, stmt, plan, { formats: textFormatsOf(plan), params: undefined, prefix: NO_PREFIX });
  }

  /**
   * Answers a Bind (with `params`, the bound values read as their types), Execute of all its rows
   * and Sync, sent together with the messages `shape` names, once every earlier answer is out;
   * false when the upstream must answer. `formats`: one per column.
   */
  bound(sql: string, stmt: StatementAnalysis, plan: LocalAnswerPlan, params: unknown[], formats: readonly number[], shape: BoundShape): Promise<boolean> {
    return this.answer(sql, stmt, plan, { formats, params, prefix: prefixOf(plan, shape), described: shape.described });
  }

  private async answer(
    sql: string,
    stmt: StatementAnalysis,
    plan: LocalAnswerPlan,
    { formats, params, prefix, described = true }: { formats: readonly number[]; params: unknown[] | undefined; prefix: Buffer[]; described?: boolean },
  ): Promise<boolean> {
    // The caller has waited for every earlier answer, so the transaction status is the true one.
    if (this.session.txStatus === 'E') return false;
    const description = rowDescriptionOf(plan, formats);
    if (description.floatText) {
      const shortest = this.shortestFloats();
      if (!(shortest instanceof Promise ? await shortest : shortest)) return false;
    }
    const values = await this.values(sql, stmt, plan, params);
    if (values === undefined) return false;
    const { fields, bytes } = description;
    const cells = values.map((value, i) => encodeValue(fields[i]!.typeOid, fields[i]!.format ?? 0, value));
    // One buffer, one write: under load the socket writes were the largest cost of an answer.
    const before = described ? [...prefix, bytes] : prefix;
    this.session.writeClient([backend.withDataRow(before, cells, [SELECT_ONE_ROW, READY[this.session.txStatus]])]);
    this.session.endStatement();
    return true;
  }

  /** Each column's value; undefined when one is not exactly what the upstream would return. */
  private async values(sql: string, stmt: StatementAnalysis, plan: LocalAnswerPlan, params: unknown[] | undefined): Promise<unknown[] | undefined> {
    const values: unknown[] = [];
    for (const column of plan.columns) {
      const value = await this.evaluator.evaluate(column.site, stmt, sql, params);
      if (!isExact(column, value)) return undefined;
      values.push(value);
    }
    return values;
  }

  /**
   * Whether the session writes floats with shortest exact digits (extra_float_digits ≥ 1): known at
   * once within a session epoch (no await at every answer), else read from the upstream.
   */
  private shortestFloats(): boolean | Promise<boolean> {
    const known = this.floatDigits;
    return known?.epoch === this.evaluator.context.sessionEpoch ? known.shortest : this.readFloatDigits();
  }

  private async readFloatDigits(): Promise<boolean> {
    const epoch = this.evaluator.context.sessionEpoch;
    const result = await this.evaluator.context.db.query<{ digits: string }>(`SELECT current_setting('extra_float_digits') AS digits`);
    const digits = Number(result.rows[0]?.digits);
    if (!Number.isInteger(digits)) throw new PgError(SqlState.InternalError, 'extra_float_digits could not be read');
    this.floatDigits = { epoch, shortest: digits >= 1 };
    return this.floatDigits.shortest;
  }
}

/**
 * A `real` (or `real[]`) result must hold float4 values (numbers, not their text); other types
 * are written as they come.
 */
function isExact(column: LocalColumn, value: unknown): boolean {
  const returns = column.site.signature.returns;
  if (returns.kind !== 'scalar' || (returns.type !== 'real' && returns.type !== 'real[]')) return true;
  if (value === null) return true;
  if (ArrayBuffer.isView(value)) return value instanceof Float32Array;
  return holdsFloat4s(value);
}

/** A float4 value or NULL, or an array (of arrays) of them; walked in place (flattening a copy cost an embedding 0.08 ms). */
function holdsFloat4s(value: unknown): boolean {
  if (!Array.isArray(value)) return value === null || (typeof value === 'number' && (Number.isNaN(value) || Math.fround(value) === value));
  for (const item of value) if (!holdsFloat4s(item)) return false;
  return true;
}
