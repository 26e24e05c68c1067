/**
 * A linear program handed to HiGHS's C API in the `highs` package's WebAssembly, as scipy's `_highs_wrapper`
 * hands it to native HiGHS: the column-wise matrix and the bounds written straight into the module's memory,
 * `Highs_passLp`, `Highs_run`, the primal solution read back as doubles. The package's own model API checks
 * every element of every array with a label string built per element (`"matrix.values[" + i + "]"`), ~17,000
 * strings a diabetes fit whose garbage regrew an idle engine thread's shrunk young generation (320 page faults,
 * 6–10 ms of CPU a fit; BENCHMARKS.md, fresh13), and copied each array into the module besides. The package
 * exports the C functions and `_malloc` but no view of the memory, so the loader's Emscripten `instantiateWasm`
 * hook instantiates the same binary here and keeps the instance's exported memory.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PgError, SqlState } from '../../errors/index.js';

/** The C functions used here, as the Emscripten module exports them (pointers are byte offsets into its memory). */
interface HighsCApi {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  _Highs_create(): number;
  _Highs_destroy(highs: number): void;
  _Highs_getInfinity(highs: number): number;
  _Highs_setBoolOptionValue(highs: number, option: number, value: number): number;
  _Highs_setIntOptionValue(highs: number, option: number, value: number): number;
  _Highs_setStringOptionValue(highs: number, option: number, value: number): number;
  _Highs_passLp(
    highs: number, numCol: number, numRow: number, numNz: number, aFormat: number, sense: number, offset: number,
    colCost: number, colLower: number, colUpper: number, rowLower: number, rowUpper: number,
    aStart: number, aIndex: number, aValue: number,
  ): number;
  _Highs_run(highs: number): number;
  _Highs_getModelStatus(highs: number): number;
  _Highs_getSolution(highs: number, colValue: number, colDual: number, rowValue: number, rowDual: number): number;
}

const C_FUNCTIONS = [
  '_malloc', '_free', '_Highs_create', '_Highs_destroy', '_Highs_getInfinity', '_Highs_setBoolOptionValue',
  '_Highs_setIntOptionValue', '_Highs_setStringOptionValue', '_Highs_passLp', '_Highs_run', '_Highs_getModelStatus',
  '_Highs_getSolution',
] as const satisfies readonly (keyof HighsCApi)[];

/** Emscripten's loader options; the package's types leave out the hook. */
type Loader = (options: {
  instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => unknown): unknown;
}) => Promise<Record<string, unknown>>;

// HiGHS's constants (interfaces/highs_c_api.h).
const STATUS_ERROR = -1;
const MATRIX_COLUMN_WISE = 1;
const MINIMIZE = 1;
const MODEL_STATUS_OPTIMAL = 7;

/** HiGHS's `solver` option values. */
export type LpSolver = 'choose' | 'simplex' | 'ipm';

/**
 * The option names and values as C strings, written into the module's memory once: a fit passes pointers.
 * threads and parallel as the package's model API set them on every instance (main's fits had them); presolve
 * 'on' as scipy sets it (HiGHS's default 'choose' presolves a program without a basis too: the same models).
 * scipy's other settings (simplex_strategy dual, highs_debug_level 0) are HiGHS's defaults.
 */
const OPTION_STRINGS = ['output_flag', 'threads', 'parallel', 'off', 'presolve', 'on', 'solver', 'choose', 'simplex', 'ipm'] as const;

interface Runtime {
  api: HighsCApi;
  memory: WebAssembly.Memory;
  infinity: number;
  strings: Record<(typeof OPTION_STRINGS)[number], number>;
}

let loading: Promise<Runtime> | undefined;

async function load(): Promise<Runtime> {
  const require = createRequire(import.meta.url);
  const compiled = await WebAssembly.compile(readFileSync(require.resolve('highs/runtime')));
  let memory: WebAssembly.Memory | undefined;
  const exported = await (require('highs') as Loader)({
    instantiateWasm(imports, receive) {
      const instance = new WebAssembly.Instance(compiled, imports);
      memory = Object.values(instance.exports).find((value): value is WebAssembly.Memory => value instanceof WebAssembly.Memory);
      return receive(instance);
    },
  });
  const missing = C_FUNCTIONS.filter((name) => typeof exported[name] !== 'function');
  if (!memory || missing.length > 0) {
    throw new Error(`the highs package's WebAssembly lacks ${memory ? missing.join(', ') : 'an exported memory'}`);
  }
  const api = exported as unknown as HighsCApi;
  const encoder = new TextEncoder();
  const strings = {} as Runtime['strings'];
  for (const text of OPTION_STRINGS) {
    const bytes = encoder.encode(`${text}\0`);
    const pointer = allocate(api, bytes.length);
    new Uint8Array(memory.buffer, pointer, bytes.length).set(bytes);
    strings[text] = pointer;
  }
  const probe = api._Highs_create();
  const infinity = api._Highs_getInfinity(probe);
  api._Highs_destroy(probe);
  return { api, memory, infinity, strings };
}

function allocate(api: HighsCApi, bytes: number): number {
  const pointer = api._malloc(Math.max(bytes, 1));
  if (!pointer) throw new PgError(SqlState.OutOfMemory, `HiGHS could not allocate ${bytes} bytes for the linear program`);
  return pointer;
}

/** Views of the program's arrays in the module's memory, for the caller to fill: every element (the memory is not zeroed). */
export interface ColumnwiseLp {
  colCost: Float64Array;
  colLower: Float64Array;
  colUpper: Float64Array;
  rowLower: Float64Array;
  rowUpper: Float64Array;
  /** Each column's first entry in `indices` and `values`: numCols of them, no end marker (the C API's a_start). */
  starts: Int32Array;
  indices: Int32Array;
  values: Float64Array;
  /** HiGHS's infinite bound. */
  infinity: number;
}

export interface LpShape {
  numCols: number;
  numRows: number;
  numNonzeros: number;
}

/**
 * Minimises the program `fill` writes (HiGHS's default tolerances, presolve on, dual simplex when the solver
 * is 'simplex' or HiGHS chooses it: what scipy's linprog(method='highs') sets) and returns the optimum's first
 * `resultCols` column values. Anything but an optimum is an error.
 */
export async function solveLp(
  shape: LpShape, solver: LpSolver, resultCols: number, fill: (lp: ColumnwiseLp) => void,
): Promise<Float64Array> {
  loading ??= load();
  const runtime = await loading;
  const { api, strings } = runtime;
  const { numCols, numRows, numNonzeros } = shape;
  const highs = api._Highs_create();
  if (!highs) throw new PgError(SqlState.OutOfMemory, 'HiGHS could not create a solver instance');
  try {
    check(api._Highs_setBoolOptionValue(highs, strings.output_flag, 0), 'setting output_flag');
    check(api._Highs_setIntOptionValue(highs, strings.threads, 1), 'setting threads');
    check(api._Highs_setStringOptionValue(highs, strings.parallel, strings.off), 'setting parallel');
    check(api._Highs_setStringOptionValue(highs, strings.presolve, strings.on), 'setting presolve');
    check(api._Highs_setStringOptionValue(highs, strings.solver, strings[solver]), 'setting solver');
    passLp(runtime, highs, shape, fill);
    check(api._Highs_run(highs), 'solving');
    const status = api._Highs_getModelStatus(highs);
    if (status !== MODEL_STATUS_OPTIMAL) {
      throw new PgError(SqlState.InternalError, `the linear program did not reach an optimum (HiGHS model status ${status})`);
    }
    const colValue = allocate(api, numCols * 8);
    try {
      check(api._Highs_getSolution(highs, colValue, 0, 0, 0), 'reading the solution');
      return new Float64Array(runtime.memory.buffer, colValue, resultCols).slice();
    } finally {
      api._free(colValue);
    }
  } catch (error) {
    // An abort inside the module (a C++ exception, say) leaves its memory in an unknown state: the next
    // program gets a fresh instance.
    if (error instanceof WebAssembly.RuntimeError) loading = undefined;
    throw error;
  } finally {
    if (loading) api._Highs_destroy(highs);
  }

  function check(status: number, doing: string): void {
    if (status === STATUS_ERROR) {
      throw new PgError(SqlState.InternalError, `HiGHS failed ${doing} the linear program (${numCols} columns, ${numRows} rows, ${numNonzeros} nonzeros)`);
    }
  }
}

/** The arrays in one block (the doubles first, so every one stays aligned), filled, passed, freed: HiGHS keeps its own copy. */
function passLp(runtime: Runtime, highs: number, shape: LpShape, fill: (lp: ColumnwiseLp) => void): void {
  const { api } = runtime;
  const { numCols, numRows, numNonzeros } = shape;
  const doubles = 3 * numCols + 2 * numRows + numNonzeros;
  const block = allocate(api, doubles * 8 + (numCols + numNonzeros) * 4);
  try {
    // The views are taken after the allocation: growing the memory detaches the earlier buffer.
    const buffer = runtime.memory.buffer;
    let at = block;
    const f64 = (length: number): Float64Array => {
      const view = new Float64Array(buffer, at, length);
      at += length * 8;
      return view;
    };
    const i32 = (length: number): Int32Array => {
      const view = new Int32Array(buffer, at, length);
      at += length * 4;
      return view;
    };
    const lp: ColumnwiseLp = {
      colCost: f64(numCols), colLower: f64(numCols), colUpper: f64(numCols), rowLower: f64(numRows), rowUpper: f64(numRows),
      values: f64(numNonzeros), starts: i32(numCols), indices: i32(numNonzeros), infinity: runtime.infinity,
    };
    fill(lp);
    const status = api._Highs_passLp(
      highs, numCols, numRows, numNonzeros, MATRIX_COLUMN_WISE, MINIMIZE, 0,
      lp.colCost.byteOffset, lp.colLower.byteOffset, lp.colUpper.byteOffset, lp.rowLower.byteOffset, lp.rowUpper.byteOffset,
      lp.starts.byteOffset, lp.indices.byteOffset, lp.values.byteOffset,
    );
    if (status === STATUS_ERROR) {
      throw new PgError(SqlState.InternalError, `HiGHS refused the linear program (${numCols} columns, ${numRows} rows, ${numNonzeros} nonzeros)`);
    }
  } finally {
    api._free(block);
  }
}
