/**
 * The engines' WebAssembly kernels whose memory each instance declares and exports (sgd-kernel.ts,
 * affinity-kernel.ts): the module compiled once per thread from its committed base64 (scripts/build-wasm.mjs),
 * an instance per fit whose memory grows to what the fit needs and is freed with the instance.
 */

const PAGE_BYTES = 65536;

export interface KernelInstance {
  exports: WebAssembly.Exports;
  /** The instance's memory, at least the bytes asked for. */
  buffer: ArrayBuffer;
}

/** A kernel module: instances of it with `bytes` of memory, or undefined when the memory cannot grow that far. */
export function wasmKernel(base64: string, imports: WebAssembly.Imports = {}): (bytes: number) => KernelInstance | undefined {
  let compiled: WebAssembly.Module | undefined;
  return (bytes) => {
    compiled ??= new WebAssembly.Module(Buffer.from(base64, 'base64'));
    const { exports } = new WebAssembly.Instance(compiled, imports);
    const memory = exports.memory as WebAssembly.Memory;
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
