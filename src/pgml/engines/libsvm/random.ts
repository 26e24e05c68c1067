/**
 * scikit-learn's libsvm random numbers (sklearn/svm/src/newrand/newrand.h): a std::mt19937 reseeded by
 * set_seed(random_seed) at the top of every svm_train call, and bounded_rand_int, Lemire's
 * multiply-and-reject post-processor on its 32-bit draws. Only the probability estimates' fold
 * shuffle draws from it. std::mt19937's seeding is numpy's init_genrand, so numpy's generator serves.
 */
import { NumpyRandomState } from '../numpy-random.js';

export class LibsvmRandom {
  private mt = new NumpyRandomState(5489); // std::mt19937::default_seed

  /** set_seed. */
  seed(seed: number): void {
    this.mt = new NumpyRandomState(seed);
  }

  /** bounded_rand_int: an integer in [0, range), 0 < range < 2^32. */
  boundedInt(range: number): number {
    const r = BigInt(range);
    let m = BigInt(this.mt.nextUint32()) * r;
    let low = Number(m & 0xffffffffn);
    if (low < range) {
      let t = (2 ** 32 - range) % 2 ** 32; // uint32_t t = -range
      if (t >= range) {
        t -= range;
        if (t >= range) t %= range;
      }
      while (low < t) {
        m = BigInt(this.mt.nextUint32()) * r;
        low = Number(m & 0xffffffffn);
      }
    }
    return Number(m >> 32n);
  }
}
