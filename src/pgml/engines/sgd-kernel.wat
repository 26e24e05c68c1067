;; The SGD family's row loop in WebAssembly (sgd-kernel.ts): one epoch of PassiveAggressive's PA-I step over
;; dense rows, the same operations in the same order as passiveAggressiveEpochs in sgd-epochs.ts, so the same
;; bits. Compile with `node scripts/build-wasm.mjs` (wabt), which writes sgd-kernel-bytes.ts.
(module
  (memory (export "memory") 1)
  ;; Byte offsets: x f32[rows × cols] at $xp, the epoch's row order i32[rows] at $op, y f64[rows] at $yp,
  ;; the rows' |x|² f64[rows] at $np, w f64[cols] then the intercept f64 at $wp. Returns the summed loss.
  (func (export "passiveAggressiveEpoch")
        (param $xp i32) (param $op i32) (param $yp i32) (param $np i32) (param $wp i32)
        (param $rows i32) (param $cols i32) (param $epsilon f64) (param $C f64) (param $hinge i32) (param $fitIntercept i32)
        (result f64)
    (local $i i32) (local $r i32) (local $c i32) (local $row i32) (local $bp i32)
    (local $dot f64) (local $p f64) (local $target f64) (local $loss f64) (local $sum f64) (local $norm f64)
    (local $update f64) (local $intercept f64)
    (local.set $bp (i32.add (local.get $wp) (i32.shl (local.get $cols) (i32.const 3))))
    (local.set $intercept (f64.load (local.get $bp)))
    (block $rowsDone (loop $rowsLoop
      (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $r (i32.load (i32.add (local.get $op) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $row (i32.add (local.get $xp) (i32.shl (i32.mul (local.get $r) (local.get $cols)) (i32.const 2))))
      ;; w·x in column order (denseDot), then + intercept
      (local.set $dot (f64.const 0))
      (local.set $c (i32.const 0))
      (block $dotDone (loop $dotLoop
        (br_if $dotDone (i32.ge_u (local.get $c) (local.get $cols)))
        (local.set $dot (f64.add (local.get $dot)
          (f64.mul (f64.load (i32.add (local.get $wp) (i32.shl (local.get $c) (i32.const 3))))
                   (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2))))))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $dotLoop)))
      (local.set $p (f64.add (local.get $dot) (local.get $intercept)))
      (local.set $target (f64.load (i32.add (local.get $yp) (i32.shl (local.get $r) (i32.const 3)))))
      ;; hinge: max(0, 1 - p·y); epsilon_insensitive: max(0, |y - p| - epsilon) (sgd-losses.ts)
      (local.set $loss
        (if (result f64) (local.get $hinge)
          (then (f64.max (f64.const 0) (f64.sub (f64.const 1) (f64.mul (local.get $p) (local.get $target)))))
          (else (f64.max (f64.const 0) (f64.sub (f64.abs (f64.sub (local.get $target) (local.get $p))) (local.get $epsilon))))))
      (local.set $sum (f64.add (local.get $sum) (local.get $loss)))
      (local.set $norm (f64.load (i32.add (local.get $np) (i32.shl (local.get $r) (i32.const 3)))))
      (if (f64.ne (local.get $norm) (f64.const 0)) (then
        ;; min(C, loss / |x|²) signed by y (hinge) or by y - p
        (local.set $update (f64.mul (f64.min (local.get $C) (f64.div (local.get $loss) (local.get $norm)))
          (if (result f64) (local.get $hinge)
            (then (local.get $target))
            (else (select (f64.const -1) (f64.const 1) (f64.lt (f64.sub (local.get $target) (local.get $p)) (f64.const 0)))))))
        (if (f64.ne (local.get $update) (f64.const 0)) (then
          (local.set $c (i32.const 0))
          (block $addDone (loop $addLoop
            (br_if $addDone (i32.ge_u (local.get $c) (local.get $cols)))
            (f64.store (i32.add (local.get $wp) (i32.shl (local.get $c) (i32.const 3)))
              (f64.add (f64.load (i32.add (local.get $wp) (i32.shl (local.get $c) (i32.const 3))))
                       (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2)))))
                                (local.get $update))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $addLoop)))
          (if (local.get $fitIntercept) (then (local.set $intercept (f64.add (local.get $intercept) (local.get $update)))))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rowsLoop)))
    (f64.store (local.get $bp) (local.get $intercept))
    (local.get $sum))
)
