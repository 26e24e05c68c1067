/**
 * The engines' WebAssembly kernels whose memory each instance declares and exports (sgd-kernel.ts,
 * affinity-kernel.ts): the module compiled once per thread from its committed base64 (scripts/build-wasm.mjs),
 * an instance per fit whose memory grows to what the fit needs and is freed with the instance.
 */

/** The part of the WebAssembly JS API used here (this TypeScript's lib, ES2023 without the DOM, leaves it out). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
}
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const PAGE_BYTES = 65536;

export interface KernelInstance {
  exports: Record<string, unknown>;
  /** The instance's memory, at least the bytes asked for. */
  buffer: ArrayBuffer;
}

/** A kernel module: instances of it with `bytes` of memory, or undefined when the memory cannot grow that far. */
export function wasmKernel(base64: string, imports: Record<string, Record<string, unknown>> = {}): (bytes: number) => KernelInstance | undefined {
  let compiled: object | undefined;
  return (bytes) => {
    compiled ??= new wasm.Module(Buffer.from(base64, 'base64'));
    const { exports } = new wasm.Instance(compiled, imports);
    const memory = exports.memory as WasmMemory;
    const more = Math.ceil(bytes / PAGE_BYTES) - memory.buffer.byteLength / PAGE_BYTES;
    if (more > 0) {
      try {
        memory.grow(more);
      } catch (error) {
        // The JS API's grow throws where the instruction would give −1: past the module's maximum or out of memory.
        if (error instanceof RangeError) return undefined;
        throw error;
      }
    }
    return { exports, buffer: memory.buffer };
  };
}
