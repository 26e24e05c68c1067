/**
 * V8 compiles typed-array code on the promise that no ArrayBuffer of the thread has ever been detached (its
 * "array buffer detaching protector"), and keeps that promise by throwing away every optimized function
 * that relied on it the first time one is: a buffer transferred by postMessage or structuredClone, or a
 * WebAssembly memory that grows (HiGHS's, tfjs's). Every engine thread detaches one sooner or later (a
 * prediction's reply transfers its result; quantile's warm-up grows HiGHS's memory), so the code its JIT
 * warm-up compiled was discarded when that happened, and the next small fits ran their loops cold again:
 * the SGD family's breast_cancer fits at 2–5× their warm CPU (BENCHMARKS.md, sgd5). Detaching one empty
 * buffer when the thread starts, before anything is compiled, gives up the promise once and for all: the
 * code compiled afterwards checks for detached buffers itself and survives every later detach.
 */
export function giveUpDetachingProtector(): void {
  const buffer = new ArrayBuffer(0);
  structuredClone(buffer, { transfer: [buffer] });
}
