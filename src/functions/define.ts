/**
 * One declaration per SQL function: its SQL parameters (type and the check of the value bound to
 * each), what it returns, and what it does. The upstream stub's signature (stub.ts), the argument
 * validation and the TypeScript type of `execute`'s arguments all derive from it.
 */
import { z } from 'zod';
import type { CallArgs, CallContext, ProxyFunction } from './contract.js';
import type { ReturnSpec } from './signature.js';

/** One SQL parameter: its type as Postgres spells it, and the check of the value bound to it. */
export interface Param<Value extends z.ZodType = z.ZodType, HasDefault extends boolean = boolean> {
  type: string;
  value: Value;
  hasDefault: HasDefault;
}

export function param<Value extends z.ZodType>(type: string, value: Value): Param<Value, false> {
  return { type, value, hasDefault: false };
}

/** A parameter declared `DEFAULT NULL`: a call may leave it out, and `execute` then sees undefined. */
export function optionalParam<Value extends z.ZodType>(type: string, value: Value): Param<Value, true> {
  return { type, value, hasDefault: true };
}

export type Params = Record<string, Param>;

/** The arguments `execute` receives for these parameters, once validated. */
export type ArgsOf<P extends Params> = {
  [K in keyof P]: P[K] extends Param<infer Value, infer HasDefault>
    ? HasDefault extends true
      ? z.output<Value> | undefined
      : z.output<Value>
    : never;
};

export interface FunctionDeclaration<P extends Params> {
  schema: 'pgml' | 'cron';
  name: string;
  /** In SQL order. */
  params: P;
  returns: ReturnSpec;
  /** True when the function needs no database: it may run before earlier statements of a query. */
  pure?: boolean;
  execute(args: ArgsOf<P>, context: CallContext): Promise<unknown>;
  executeBatch?(calls: readonly ArgsOf<P>[], context: CallContext): Promise<unknown[]>;
  prepareBatch?(shared: CallArgs, context: CallContext): Promise<((calls: readonly ArgsOf<P>[]) => Promise<unknown[]>) | undefined>;
  /** See ProxyFunction.shareEqualRows. */
  shareEqualRows?: boolean;
  stream?(args: ArgsOf<P>, context: CallContext): AsyncIterable<unknown>;
}

/** The returns of a function `RETURNS TABLE(...)`, columns in order. */
export function table(columns: Record<string, string>): ReturnSpec {
  return { kind: 'table', columns: Object.entries(columns).map(([name, type]) => ({ name, type })) };
}

export function defineFunction<P extends Params>(declaration: FunctionDeclaration<P>): ProxyFunction {
  const params = Object.entries(declaration.params);
  const shape = Object.fromEntries(params.map(([name, p]) => [name, p.hasDefault ? p.value.optional() : p.value]));
  // The one place the declaration's types are erased: `args` validates exactly the parameters
  // the functions below are typed for, and the proxy calls them only with what `args` returned.
  const { execute, executeBatch, prepareBatch, stream } = declaration as unknown as Pick<ProxyFunction, 'execute' | 'executeBatch' | 'prepareBatch' | 'stream'>;
  return {
    signature: {
      schema: declaration.schema,
      name: declaration.name,
      params: params.map(([name, p]) => ({ name, type: p.type, hasDefault: p.hasDefault })),
      returns: declaration.returns,
    },
    args: z.object(shape),
    pure: declaration.pure ?? false,
    execute: execute.bind(declaration),
    ...(executeBatch && { executeBatch: executeBatch.bind(declaration) }),
    ...(prepareBatch && { prepareBatch: prepareBatch.bind(declaration) }),
    ...(declaration.shareEqualRows !== undefined && { shareEqualRows: declaration.shareEqualRows }),
    ...(stream && { stream: stream.bind(declaration) }),
  };
}
