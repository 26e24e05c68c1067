/**
 * Reads libsvm's model file (svm_save_model, libsvm 3.22): the format of svm and nu_svm models that
 * pgml-proxy stored while they trained with libsvm-js (WebAssembly), which numbered features from 1
 * and wrote every feature. Such a model predicts here with the port's svm_predict_values and
 * svm_predict_probability on the file's values, which are the ones libsvm-js predicted with (it
 * reloaded its own file after training).
 */
import type { KernelParams, KernelType } from './kernel.js';
import type { SvmModel, SvmType } from './train.js';

const KERNELS: Record<string, KernelType> = { linear: 'linear', polynomial: 'poly', rbf: 'rbf', sigmoid: 'sigmoid' };
const TYPES: readonly SvmType[] = ['c_svc', 'nu_svc', 'epsilon_svr', 'nu_svr'];

export interface ModelFile {
  type: SvmType;
  params: KernelParams;
  model: SvmModel;
  /** Support vectors, row-major over `cols` features. */
  sv: Float64Array;
}

/** Throws an Error naming what is wrong when the text is not a model file this reader knows. */
export function readModelFile(text: string, cols: number): ModelFile {
  const lines = text.split('\n');
  const header = new Map<string, string[]>();
  let at = 0;
  for (; at < lines.length && lines[at]!.trim() !== 'SV'; at++) {
    const [key, ...values] = lines[at]!.trim().split(/\s+/);
    if (key) header.set(key, values);
  }
  if (at === lines.length) throw new Error('libsvm model file without an SV section');
  const one = (key: string): string | undefined => header.get(key)?.[0];
  const numbers = (key: string): number[] => (header.get(key) ?? []).map(Number);
  const type = one('svm_type') as SvmType;
  const kernel = KERNELS[one('kernel_type') ?? ''];
  if (!TYPES.includes(type) || !kernel) throw new Error(`libsvm model file of svm_type ${one('svm_type')}, kernel_type ${one('kernel_type')}`);
  const classes = Number(one('nr_class'));
  const total = Number(one('total_sv'));
  const classification = type === 'c_svc' || type === 'nu_svc';
  const svCoef = Array.from({ length: classes - 1 }, () => new Float64Array(total));
  const sv = new Float64Array(total * cols);
  for (let i = 0; i < total; i++) {
    const fields = (lines[at + 1 + i] ?? '').trim().split(/\s+/);
    for (let j = 0; j < classes - 1; j++) svCoef[j]![i] = Number(fields[j]);
    for (const node of fields.slice(classes - 1)) {
      const [index, value] = node.split(':');
      const col = Number(index) - 1;
      if (!(col >= 0 && col < cols)) throw new Error(`libsvm model file with feature ${index} for ${cols} features`);
      sv[i * cols + col] = Number(value);
    }
  }
  const probA = numbers('probA');
  const probB = numbers('probB');
  return {
    type,
    params: { kernel, degree: Number(one('degree') ?? 3), gamma: Number(one('gamma') ?? 0), coef0: Number(one('coef0') ?? 0) },
    model: {
      labels: classification ? numbers('label') : [],
      nSV: classification ? numbers('nr_sv') : [],
      // the file does not keep the training rows; prediction reads only how many there are
      support: new Int32Array(total),
      svCoef,
      rho: Float64Array.from(numbers('rho')),
      iterations: [],
      timedOut: false,
      upstream: true,
      ...(classification && probA.length > 0 && probB.length > 0 ? { probA: Float64Array.from(probA), probB: Float64Array.from(probB) } : {}),
    },
    sv,
  };
}
