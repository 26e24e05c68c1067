;; The inner loops of hist_gradient_boosting's histograms in WebAssembly (histogram-kernel.ts loads
;; it; histogram-sums.ts keeps the JavaScript loops as the reference). Every function sums one
;; feature of one node: for each of the node's rows, in row order, the row's gradient (and hessian)
;; and a count of one are added to the histogram entry of the row's bin. An entry is three float64s,
;; 24 bytes: gradient sum, hessian sum, row count (HistTreeGrower's layout).
;;
;; The same float64 additions in the same order as the JavaScript loops (a float32 gradient promoted
;; to float64, then added), so the sums, and the trees, are the same to the last bit. Four rows a step:
;; their four entries' addresses are computed first, then the four updates run one after another (a
;; bin shared by two of the four still gets its sums in row order), so the bin loads do not wait on
;; the stores before them.
;;
;; Why WebAssembly: V8's JavaScript loop costs about 2.5-3 ns an update (each typed-array access is
;; checked against the array's length, the index arithmetic is checked for overflow); here a load is a
;; plain machine load (V8 reserves guard pages around a wasm memory, so the bounds check is the
;; hardware's) and the loop is compiled once, ahead of time, by Liftoff and then TurboFan.
;;
;; All pointers are byte addresses into the one memory the grower's arrays live in (imported, shared
;; with the helper thread). Compiled into histogram-kernel-wasm.ts by scripts/build-wasm.mjs.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; A node's rows: positions[i] (int32, from $positions) picks the row's bin in the feature's
  ;; column (uint8, from $column); gradients[i] (float32, from $gradients) are the node's rows'
  ;; gradients gathered in row order. Adds the gradient and a count; the hessian sums are left alone.
  (func (export "sumGradients")
    (param $histogram i32) (param $column i32) (param $positions i32) (param $n i32) (param $gradients i32)
    (local $end4 i32) (local $end i32) (local $a i32) (local $b i32) (local $c i32) (local $d i32)
    ;; $end: one past the last position's address; $end4: where the steps of four stop.
    (local.set $end (i32.add (local.get $positions) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $positions) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done4
      (loop $four
        (br_if $done4 (i32.ge_u (local.get $positions) (local.get $end4)))
        ;; The four rows' entries: histogram + 24 * bin.
        (local.set $a (i32.add (local.get $histogram) (i32.mul (i32.const 24)
          (i32.load8_u (i32.add (local.get $column) (i32.load (local.get $positions)))))))
        (local.set $b (i32.add (local.get $histogram) (i32.mul (i32.const 24)
          (i32.load8_u (i32.add (local.get $column) (i32.load offset=4 (local.get $positions)))))))
        (local.set $c (i32.add (local.get $histogram) (i32.mul (i32.const 24)
          (i32.load8_u (i32.add (local.get $column) (i32.load offset=8 (local.get $positions)))))))
        (local.set $d (i32.add (local.get $histogram) (i32.mul (i32.const 24)
          (i32.load8_u (i32.add (local.get $column) (i32.load offset=12 (local.get $positions)))))))
        ;; Their updates in row order: gradient sum (offset 0), count (offset 16).
        (f64.store (local.get $a) (f64.add (f64.load (local.get $a)) (f64.promote_f32 (f32.load (local.get $gradients)))))
        (f64.store offset=16 (local.get $a) (f64.add (f64.load offset=16 (local.get $a)) (f64.const 1)))
        (f64.store (local.get $b) (f64.add (f64.load (local.get $b)) (f64.promote_f32 (f32.load offset=4 (local.get $gradients)))))
        (f64.store offset=16 (local.get $b) (f64.add (f64.load offset=16 (local.get $b)) (f64.const 1)))
        (f64.store (local.get $c) (f64.add (f64.load (local.get $c)) (f64.promote_f32 (f32.load offset=8 (local.get $gradients)))))
        (f64.store offset=16 (local.get $c) (f64.add (f64.load offset=16 (local.get $c)) (f64.const 1)))
        (f64.store (local.get $d) (f64.add (f64.load (local.get $d)) (f64.promote_f32 (f32.load offset=12 (local.get $gradients)))))
        (f64.store offset=16 (local.get $d) (f64.add (f64.load offset=16 (local.get $d)) (f64.const 1)))
        (local.set $positions (i32.add (local.get $positions) (i32.const 16)))
        (local.set $gradients (i32.add (local.get $gradients) (i32.const 16)))
        (br $four)))
    ;; The last n mod 4 rows, one at a time.
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $positions) (local.get $end)))
        (local.set $a (i32.add (local.get $histogram) (i32.mul (i32.const 24)
          (i32.load8_u (i32.add (local.get $column) (i32.load (local.get $positions)))))))
        (f64.store (local.get $a) (f64.add (f64.load (local.get $a)) (f64.promote_f32 (f32.load (local.get $gradients)))))
        (f64.store offset=16 (local.get $a) (f64.add (f64.load offset=16 (local.get $a)) (f64.const 1)))
        (local.set $positions (i32.add (local.get $positions) (i32.const 4)))
        (local.set $gradients (i32.add (local.get $gradients) (i32.const 4)))
        (br $one))))

  ;; sumGradients with the rows' hessians (float32, from $hessians, in row order as the gradients)
  ;; summed too, at offset 8 of an entry.
  (func (export "sumGradientsAndHessians")
    (param $histogram i32) (param $column i32) (param $positions i32) (param $n i32) (param $gradients i32) (param $hessians i32)
    (local $end4 i32) (local $end i32) (local $a i32) (local $b i32) (local $c i32) (local $d i32)
    (local.set $end (i32.add (local.get $positions) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $positions) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done4
      (loop $four
        (br_if $done4 (i32.ge_u (local.get $positions) (local.get $end4)))
        (local.set $a (i32.add (local.get $histogram) (i32.mul (i32.const 24)
          (i32.load8_u (i32.add (local.get $column) (i32.load (local.get $positions)))))))
        (local.set $b (i32.add (local.get $histogram) (i32.mul (i32.const 24)
          (i32.load8_u (i32.add (local.get $column) (i32.load offset=4 (local.get $positions)))))))
        (local.set $c (i32.add (local.get $histogram) (i32.mul (i32.const 24)
          (i32.load8_u (i32.add (local.get $column) (i32.load offset=8 (local.get $positions)))))))
        (local.set $d (i32.add (local.get $histogram) (i32.mul (i32.const 24)
          (i32.load8_u (i32.add (local.get $column) (i32.load offset=12 (local.get $positions)))))))
        (f64.store (local.get $a) (f64.add (f64.load (local.get $a)) (f64.promote_f32 (f32.load (local.get $gradients)))))
        (f64.store offset=8 (local.get $a) (f64.add (f64.load offset=8 (local.get $a)) (f64.promote_f32 (f32.load (local.get $hessians)))))
        (f64.store offset=16 (local.get $a) (f64.add (f64.load offset=16 (local.get $a)) (f64.const 1)))
        (f64.store (local.get $b) (f64.add (f64.load (local.get $b)) (f64.promote_f32 (f32.load offset=4 (local.get $gradients)))))
        (f64.store offset=8 (local.get $b) (f64.add (f64.load offset=8 (local.get $b)) (f64.promote_f32 (f32.load offset=4 (local.get $hessians)))))
        (f64.store offset=16 (local.get $b) (f64.add (f64.load offset=16 (local.get $b)) (f64.const 1)))
        (f64.store (local.get $c) (f64.add (f64.load (local.get $c)) (f64.promote_f32 (f32.load offset=8 (local.get $gradients)))))
        (f64.store offset=8 (local.get $c) (f64.add (f64.load offset=8 (local.get $c)) (f64.promote_f32 (f32.load offset=8 (local.get $hessians)))))
        (f64.store offset=16 (local.get $c) (f64.add (f64.load offset=16 (local.get $c)) (f64.const 1)))
        (f64.store (local.get $d) (f64.add (f64.load (local.get $d)) (f64.promote_f32 (f32.load offset=12 (local.get $gradients)))))
        (f64.store offset=8 (local.get $d) (f64.add (f64.load offset=8 (local.get $d)) (f64.promote_f32 (f32.load offset=12 (local.get $hessians)))))
        (f64.store offset=16 (local.get $d) (f64.add (f64.load offset=16 (local.get $d)) (f64.const 1)))
        (local.set $positions (i32.add (local.get $positions) (i32.const 16)))
        (local.set $gradients (i32.add (local.get $gradients) (i32.const 16)))
        (local.set $hessians (i32.add (local.get $hessians) (i32.const 16)))
        (br $four)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $positions) (local.get $end)))
        (local.set $a (i32.add (local.get $histogram) (i32.mul (i32.const 24)
          (i32.load8_u (i32.add (local.get $column) (i32.load (local.get $positions)))))))
        (f64.store (local.get $a) (f64.add (f64.load (local.get $a)) (f64.promote_f32 (f32.load (local.get $gradients)))))
        (f64.store offset=8 (local.get $a) (f64.add (f64.load offset=8 (local.get $a)) (f64.promote_f32 (f32.load (local.get $hessians)))))
        (f64.store offset=16 (local.get $a) (f64.add (f64.load offset=16 (local.get $a)) (f64.const 1)))
        (local.set $positions (i32.add (local.get $positions) (i32.const 4)))
        (local.set $gradients (i32.add (local.get $gradients) (i32.const 4)))
        (local.set $hessians (i32.add (local.get $hessians) (i32.const 4)))
        (br $one))))

  ;; The root: its rows are every position in order, so row i's bin is column[i], no positions; and
  ;; no counts (the root's are the same in every tree: HistogramInputs.rootCounts).
  (func (export "sumGradientsInOrder")
    (param $histogram i32) (param $column i32) (param $n i32) (param $gradients i32)
    (local $end4 i32) (local $end i32) (local $a i32) (local $b i32) (local $c i32) (local $d i32)
    (local.set $end (i32.add (local.get $column) (local.get $n)))
    (local.set $end4 (i32.add (local.get $column) (i32.and (local.get $n) (i32.const -4))))
    (block $done4
      (loop $four
        (br_if $done4 (i32.ge_u (local.get $column) (local.get $end4)))
        (local.set $a (i32.add (local.get $histogram) (i32.mul (i32.const 24) (i32.load8_u (local.get $column)))))
        (local.set $b (i32.add (local.get $histogram) (i32.mul (i32.const 24) (i32.load8_u offset=1 (local.get $column)))))
        (local.set $c (i32.add (local.get $histogram) (i32.mul (i32.const 24) (i32.load8_u offset=2 (local.get $column)))))
        (local.set $d (i32.add (local.get $histogram) (i32.mul (i32.const 24) (i32.load8_u offset=3 (local.get $column)))))
        (f64.store (local.get $a) (f64.add (f64.load (local.get $a)) (f64.promote_f32 (f32.load (local.get $gradients)))))
        (f64.store (local.get $b) (f64.add (f64.load (local.get $b)) (f64.promote_f32 (f32.load offset=4 (local.get $gradients)))))
        (f64.store (local.get $c) (f64.add (f64.load (local.get $c)) (f64.promote_f32 (f32.load offset=8 (local.get $gradients)))))
        (f64.store (local.get $d) (f64.add (f64.load (local.get $d)) (f64.promote_f32 (f32.load offset=12 (local.get $gradients)))))
        (local.set $column (i32.add (local.get $column) (i32.const 4)))
        (local.set $gradients (i32.add (local.get $gradients) (i32.const 16)))
        (br $four)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $column) (local.get $end)))
        (local.set $a (i32.add (local.get $histogram) (i32.mul (i32.const 24) (i32.load8_u (local.get $column)))))
        (f64.store (local.get $a) (f64.add (f64.load (local.get $a)) (f64.promote_f32 (f32.load (local.get $gradients)))))
        (local.set $column (i32.add (local.get $column) (i32.const 1)))
        (local.set $gradients (i32.add (local.get $gradients) (i32.const 4)))
        (br $one))))

  ;; sumGradientsInOrder with the hessians summed too (no counts).
  (func (export "sumGradientsAndHessiansInOrder")
    (param $histogram i32) (param $column i32) (param $n i32) (param $gradients i32) (param $hessians i32)
    (local $end4 i32) (local $end i32) (local $a i32) (local $b i32) (local $c i32) (local $d i32)
    (local.set $end (i32.add (local.get $column) (local.get $n)))
    (local.set $end4 (i32.add (local.get $column) (i32.and (local.get $n) (i32.const -4))))
    (block $done4
      (loop $four
        (br_if $done4 (i32.ge_u (local.get $column) (local.get $end4)))
        (local.set $a (i32.add (local.get $histogram) (i32.mul (i32.const 24) (i32.load8_u (local.get $column)))))
        (local.set $b (i32.add (local.get $histogram) (i32.mul (i32.const 24) (i32.load8_u offset=1 (local.get $column)))))
        (local.set $c (i32.add (local.get $histogram) (i32.mul (i32.const 24) (i32.load8_u offset=2 (local.get $column)))))
        (local.set $d (i32.add (local.get $histogram) (i32.mul (i32.const 24) (i32.load8_u offset=3 (local.get $column)))))
        (f64.store (local.get $a) (f64.add (f64.load (local.get $a)) (f64.promote_f32 (f32.load (local.get $gradients)))))
        (f64.store offset=8 (local.get $a) (f64.add (f64.load offset=8 (local.get $a)) (f64.promote_f32 (f32.load (local.get $hessians)))))
        (f64.store (local.get $b) (f64.add (f64.load (local.get $b)) (f64.promote_f32 (f32.load offset=4 (local.get $gradients)))))
        (f64.store offset=8 (local.get $b) (f64.add (f64.load offset=8 (local.get $b)) (f64.promote_f32 (f32.load offset=4 (local.get $hessians)))))
        (f64.store (local.get $c) (f64.add (f64.load (local.get $c)) (f64.promote_f32 (f32.load offset=8 (local.get $gradients)))))
        (f64.store offset=8 (local.get $c) (f64.add (f64.load offset=8 (local.get $c)) (f64.promote_f32 (f32.load offset=8 (local.get $hessians)))))
        (f64.store (local.get $d) (f64.add (f64.load (local.get $d)) (f64.promote_f32 (f32.load offset=12 (local.get $gradients)))))
        (f64.store offset=8 (local.get $d) (f64.add (f64.load offset=8 (local.get $d)) (f64.promote_f32 (f32.load offset=12 (local.get $hessians)))))
        (local.set $column (i32.add (local.get $column) (i32.const 4)))
        (local.set $gradients (i32.add (local.get $gradients) (i32.const 16)))
        (local.set $hessians (i32.add (local.get $hessians) (i32.const 16)))
        (br $four)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $column) (local.get $end)))
        (local.set $a (i32.add (local.get $histogram) (i32.mul (i32.const 24) (i32.load8_u (local.get $column)))))
        (f64.store (local.get $a) (f64.add (f64.load (local.get $a)) (f64.promote_f32 (f32.load (local.get $gradients)))))
        (f64.store offset=8 (local.get $a) (f64.add (f64.load offset=8 (local.get $a)) (f64.promote_f32 (f32.load (local.get $hessians)))))
        (local.set $column (i32.add (local.get $column) (i32.const 1)))
        (local.set $gradients (i32.add (local.get $gradients) (i32.const 4)))
        (local.set $hessians (i32.add (local.get $hessians) (i32.const 4)))
        (br $one))))

  ;; HistTreeGrower's partition of a node's rows on a split (the JavaScript reference is
  ;; partitionRows in histogram-tree.ts): the n positions from $indices, stable, those whose bin in the
  ;; feature's column ($column) is at most $bin first, the rest after them, both in their order.
  ;; Returns how many go left. Without a branch per row (a split sends rows either way at random, so a
  ;; branch would be mispredicted about every other row): each position is written to both sides, the
  ;; left one in place (never past the one being read) and the right one to $scratch (n int32s), and
  ;; only its side's pointer moves; then the right side is copied in after the left.
  (func (export "partition")
    (param $indices i32) (param $scratch i32) (param $n i32) (param $column i32) (param $bin i32) (result i32)
    (local $read i32) (local $end i32) (local $left i32) (local $right i32) (local $row i32) (local $goesRight i32)
    (local.set $read (local.get $indices))
    (local.set $end (i32.add (local.get $indices) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $left (local.get $indices))
    (local.set $right (local.get $scratch))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $read) (local.get $end)))
        (local.set $row (i32.load (local.get $read)))
        ;; 1 when the row's bin is above the split's (bins are 0..255: the difference is negative).
        (local.set $goesRight (i32.shr_u
          (i32.sub (local.get $bin) (i32.load8_u (i32.add (local.get $column) (local.get $row))))
          (i32.const 31)))
        (i32.store (local.get $left) (local.get $row))
        (i32.store (local.get $right) (local.get $row))
        (local.set $left (i32.add (local.get $left) (i32.shl (i32.xor (local.get $goesRight) (i32.const 1)) (i32.const 2))))
        (local.set $right (i32.add (local.get $right) (i32.shl (local.get $goesRight) (i32.const 2))))
        (local.set $read (i32.add (local.get $read) (i32.const 4)))
        (br $row)))
    (memory.copy (local.get $left) (local.get $scratch) (i32.sub (local.get $right) (local.get $scratch)))
    (i32.shr_u (i32.sub (local.get $left) (local.get $indices)) (i32.const 2)))

  ;; A node's gradients (or hessians) gathered in row order, as the sum loops read them (scikit-learn's
  ;; ordered_gradients): out[i] = values[positions[i]], i < n, four-byte values copied bit for bit.
  (func (export "gather") (param $out i32) (param $values i32) (param $positions i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $positions) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $positions) (local.get $end)))
        (i32.store (local.get $out)
          (i32.load (i32.add (local.get $values) (i32.shl (i32.load (local.get $positions)) (i32.const 2)))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $positions (i32.add (local.get $positions) (i32.const 4)))
        (br $row))))

  ;; A histogram's feature entries set to zero before its sums ($bytes from $at): memory.fill, a
  ;; memset (TypedArray.fill on the shared memory's arrays took about 0.4 us a feature of 255 bins).
  (func (export "zero") (param $at i32) (param $bytes i32)
    (memory.fill (local.get $at) (i32.const 0) (local.get $bytes)))

  ;; The larger child's histogram: large[i] -= small[i] for $n float64s from $large and $small (one
  ;; feature's entries of the parent's and the smaller child's histograms). Two at a time with
  ;; f64x2.sub, which is the same IEEE subtraction per lane as f64.sub (the same bits as the JavaScript
  ;; loop it replaces), then the odd one left.
  (func (export "subtract") (param $large i32) (param $small i32) (param $n i32)
    (local $end i32) (local $end2 i32)
    (local.set $end (i32.add (local.get $large) (i32.shl (local.get $n) (i32.const 3))))
    (local.set $end2 (i32.add (local.get $large) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))))
    (block $done2
      (loop $two
        (br_if $done2 (i32.ge_u (local.get $large) (local.get $end2)))
        (v128.store (local.get $large) (f64x2.sub (v128.load (local.get $large)) (v128.load (local.get $small))))
        (local.set $large (i32.add (local.get $large) (i32.const 16)))
        (local.set $small (i32.add (local.get $small) (i32.const 16)))
        (br $two)))
    (if (i32.lt_u (local.get $large) (local.get $end))
      (then (f64.store (local.get $large) (f64.sub (f64.load (local.get $large)) (f64.load (local.get $small)))))))

  ;; Constant hessians (the squared error): each of the $entries entries from $histogram gets its
  ;; row count (offset 16) as its hessian sum (offset 8), as the hessians of one each would sum.
  (func (export "countsAsHessians") (param $histogram i32) (param $entries i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $histogram) (i32.mul (local.get $entries) (i32.const 24))))
    (block $done
      (loop $entry
        (br_if $done (i32.ge_u (local.get $histogram) (local.get $end)))
        (f64.store offset=8 (local.get $histogram) (f64.load offset=16 (local.get $histogram)))
        (local.set $histogram (i32.add (local.get $histogram) (i32.const 24)))
        (br $entry)))))

