import type { ProxyFunction } from './contract.js';
import type { FunctionCatalog, FunctionSignature } from './signature.js';

/** The functions the proxy evaluates, by SQL name; what src/sql resolves calls against. */
export class FunctionRegistry implements FunctionCatalog {
  private readonly byName = new Map<string, ProxyFunction[]>();

  register(...functions: readonly ProxyFunction[]): this {
    for (const fn of functions) {
      const key = `${fn.signature.schema}.${fn.signature.name}`;
      const list = this.byName.get(key) ?? [];
      list.push(fn);
      this.byName.set(key, list);
    }
    return this;
  }

  /** Every overload of schema.name (names are case-folded like unquoted SQL identifiers). */
  overloads(schema: string, name: string): readonly FunctionSignature[] | undefined {
    return this.byName.get(`${schema.toLowerCase()}.${name.toLowerCase()}`)?.map((f) => f.signature);
  }

  implementation(signature: FunctionSignature): ProxyFunction {
    const list = this.byName.get(`${signature.schema}.${signature.name}`) ?? [];
    const fn = list.find((f) => f.signature === signature);
    if (!fn) throw new Error(`no implementation for ${signature.schema}.${signature.name}`);
    return fn;
  }

  all(): ProxyFunction[] {
    return [...this.byName.values()].flat();
  }
}
