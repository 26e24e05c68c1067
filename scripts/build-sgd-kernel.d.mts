/** sgd-kernel.wat compiled by wabt, as base64. */
export function compileSgdKernel(): Promise<string>;
/** The text of src/pgml/engines/sgd-kernel-bytes.ts for the given bytes. */
export function bytesModule(base64: string): string;
