;; The SGD family's row loops in WebAssembly (sgd-kernel.ts): one epoch of PassiveAggressive's PA-I step over
;; dense or sparse rows, and one epoch of SGD with the l2 penalty (SGDClassifier's and SGDRegressor's default) over dense or
;; sparse rows, each the same operations in the same order as its JavaScript loop in sgd-epochs.ts
;; (passiveAggressiveEpochs, l2Epochs), so the same bits; one epoch of SGD with no penalty (Perceptron's default,
;; unpenalizedEpochs); and the per-fit loops that run once over every row (the
;; rows' |x|², the first row order), which V8 would otherwise run unoptimized in a user's first fit of a size the
;; warm-up's small sets never reach. Compile with `node scripts/build-wasm.mjs` (wabt), which writes
;; sgd-kernel-bytes.ts.
(module
  ;; log_loss's exp and log1p: the JavaScript loop's Math.exp and Math.log1p themselves, so the same bits.
  (import "math" "exp" (func $exp (param f64) (result f64)))
  (import "math" "log1p" (func $log1p (param f64) (result f64)))
  (memory (export "memory") 1)
  ;; One epoch of passiveAggressiveEpochs (sgd-epochs.ts), PA-I. Byte offsets: x f32[rows × cols] at $xp, the
  ;; epoch's row order i32[rows] at $op, y f64[rows] at $yp, the rows' |x|² f64[rows] at $np, w f64[cols] then the
  ;; intercept f64 at $wp; with the rows' nonzero entries at $sp, $cp, $vp as l2Epoch's, used while the f64 at
  ;; $statep + 32 is not 0 and every weight written is finite (then cleared). Returns the summed loss.
  (func (export "passiveAggressiveEpoch")
        (param $xp i32) (param $sp i32) (param $cp i32) (param $vp i32) (param $op i32) (param $yp i32) (param $np i32)
        (param $wp i32) (param $statep i32) (param $rows i32) (param $cols i32) (param $epsilon f64) (param $C f64)
        (param $hinge i32) (param $fitIntercept i32)
        (result f64)
    (local $i i32) (local $r i32) (local $c i32) (local $j i32) (local $end i32) (local $row i32) (local $bp i32) (local $at i32)
    (local $sparse i32) (local $finite i32)
    (local $dot f64) (local $p f64) (local $target f64) (local $loss f64) (local $sum f64) (local $norm f64)
    (local $update f64) (local $intercept f64) (local $v f64)
    (local.set $bp (i32.add (local.get $wp) (i32.shl (local.get $cols) (i32.const 3))))
    (local.set $intercept (f64.load (local.get $bp)))
    (local.set $sparse (f64.ne (f64.load offset=32 (local.get $statep)) (f64.const 0)))
    (block $rowsDone (loop $rowsLoop
      (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $r (i32.load (i32.add (local.get $op) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $row (i32.add (local.get $xp) (i32.shl (i32.mul (local.get $r) (local.get $cols)) (i32.const 2))))
      ;; w·x in column order (sparseDot over the nonzero entries, or denseDot), then + intercept
      (local.set $dot (f64.const 0))
      (if (local.get $sparse)
        (then
          (local.set $j (i32.load (i32.add (local.get $sp) (i32.shl (local.get $r) (i32.const 2)))))
          (local.set $end (i32.load offset=4 (i32.add (local.get $sp) (i32.shl (local.get $r) (i32.const 2)))))
          (block $sparseDone (loop $sparseLoop
            (br_if $sparseDone (i32.ge_s (local.get $j) (local.get $end)))
            (local.set $dot (f64.add (local.get $dot)
              (f64.mul (f64.load (i32.add (local.get $wp) (i32.shl (i32.load (i32.add (local.get $cp) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 3))))
                       (f64.promote_f32 (f32.load (i32.add (local.get $vp) (i32.shl (local.get $j) (i32.const 2))))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $sparseLoop))))
        (else
          (local.set $c (i32.const 0))
          (block $dotDone (loop $dotLoop
            (br_if $dotDone (i32.ge_u (local.get $c) (local.get $cols)))
            (local.set $dot (f64.add (local.get $dot)
              (f64.mul (f64.load (i32.add (local.get $wp) (i32.shl (local.get $c) (i32.const 3))))
                       (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2))))))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $dotLoop)))))
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
          (if (f64.ne (f64.sub (local.get $update) (local.get $update)) (f64.const 0)) (then (local.set $sparse (i32.const 0))))
          (if (local.get $sparse)
            (then
              ;; addSparse: the nonzero entries, and whether every weight written is still finite
              (local.set $finite (i32.const 1))
              (local.set $j (i32.load (i32.add (local.get $sp) (i32.shl (local.get $r) (i32.const 2)))))
              (block $addSparseDone (loop $addSparseLoop
                (br_if $addSparseDone (i32.ge_s (local.get $j) (local.get $end)))
                (local.set $at (i32.add (local.get $wp) (i32.shl (i32.load (i32.add (local.get $cp) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 3))))
                (local.set $v (f64.add (f64.load (local.get $at))
                  (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $vp) (i32.shl (local.get $j) (i32.const 2))))) (local.get $update))))
                (f64.store (local.get $at) (local.get $v))
                (if (f64.ne (f64.sub (local.get $v) (local.get $v)) (f64.const 0)) (then (local.set $finite (i32.const 0))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $addSparseLoop)))
              (local.set $sparse (local.get $finite)))
            (else
              (local.set $c (i32.const 0))
              (block $addDone (loop $addLoop
                (br_if $addDone (i32.ge_u (local.get $c) (local.get $cols)))
                (f64.store (i32.add (local.get $wp) (i32.shl (local.get $c) (i32.const 3)))
                  (f64.add (f64.load (i32.add (local.get $wp) (i32.shl (local.get $c) (i32.const 3))))
                           (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2)))))
                                    (local.get $update))))
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (br $addLoop)))))
          (if (local.get $fitIntercept) (then (local.set $intercept (f64.add (local.get $intercept) (local.get $update)))))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rowsLoop)))
    (f64.store (local.get $bp) (local.get $intercept))
    (f64.store offset=32 (local.get $statep) (f64.convert_i32_u (local.get $sparse)))
    (local.get $sum))

  ;; order[i] = i for the first epoch's row order (identityOrder in sgd-epochs.ts).
  (func (export "identityOrder") (param $op i32) (param $rows i32)
    (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
      (i32.store (i32.add (local.get $op) (i32.shl (local.get $i) (i32.const 2))) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))))

  ;; Each row's |x|² in column order, as passiveAggressiveEpochs computes it (x ** 2 is x·x in V8's pow).
  (func (export "rowSqNorms") (param $xp i32) (param $np i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $c i32) (local $row i32) (local $v f64) (local $norm f64)
    (block $rowsDone (loop $rowsLoop
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $row (i32.add (local.get $xp) (i32.shl (i32.mul (local.get $r) (local.get $cols)) (i32.const 2))))
      (local.set $norm (f64.const 0))
      (local.set $c (i32.const 0))
      (block $colsDone (loop $colsLoop
        (br_if $colsDone (i32.ge_u (local.get $c) (local.get $cols)))
        (local.set $v (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2))))))
        (local.set $norm (f64.add (local.get $norm) (f64.mul (local.get $v) (local.get $v))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $colsLoop)))
      (f64.store (i32.add (local.get $np) (i32.shl (local.get $r) (i32.const 3))) (local.get $norm))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowsLoop))))

  ;; powerOf(t, 0.25) of sgd-epochs.ts: √√t corrected by one Newton step with Dekker's exact products, each
  ;; operation in that function's order (no fused multiply-add in WebAssembly or in V8's JavaScript).
  (func $fourthRoot (param $t f64) (result f64)
    (local $r f64) (local $rSplit f64) (local $rHigh f64) (local $rLow f64) (local $s f64) (local $sLow f64)
    (local $sSplit f64) (local $sHigh f64) (local $sRest f64) (local $q f64) (local $qLow f64) (local $residual f64)
    (local.set $r (f64.sqrt (f64.sqrt (local.get $t))))
    (local.set $rSplit (f64.mul (f64.const 134217729) (local.get $r)))
    (local.set $rHigh (f64.sub (local.get $rSplit) (f64.sub (local.get $rSplit) (local.get $r))))
    (local.set $rLow (f64.sub (local.get $r) (local.get $rHigh)))
    (local.set $s (f64.mul (local.get $r) (local.get $r)))
    (local.set $sLow (f64.add (f64.add (f64.sub (f64.mul (local.get $rHigh) (local.get $rHigh)) (local.get $s))
                                       (f64.mul (f64.mul (f64.const 2) (local.get $rHigh)) (local.get $rLow)))
                              (f64.mul (local.get $rLow) (local.get $rLow))))
    (local.set $sSplit (f64.mul (f64.const 134217729) (local.get $s)))
    (local.set $sHigh (f64.sub (local.get $sSplit) (f64.sub (local.get $sSplit) (local.get $s))))
    (local.set $sRest (f64.sub (local.get $s) (local.get $sHigh)))
    (local.set $q (f64.mul (local.get $s) (local.get $s)))
    (local.set $qLow (f64.add (f64.add (f64.sub (f64.mul (local.get $sHigh) (local.get $sHigh)) (local.get $q))
                                       (f64.mul (f64.mul (f64.const 2) (local.get $sHigh)) (local.get $sRest)))
                              (f64.mul (local.get $sRest) (local.get $sRest))))
    (local.set $residual (f64.add (f64.add (f64.sub (local.get $q) (local.get $t)) (local.get $qLow))
                                  (f64.mul (f64.mul (f64.const 2) (local.get $s)) (local.get $sLow))))
    (f64.sub (local.get $r) (f64.div (local.get $residual) (f64.mul (f64.mul (f64.const 4) (local.get $r)) (local.get $s)))))

  ;; One epoch of l2Epochs (sgd-epochs.ts): SGD with the l2 penalty, its weight scale and ‖w‖², for the losses
  ;; hinge (0), log_loss (1) and squared_error (2) and the rates optimal (0), invscaling with power_t 0.25 (1)
  ;; or 0.5 (2), and constant (3). w·x over the row's nonzero entries while $sparse is set and every weight is
  ;; finite (sgd-rows.ts: start i32[rows + 1] at $sp, columns i32 at $cp, values f32 at $vp), else over x.
  ;; The loop's state between epochs is at $statep, f64 each: intercept, scale, t, ‖w‖², sparse (1 or 0).
  ;; w f64[cols] at $wp. Returns the epoch's summed objective (loss plus penalty).
  (func (export "l2Epoch")
        (param $xp i32) (param $sp i32) (param $cp i32) (param $vp i32) (param $op i32) (param $yp i32)
        (param $wp i32) (param $statep i32) (param $rows i32) (param $cols i32) (param $loss i32) (param $rate i32)
        (param $alpha f64) (param $eta0 f64) (param $optimalInit f64) (param $fitIntercept i32)
        (result f64)
    (local $i i32) (local $r i32) (local $c i32) (local $j i32) (local $end i32) (local $row i32) (local $at i32)
    (local $intercept f64) (local $scale f64) (local $t f64) (local $sqNorm f64) (local $sparse i32)
    (local $dot f64) (local $p f64) (local $target f64) (local $eta f64) (local $norm f64) (local $sum f64)
    (local $z f64) (local $value f64) (local $dloss f64) (local $update f64) (local $factor f64) (local $step f64)
    (local $v f64) (local $sq f64)
    (local.set $intercept (f64.load (local.get $statep)))
    (local.set $scale (f64.load offset=8 (local.get $statep)))
    (local.set $t (f64.load offset=16 (local.get $statep)))
    (local.set $sqNorm (f64.load offset=24 (local.get $statep)))
    (local.set $sparse (f64.ne (f64.load offset=32 (local.get $statep)) (f64.const 0)))
    (block $rowsDone (loop $rowsLoop
      (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $r (i32.load (i32.add (local.get $op) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $row (i32.add (local.get $xp) (i32.shl (i32.mul (local.get $r) (local.get $cols)) (i32.const 2))))
      (local.set $dot (f64.const 0))
      (if (local.get $sparse)
        (then
          ;; sparseDot: the nonzero terms in column order
          (local.set $j (i32.load (i32.add (local.get $sp) (i32.shl (local.get $r) (i32.const 2)))))
          (local.set $end (i32.load offset=4 (i32.add (local.get $sp) (i32.shl (local.get $r) (i32.const 2)))))
          (block $sparseDone (loop $sparseLoop
            (br_if $sparseDone (i32.ge_s (local.get $j) (local.get $end)))
            (local.set $dot (f64.add (local.get $dot)
              (f64.mul (f64.load (i32.add (local.get $wp) (i32.shl (i32.load (i32.add (local.get $cp) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 3))))
                       (f64.promote_f32 (f32.load (i32.add (local.get $vp) (i32.shl (local.get $j) (i32.const 2))))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $sparseLoop))))
        (else
          ;; denseDot
          (local.set $c (i32.const 0))
          (block $dotDone (loop $dotLoop
            (br_if $dotDone (i32.ge_u (local.get $c) (local.get $cols)))
            (local.set $dot (f64.add (local.get $dot)
              (f64.mul (f64.load (i32.add (local.get $wp) (i32.shl (local.get $c) (i32.const 3))))
                       (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2))))))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $dotLoop)))))
      (local.set $p (f64.add (f64.mul (local.get $dot) (local.get $scale)) (local.get $intercept)))
      (local.set $target (f64.load (i32.add (local.get $yp) (i32.shl (local.get $r) (i32.const 3)))))
      (local.set $eta
        (if (result f64) (i32.eqz (local.get $rate))
          (then (f64.div (f64.const 1) (f64.mul (local.get $alpha) (f64.sub (f64.add (local.get $optimalInit) (local.get $t)) (f64.const 1)))))
          (else (if (result f64) (i32.eq (local.get $rate) (i32.const 1))
            (then (f64.div (local.get $eta0) (call $fourthRoot (local.get $t))))
            (else (if (result f64) (i32.eq (local.get $rate) (i32.const 2))
              (then (f64.div (local.get $eta0) (f64.sqrt (local.get $t))))
              (else (local.get $eta0))))))))
      (local.set $norm (f64.sqrt (local.get $sqNorm)))
      ;; the loss and its derivative (sgd-losses.ts)
      (if (i32.eqz (local.get $loss))
        (then
          (local.set $value (f64.max (f64.const 0) (f64.sub (f64.const 1) (f64.mul (local.get $p) (local.get $target)))))
          (local.set $dloss (select (f64.neg (local.get $target)) (f64.const 0)
            (f64.lt (f64.mul (local.get $p) (local.get $target)) (f64.const 1)))))
        (else (if (i32.eq (local.get $loss) (i32.const 1))
          (then
            (local.set $z (f64.mul (local.get $p) (local.get $target)))
            (if (f64.gt (local.get $z) (f64.const 18))
              (then
                (local.set $value (call $exp (f64.neg (local.get $z))))
                (local.set $dloss (f64.mul (f64.neg (local.get $target)) (call $exp (f64.neg (local.get $z))))))
              (else (if (f64.lt (local.get $z) (f64.const -18))
                (then
                  (local.set $value (f64.neg (local.get $z)))
                  (local.set $dloss (f64.neg (local.get $target))))
                (else
                  (local.set $value (call $log1p (call $exp (f64.neg (local.get $z)))))
                  (local.set $dloss (f64.div (f64.neg (local.get $target)) (f64.add (call $exp (local.get $z)) (f64.const 1)))))))))
          (else
            (local.set $value (f64.mul (f64.const 0.5)
              (f64.mul (f64.sub (local.get $p) (local.get $target)) (f64.sub (local.get $p) (local.get $target)))))
            (local.set $dloss (f64.sub (local.get $p) (local.get $target)))))))
      (local.set $sum (f64.add (local.get $sum) (local.get $value)))
      (local.set $sum (f64.add (local.get $sum)
        (f64.mul (local.get $alpha) (f64.mul (f64.const 0.5) (f64.mul (local.get $norm) (local.get $norm))))))
      (local.set $update (f64.mul (f64.neg (local.get $eta))
        (f64.max (f64.const -1e12) (f64.min (f64.const 1e12) (local.get $dloss)))))
      (local.set $factor (f64.max (f64.const 0) (f64.sub (f64.const 1) (f64.mul (local.get $eta) (local.get $alpha)))))
      (local.set $scale (f64.mul (local.get $scale) (local.get $factor)))
      (local.set $sqNorm (f64.mul (local.get $sqNorm) (f64.mul (local.get $factor) (local.get $factor))))
      (if (f64.lt (local.get $scale) (f64.const 1e-9)) (then
        (local.set $c (i32.const 0))
        (block $scaleDone (loop $scaleLoop
          (br_if $scaleDone (i32.ge_u (local.get $c) (local.get $cols)))
          (local.set $at (i32.add (local.get $wp) (i32.shl (local.get $c) (i32.const 3))))
          (f64.store (local.get $at) (f64.mul (f64.load (local.get $at)) (local.get $scale)))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $scaleLoop)))
        (local.set $scale (f64.const 1))))
      (if (f64.ne (local.get $update) (f64.const 0)) (then
        ;; addWithSquares: w += x·(update / scale) over every column, and the new Σ w²
        (local.set $step (f64.div (local.get $update) (local.get $scale)))
        (local.set $sq (f64.const 0))
        (local.set $c (i32.const 0))
        (block $addDone (loop $addLoop
          (br_if $addDone (i32.ge_u (local.get $c) (local.get $cols)))
          (local.set $at (i32.add (local.get $wp) (i32.shl (local.get $c) (i32.const 3))))
          (local.set $v (f64.add (f64.load (local.get $at))
            (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2))))) (local.get $step))))
          (f64.store (local.get $at) (local.get $v))
          (local.set $sq (f64.add (local.get $sq) (f64.mul (local.get $v) (local.get $v))))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $addLoop)))
        (local.set $sqNorm (f64.mul (local.get $sq) (f64.mul (local.get $scale) (local.get $scale))))
        ;; a weight that is not finite: every column from now on (sgd-rows.ts)
        (if (f64.ne (f64.sub (local.get $sq) (local.get $sq)) (f64.const 0)) (then (local.set $sparse (i32.const 0))))
        (if (local.get $fitIntercept) (then (local.set $intercept (f64.add (local.get $intercept) (local.get $update)))))))
      (local.set $t (f64.add (local.get $t) (f64.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rowsLoop)))
    (f64.store (local.get $statep) (local.get $intercept))
    (f64.store offset=8 (local.get $statep) (local.get $scale))
    (f64.store offset=16 (local.get $statep) (local.get $t))
    (f64.store offset=24 (local.get $statep) (local.get $sqNorm))
    (f64.store offset=32 (local.get $statep) (f64.convert_i32_u (local.get $sparse)))
    (local.get $sum))

  ;; The losses of unpenalizedEpoch (sgd-losses.ts): hinge (0), log_loss (1), squared_error (2), perceptron (3).
  (func $lossValue (param $loss i32) (param $p f64) (param $y f64) (result f64)
    (local $z f64)
    (local.set $z (f64.mul (local.get $p) (local.get $y)))
    (if (i32.eqz (local.get $loss)) (then (return (f64.max (f64.const 0) (f64.sub (f64.const 1) (local.get $z))))))
    (if (i32.eq (local.get $loss) (i32.const 3)) (then (return (f64.max (f64.const 0) (f64.mul (f64.neg (local.get $p)) (local.get $y))))))
    (if (i32.eq (local.get $loss) (i32.const 2)) (then
      (return (f64.mul (f64.const 0.5) (f64.mul (f64.sub (local.get $p) (local.get $y)) (f64.sub (local.get $p) (local.get $y)))))))
    (if (f64.gt (local.get $z) (f64.const 18)) (then (return (call $exp (f64.neg (local.get $z))))))
    (if (f64.lt (local.get $z) (f64.const -18)) (then (return (f64.neg (local.get $z)))))
    (call $log1p (call $exp (f64.neg (local.get $z)))))

  (func $lossDerivative (param $loss i32) (param $p f64) (param $y f64) (result f64)
    (local $z f64)
    (local.set $z (f64.mul (local.get $p) (local.get $y)))
    (if (i32.eqz (local.get $loss)) (then (return (select (f64.neg (local.get $y)) (f64.const 0) (f64.lt (local.get $z) (f64.const 1))))))
    (if (i32.eq (local.get $loss) (i32.const 3)) (then (return (select (f64.neg (local.get $y)) (f64.const 0) (f64.le (local.get $z) (f64.const 0))))))
    (if (i32.eq (local.get $loss) (i32.const 2)) (then (return (f64.sub (local.get $p) (local.get $y)))))
    (if (f64.gt (local.get $z) (f64.const 18)) (then (return (f64.mul (f64.neg (local.get $y)) (call $exp (f64.neg (local.get $z)))))))
    (if (f64.lt (local.get $z) (f64.const -18)) (then (return (f64.neg (local.get $y)))))
    (f64.div (f64.neg (local.get $y)) (f64.add (call $exp (local.get $z)) (f64.const 1))))

  ;; One epoch of unpenalizedEpochs (sgd-epochs.ts): SGD with no penalty (Perceptron's default), whose weight scale
  ;; stays 1; the losses of $lossValue, the rates and the memory as l2Epoch's. The weights are added to over the
  ;; row's nonzero entries only while $sparse is set and every weight written is finite (addSparse), else over x.
  (func (export "unpenalizedEpoch")
        (param $xp i32) (param $sp i32) (param $cp i32) (param $vp i32) (param $op i32) (param $yp i32)
        (param $wp i32) (param $statep i32) (param $rows i32) (param $cols i32) (param $loss i32) (param $rate i32)
        (param $alpha f64) (param $eta0 f64) (param $optimalInit f64) (param $fitIntercept i32)
        (result f64)
    (local $i i32) (local $r i32) (local $c i32) (local $j i32) (local $end i32) (local $row i32) (local $at i32)
    (local $intercept f64) (local $t f64) (local $sparse i32) (local $finite i32)
    (local $dot f64) (local $p f64) (local $target f64) (local $eta f64) (local $sum f64) (local $update f64) (local $v f64)
    (local.set $intercept (f64.load (local.get $statep)))
    (local.set $t (f64.load offset=16 (local.get $statep)))
    (local.set $sparse (f64.ne (f64.load offset=32 (local.get $statep)) (f64.const 0)))
    (block $rowsDone (loop $rowsLoop
      (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $r (i32.load (i32.add (local.get $op) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $row (i32.add (local.get $xp) (i32.shl (i32.mul (local.get $r) (local.get $cols)) (i32.const 2))))
      (local.set $dot (f64.const 0))
      (if (local.get $sparse)
        (then
          (local.set $j (i32.load (i32.add (local.get $sp) (i32.shl (local.get $r) (i32.const 2)))))
          (local.set $end (i32.load offset=4 (i32.add (local.get $sp) (i32.shl (local.get $r) (i32.const 2)))))
          (block $sparseDone (loop $sparseLoop
            (br_if $sparseDone (i32.ge_s (local.get $j) (local.get $end)))
            (local.set $dot (f64.add (local.get $dot)
              (f64.mul (f64.load (i32.add (local.get $wp) (i32.shl (i32.load (i32.add (local.get $cp) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 3))))
                       (f64.promote_f32 (f32.load (i32.add (local.get $vp) (i32.shl (local.get $j) (i32.const 2))))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $sparseLoop))))
        (else
          (local.set $c (i32.const 0))
          (block $dotDone (loop $dotLoop
            (br_if $dotDone (i32.ge_u (local.get $c) (local.get $cols)))
            (local.set $dot (f64.add (local.get $dot)
              (f64.mul (f64.load (i32.add (local.get $wp) (i32.shl (local.get $c) (i32.const 3))))
                       (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2))))))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $dotLoop)))))
      (local.set $p (f64.add (local.get $dot) (local.get $intercept)))
      (local.set $target (f64.load (i32.add (local.get $yp) (i32.shl (local.get $r) (i32.const 3)))))
      (local.set $eta
        (if (result f64) (i32.eqz (local.get $rate))
          (then (f64.div (f64.const 1) (f64.mul (local.get $alpha) (f64.sub (f64.add (local.get $optimalInit) (local.get $t)) (f64.const 1)))))
          (else (if (result f64) (i32.eq (local.get $rate) (i32.const 1))
            (then (f64.div (local.get $eta0) (call $fourthRoot (local.get $t))))
            (else (if (result f64) (i32.eq (local.get $rate) (i32.const 2))
              (then (f64.div (local.get $eta0) (f64.sqrt (local.get $t))))
              (else (local.get $eta0))))))))
      (local.set $sum (f64.add (local.get $sum) (call $lossValue (local.get $loss) (local.get $p) (local.get $target))))
      (local.set $update (f64.mul (f64.neg (local.get $eta))
        (f64.max (f64.const -1e12) (f64.min (f64.const 1e12) (call $lossDerivative (local.get $loss) (local.get $p) (local.get $target))))))
      (if (f64.ne (local.get $update) (f64.const 0)) (then
        (if (f64.ne (f64.sub (local.get $update) (local.get $update)) (f64.const 0)) (then (local.set $sparse (i32.const 0))))
        (if (local.get $sparse)
          (then
            ;; addSparse: the nonzero entries, and whether every weight written is still finite
            (local.set $finite (i32.const 1))
            (local.set $j (i32.load (i32.add (local.get $sp) (i32.shl (local.get $r) (i32.const 2)))))
            (block $addSparseDone (loop $addSparseLoop
              (br_if $addSparseDone (i32.ge_s (local.get $j) (local.get $end)))
              (local.set $at (i32.add (local.get $wp) (i32.shl (i32.load (i32.add (local.get $cp) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 3))))
              (local.set $v (f64.add (f64.load (local.get $at))
                (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $vp) (i32.shl (local.get $j) (i32.const 2))))) (local.get $update))))
              (f64.store (local.get $at) (local.get $v))
              (if (f64.ne (f64.sub (local.get $v) (local.get $v)) (f64.const 0)) (then (local.set $finite (i32.const 0))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $addSparseLoop)))
            (local.set $sparse (local.get $finite)))
          (else
            (local.set $c (i32.const 0))
            (block $addDone (loop $addLoop
              (br_if $addDone (i32.ge_u (local.get $c) (local.get $cols)))
              (local.set $at (i32.add (local.get $wp) (i32.shl (local.get $c) (i32.const 3))))
              (f64.store (local.get $at) (f64.add (f64.load (local.get $at))
                (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2))))) (local.get $update))))
              (local.set $c (i32.add (local.get $c) (i32.const 1)))
              (br $addLoop)))))
        (if (local.get $fitIntercept) (then (local.set $intercept (f64.add (local.get $intercept) (local.get $update)))))))
      (local.set $t (f64.add (local.get $t) (f64.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rowsLoop)))
    (f64.store (local.get $statep) (local.get $intercept))
    (f64.store offset=16 (local.get $statep) (local.get $t))
    (f64.store offset=32 (local.get $statep) (f64.convert_i32_u (local.get $sparse)))
    (local.get $sum))
)
