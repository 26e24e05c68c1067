/**
 * Which of its kernel sets ("cores") OpenBLAS's DYNAMIC_ARCH build runs. It picks one at load from the
 * CPU's vendor, family and model; a model it does not know gets its oldest x86-64 set, Prescott's SSE3
 * kernels, whatever the CPU's flags say. Debian's OpenBLAS 0.3.21 did so on one of the VMs this proxy
 * ran on ("Intel(R) Xeon(R) Processor", with AVX2 and AVX-512): dgemm at half the speed of the
 * SkylakeX kernels that NumPy's own OpenBLAS (scipy-openblas 0.3.31, and so scikit-learn) ran there
 * (BENCHMARKS.md, linear2 and linear3). On a CPU it knows (this AMD EPYC: Cooperlake) its choice stands.
 *
 * Only that fallback is replaced, by the set newer OpenBLAS releases give an unknown model by its flags
 * (SkylakeX with AVX-512, Haswell with AVX2 and FMA), through OpenBLAS's own OPENBLAS_CORETYPE. It is
 * read once, when the library is loaded, and the library is one per process: only the main thread can
 * set it (a worker thread's process.env is its own copy, which getenv never sees), and it does, at its
 * first load, before the start-up report. A user's own OPENBLAS_CORETYPE is never touched;
 * PGML_BLAS_CORETYPE=off keeps OpenBLAS's pick.
 */
import { readFileSync } from 'node:fs';

/** The core OpenBLAS's DYNAMIC_ARCH takes on x86-64 for a CPU model it does not recognise. */
export const FALLBACK_CORE = 'Prescott';

/** The flags of the machine's first CPU in /proc/cpuinfo (Linux; empty elsewhere): those the kernel lets programs use. */
export function cpuFlags(): Set<string> {
  try {
    const line = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return new Set(line ? line[1]!.trim().split(/\s+/) : []);
  } catch {
    return new Set();
  }
}

/** The core OpenBLAS would give a CPU with these flags: SkylakeX for AVX-512 (its F, CD, BW, DQ and VL), Haswell for AVX2 with FMA. */
export function coreForFlags(flags: ReadonlySet<string>): 'SkylakeX' | 'Haswell' | undefined {
  if (['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'].every((f) => flags.has(f))) return 'SkylakeX';
  if (flags.has('avx2') && flags.has('fma')) return 'Haswell';
  return undefined;
}

/**
 * The core to load OpenBLAS with instead of the one it chose (`chosen`, openblas_get_corename's), or
 * undefined to keep it: only for its fallback, on a CPU whose flags have better kernels, and neither when
 * the user set OPENBLAS_CORETYPE nor when PGML_BLAS_CORETYPE is off.
 */
export function replacementCore(chosen: string | undefined, flags: ReadonlySet<string>, env: NodeJS.ProcessEnv): string | undefined {
  if (env.OPENBLAS_CORETYPE || env.PGML_BLAS_CORETYPE === 'off' || chosen !== FALLBACK_CORE) return undefined;
  return coreForFlags(flags);
}
