;; affinity_propagation's message passes in WebAssembly (affinity-kernel.ts): the same operations in the same order
;; as the JavaScript passes of affinity-propagation.ts with their branch-free positive and negative parts, so the
;; same bits, without V8's bounds and detach checks on every element of the n × n matrices. Compile with
;; `node scripts/build-wasm.mjs` (wabt), which writes affinity-kernel-bytes.ts.
(module
  (memory (export "memory") 1)
  ;; One sweep over the rows: row i's availabilities of iteration t, from the column sums of iteration t's
  ;; responsibilities at $sums, while its two largest a + s and their column are found; a(i,i) + r(i,i) of
  ;; iteration t into $diag; then (when $more is not 0) row i's responsibilities of iteration t + 1 from those
  ;; maxima, their column sums added up at $next (cleared first). Byte offsets of f64 arrays: s, a, r n × n,
  ;; row-major; $sums, $next, $diag n each. max(v, 0) is (v + |v|)·0.5 and min(u, 0) is (u − |u|)·0.5, as
  ;; positivePart and negativePart: an overflow there leaves an availability infinite or NaN (see poisoned).
  (func (export "sweep")
        (param $n i32) (param $damping f64) (param $keep f64) (param $s i32) (param $a i32) (param $r i32)
        (param $sums i32) (param $next i32) (param $diag i32) (param $more i32)
    (local $i i32) (local $k i32) (local $row i32) (local $arg i32)
    (local $sp i32) (local $ap i32) (local $rp i32) (local $cp i32)
    (local $v f64) (local $u f64) (local $update f64) (local $value f64) (local $sum f64)
    (local $first f64) (local $second f64) (local $largest f64)
    ;; the next column sums start at 0
    (local.set $cp (local.get $next))
    (local.set $k (i32.const 0))
    (block $clearDone (loop $clear
      (br_if $clearDone (i32.ge_u (local.get $k) (local.get $n)))
      (f64.store (local.get $cp) (f64.const 0))
      (local.set $cp (i32.add (local.get $cp) (i32.const 8)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $clear)))
    (block $rowsDone (loop $rows
      (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $row (i32.shl (i32.mul (local.get $i) (local.get $n)) (i32.const 3)))
      ;; availabilities: a(i,k) ← damping·a(i,k) + keep·update, update = sums(k) − r(k,k) on the diagonal,
      ;; min(0, sums(k) − max(0, r(i,k))) elsewhere; the largest a + s (the first of equals) and the second
      (local.set $first (f64.const -inf))
      (local.set $second (f64.const -inf))
      (local.set $arg (i32.const 0))
      (local.set $sp (i32.add (local.get $s) (local.get $row)))
      (local.set $ap (i32.add (local.get $a) (local.get $row)))
      (local.set $rp (i32.add (local.get $r) (local.get $row)))
      (local.set $cp (local.get $sums))
      (local.set $k (i32.const 0))
      (block $availDone (loop $avail
        (br_if $availDone (i32.ge_u (local.get $k) (local.get $n)))
        (local.set $v (f64.load (local.get $rp)))
        (if (i32.eq (local.get $k) (local.get $i))
          (then (local.set $update (f64.sub (f64.load (local.get $cp)) (local.get $v))))
          (else
            (local.set $u (f64.sub (f64.load (local.get $cp))
                                   (f64.mul (f64.add (local.get $v) (f64.abs (local.get $v))) (f64.const 0.5))))
            (local.set $update (f64.mul (f64.sub (local.get $u) (f64.abs (local.get $u))) (f64.const 0.5)))))
        (local.set $value (f64.add (f64.mul (local.get $damping) (f64.load (local.get $ap)))
                                   (f64.mul (local.get $keep) (local.get $update))))
        (f64.store (local.get $ap) (local.get $value))
        (local.set $sum (f64.add (local.get $value) (f64.load (local.get $sp))))
        (if (f64.gt (local.get $sum) (local.get $first))
          (then
            (local.set $second (local.get $first))
            (local.set $first (local.get $sum))
            (local.set $arg (local.get $k)))
          (else
            (if (f64.gt (local.get $sum) (local.get $second))
              (then (local.set $second (local.get $sum))))))
        (local.set $sp (i32.add (local.get $sp) (i32.const 8)))
        (local.set $ap (i32.add (local.get $ap) (i32.const 8)))
        (local.set $rp (i32.add (local.get $rp) (i32.const 8)))
        (local.set $cp (i32.add (local.get $cp) (i32.const 8)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $avail)))
      ;; a(i,i) + r(i,i) of iteration t, before r(i,i) is overwritten
      (f64.store (i32.add (local.get $diag) (i32.shl (local.get $i) (i32.const 3)))
                 (f64.add (f64.load (i32.add (local.get $a) (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 3)))))
                          (f64.load (i32.add (local.get $r) (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 3)))))))
      (if (local.get $more)
        (then
          ;; responsibilities: r(i,k) ← damping·r(i,k) + keep·(s(i,k) − the largest a + s of the other columns);
          ;; next(k) += r(i,k) on the diagonal, max(0, r(i,k)) elsewhere
          (local.set $sp (i32.add (local.get $s) (local.get $row)))
          (local.set $rp (i32.add (local.get $r) (local.get $row)))
          (local.set $cp (local.get $next))
          (local.set $k (i32.const 0))
          (block $respDone (loop $resp
            (br_if $respDone (i32.ge_u (local.get $k) (local.get $n)))
            (local.set $largest (if (result f64) (i32.eq (local.get $k) (local.get $arg))
              (then (local.get $second))
              (else (local.get $first))))
            (local.set $v (f64.add (f64.mul (local.get $damping) (f64.load (local.get $rp)))
                                   (f64.mul (local.get $keep) (f64.sub (f64.load (local.get $sp)) (local.get $largest)))))
            (f64.store (local.get $rp) (local.get $v))
            (if (i32.ne (local.get $k) (local.get $i))
              (then (local.set $v (f64.mul (f64.add (local.get $v) (f64.abs (local.get $v))) (f64.const 0.5)))))
            (f64.store (local.get $cp) (f64.add (f64.load (local.get $cp)) (local.get $v)))
            (local.set $sp (i32.add (local.get $sp) (i32.const 8)))
            (local.set $rp (i32.add (local.get $rp) (i32.const 8)))
            (local.set $cp (i32.add (local.get $cp) (i32.const 8)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $resp)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows)))
  )
  ;; Σ a·0 over $count f64 at $a: 0 when every value is finite, NaN when one is infinite or NaN.
  (func (export "poisoned") (param $a i32) (param $count i32) (result f64)
    (local $end i32) (local $sum f64)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $count) (i32.const 3))))
    (block $done (loop $values
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $sum (f64.add (local.get $sum) (f64.mul (f64.load (local.get $a)) (f64.const 0))))
      (local.set $a (i32.add (local.get $a) (i32.const 8)))
      (br $values)))
    (local.get $sum))
)
