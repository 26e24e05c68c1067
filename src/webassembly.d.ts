/**
 * The part of the WebAssembly JS API this project uses. Node has all of it, but its TypeScript types are the
 * DOM lib's, which this project's lib (ES2023, no DOM) leaves out, and @types/node 20 does not declare it.
 * Shaped as the DOM lib declares it (an interface and a constructor variable each), so the day either starts
 * declaring it this file is deleted, not rewritten. A declaration only: it emits nothing.
 */
declare namespace WebAssembly {
  interface Module {}
  var Module: {
    prototype: Module;
    new (bytes: ArrayBufferView | ArrayBuffer): Module;
  };

  /**
   * Exports and imports are `unknown` where the DOM lib lists function, global, memory and table: this subset
   * leaves globals and tables out (emscripten's modules export a table), and each caller checks or casts the
   * export it reads.
   */
  type Exports = Record<string, unknown>;
  type Imports = Record<string, Record<string, unknown>>;

  interface Instance {
    readonly exports: Exports;
  }
  var Instance: {
    prototype: Instance;
    new (module: Module, imports?: Imports): Instance;
  };

  interface MemoryDescriptor {
    /** In 64 KiB pages, as `maximum` and grow's delta. */
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  /** `Buffer`: a shared memory's buffer is a SharedArrayBuffer (the DOM lib types every buffer an ArrayBuffer). */
  interface Memory<Buffer extends ArrayBuffer | SharedArrayBuffer = ArrayBuffer> {
    /** The memory's bytes; a grow detaches the ArrayBuffer of an unshared memory, so read it again after one. */
    readonly buffer: Buffer;
    /** Adds `delta` pages and returns the old size in pages; throws a RangeError past `maximum` or out of memory. */
    grow(delta: number): number;
  }
  var Memory: {
    prototype: Memory<ArrayBuffer | SharedArrayBuffer>;
    new (descriptor: MemoryDescriptor & { shared: true }): Memory<SharedArrayBuffer>;
    new (descriptor: MemoryDescriptor): Memory;
  };

  /** A trap or an abort inside a module. */
  interface RuntimeError extends Error {}
  var RuntimeError: {
    prototype: RuntimeError;
    new (message?: string): RuntimeError;
  };

  function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>;
}
