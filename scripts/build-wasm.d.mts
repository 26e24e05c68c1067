/** The WebAssembly kernels (the engines', float4out's text) that scripts/build-wasm.mjs compiles. */
export type KernelName = 'histogram' | 'sgd' | 'affinity' | 'float4Text';
/** The kernel's .wat compiled by wabt, base64. */
export function compileKernel(name: KernelName): Promise<string>;
/** The text of the kernel's generated TypeScript module for the given base64 binary. */
export function kernelModule(name: KernelName, base64: string): string;
/** The kernel's generated module as committed. */
export function committedModule(name: KernelName): string;
