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
        (br $entry))))

  ;; A node's best split on one feature (histogram-step.ts's featureSplit is the JavaScript reference,
  ;; scikit-learn's _find_best_bin_to_split_left_to_right without missing values): the bins from
  ;; $histogram (entries of gradient sum, hessian sum, count) before $lastBin, left to right, the left
  ;; sums growing by each bin; the gain of each split allowed by min_samples_leaf and min_hessian_to_split
  ;; is the node's loss G·v minus its children's (v = -G / (H + l2 + 1e-15), sklearn's compute_node_value);
  ;; the first bin of the largest gain above 0 wins. Writes gain (0: none), bin (-1: none), and the left
  ;; side's G and H, four float64s, at $out.
  ;;
  ;; The same float64 operations in the same order as the reference (so the same bits), two lanes at a
  ;; time where two are alike: the left sums (G, H) grow by the bin's (G, H) in one f64x2.add, the right
  ;; side's (G, H) is the node's minus them in one f64x2.sub, and both children's values take one
  ;; f64x2.div. About 4.3 against 5.4-6.8 ns a bin for the JavaScript loop (a node of 255 full bins, at
  ;; load 20); with the division replaced by a multiplication it took 3.8-4.1 ns, so what is left is the
  ;; loop's tests and lane moves, not the division. A bin with no rows and zero sums is skipped, as in
  ;; the reference: its gain is the bin before's.
  (func (export "findSplit")
    (param $histogram i32) (param $lastBin i32) (param $n f64) (param $g f64) (param $h f64) (param $l2 f64)
    (param $minSamplesLeaf f64) (param $out i32)
    (local $end i32) (local $at i32) (local $best i32)
    (local $parent f64) (local $nl f64) (local $gain f64) (local $bestGain f64) (local $binN f64)
    (local $bin v128) (local $left v128) (local $right v128) (local $node v128) (local $sums v128) (local $hessians v128)
    (local $l2s v128) (local $epsilons v128) (local $products v128) (local $bestLeft v128)
    ;; parent = g * (-g / (h + l2 + 1e-15))
    (local.set $parent (f64.mul (local.get $g)
      (f64.div (f64.neg (local.get $g)) (f64.add (f64.add (local.get $h) (local.get $l2)) (f64.const 1e-15)))))
    (local.set $node (f64x2.replace_lane 1 (f64x2.splat (local.get $g)) (local.get $h)))
    (local.set $l2s (f64x2.splat (local.get $l2)))
    (local.set $epsilons (f64x2.splat (f64.const 1e-15)))
    (local.set $left (v128.const f64x2 0 0))
    (local.set $bestLeft (v128.const f64x2 0 0))
    (local.set $best (i32.const -1))
    (local.set $at (local.get $histogram))
    (local.set $end (i32.add (local.get $histogram) (i32.mul (local.get $lastBin) (i32.const 24))))
    (block $done
      (loop $bins
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $bin (v128.load (local.get $at)))
        (local.set $binN (f64.load offset=16 (local.get $at)))
        (local.set $at (i32.add (local.get $at) (i32.const 24)))
        ;; An empty bin: count 0 and both sums 0 (-0 too, as the reference's === 0). The sums are
        ;; looked at only when the count is 0 (rare in a large node, whose bins this loop mostly runs over).
        (if (f64.eq (local.get $binN) (f64.const 0))
          (then (br_if $bins (i64x2.all_true (f64x2.eq (local.get $bin) (v128.const f64x2 0 0))))))
        (local.set $left (f64x2.add (local.get $left) (local.get $bin)))
        (local.set $nl (f64.add (local.get $nl) (local.get $binN)))
        ;; nl < min_samples_leaf: continue; n - nl < min_samples_leaf: no later bin can split.
        (br_if $bins (f64.lt (local.get $nl) (local.get $minSamplesLeaf)))
        (br_if $done (f64.lt (f64.sub (local.get $n) (local.get $nl)) (local.get $minSamplesLeaf)))
        (local.set $right (f64x2.sub (local.get $node) (local.get $left)))
        ;; hl < min_hessian_to_split: continue; h - hl below it: done.
        (br_if $bins (f64.lt (f64x2.extract_lane 1 (local.get $left)) (f64.const 1e-3)))
        (br_if $done (f64.lt (f64x2.extract_lane 1 (local.get $right)) (f64.const 1e-3)))
        ;; (gl, gr) and (hl, hr): lane 0 of left and right, lane 1 of left and right.
        (local.set $sums (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $left) (local.get $right)))
        (local.set $hessians (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $left) (local.get $right)))
        ;; Each side's G times its value -G / (H + l2 + 1e-15).
        (local.set $products (f64x2.mul (local.get $sums)
          (f64x2.div (f64x2.neg (local.get $sums))
            (f64x2.add (f64x2.add (local.get $hessians) (local.get $l2s)) (local.get $epsilons)))))
        (local.set $gain (f64.sub (f64.sub (local.get $parent) (f64x2.extract_lane 0 (local.get $products)))
          (f64x2.extract_lane 1 (local.get $products))))
        (if (f64.gt (local.get $gain) (local.get $bestGain))
          (then
            (local.set $bestGain (local.get $gain))
            (local.set $best (i32.div_u (i32.sub (i32.sub (local.get $at) (i32.const 24)) (local.get $histogram)) (i32.const 24)))
            (local.set $bestLeft (local.get $left))))
        (br $bins)))
    (f64.store (local.get $out) (local.get $bestGain))
    (f64.store offset=8 (local.get $out) (f64.convert_i32_s (local.get $best)))
    (v128.store offset=16 (local.get $out) (local.get $bestLeft))))
