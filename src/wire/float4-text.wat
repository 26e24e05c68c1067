;; float4out's text with extra_float_digits >= 1 (float4-shortest.ts loads this module): Postgres's
;; src/common/f2s.c (Ulf Adams's Ryu, github.com/ulfjack/ryu, Boost Software License 1.0) as Postgres builds
;; it, STRICTLY_SHORTEST 0, the small-integer path, fixed notation for decimal exponents -4..5, else d.ddde+XX.
;; Here rather than in JavaScript for the 64-bit multiplies: JavaScript's doubles took the table factors in
;; 22-bit pieces, three multiplies and two floors where Ryu has two integer multiplies, and every division
;; by 10 was a floating-point multiply and floor (BENCHMARKS.md, issue 16, embed12).
;; Names and steps follow f2s.c.
;;
;; Memory: the tables from 0, the caller's floats and text from INPUT (float4-shortest.ts).
(module
  (memory (export "memory") 1)

  ;; f2s.c's FLOAT_POW5_INV_SPLIT[31] (at 0) and FLOAT_POW5_SPLIT[47] (at 256), little-endian uint64s.
  (data (i32.const 0)
    "\01\00\00\00\00\00\00\08\67\66\66\66\66\66\66\06\b9\1e\85\eb\51\b8\1e\05\fa\7e\6a\bc\74\93\18\04"
    "\2a\cb\10\c7\ba\b8\8d\06\22\3c\da\38\62\2d\3e\05\4e\63\7b\2d\e8\bd\31\04\16\d2\2b\af\a6\fc\b5\06"
    "\78\0e\23\8c\b8\63\5e\05\2d\a5\b5\09\fa\82\4b\04\ae\6e\ef\75\f6\37\df\06\58\25\59\5e\f8\5f\7f\05"
    "\47\84\7a\4b\60\e6\65\04\71\a0\5d\12\9a\70\09\07\c1\e6\4a\a8\e1\26\a1\05\67\85\d5\b9\e7\eb\80\04"
    "\0b\6f\22\f6\a5\ac\34\07\a3\25\b5\91\51\bd\c3\05\e9\ea\90\74\74\97\9c\04\0e\ab\b4\ed\53\f2\60\07"
    "\d8\88\90\24\43\28\e7\05\e0\d3\a6\83\02\ed\b8\04\66\b9\d7\05\04\48\8e\07\52\94\ac\04\d0\6c\0b\06"
    "\db\a9\23\6a\a6\f0\d5\04\2b\76\9f\76\3d\b4\bc\07\ef\c4\b2\2b\31\90\30\06\f3\03\8f\bc\8d\a6\f3\04"
    "\51\06\18\94\af\3d\ec\07\da\d1\ac\a9\bf\97\56\06\e2\a7\f0\ba\ff\12\12\05"
  )
  (data (i32.const 256)
    "\00\00\00\00\00\00\00\10\00\00\00\00\00\00\00\14\00\00\00\00\00\00\00\19\00\00\00\00\00\00\40\1f"
    "\00\00\00\00\00\00\88\13\00\00\00\00\00\00\6a\18\00\00\00\00\00\80\84\1e\00\00\00\00\00\d0\12\13"
    "\00\00\00\00\00\84\d7\17\00\00\00\00\00\65\cd\1d\00\00\00\00\20\5f\a0\12\00\00\00\00\e8\76\48\17"
    "\00\00\00\00\a2\94\1a\1d\00\00\00\40\e5\9c\30\12\00\00\00\90\1e\c4\bc\16\00\00\00\34\26\f5\6b\1c"
    "\00\00\80\e0\37\79\c3\11\00\00\a0\d8\85\57\34\16\00\00\c8\4e\67\6d\c1\1b\00\00\3d\91\60\e4\58\11"
    "\00\40\8c\b5\78\1d\af\15\00\50\ef\e2\d6\e4\1a\1b\00\92\d5\4d\06\cf\f0\10\80\f6\4a\e1\c7\02\2d\15"
    "\20\b4\9d\d9\79\43\78\1a\94\90\02\28\2c\2a\8b\10\b9\34\03\32\b7\f4\ad\14\e7\01\84\fe\e4\71\d9\19"
    "\30\81\12\1f\2f\e7\27\10\7c\21\d7\e6\fa\e0\31\14\db\e9\8c\a0\39\59\3e\19\52\24\b0\08\88\ef\8d\1f"
    "\b3\16\6e\05\b5\b5\b8\13\60\9c\c9\46\22\e3\a6\18\78\03\7c\d8\ea\9b\d0\1e\2b\82\4d\c7\72\61\42\13"
    "\b6\e2\20\79\cf\f9\12\18\64\1b\69\57\43\b8\17\1e\1e\b1\a1\16\2a\d3\ce\12\66\1d\4a\9c\f4\87\82\17"
    "\bf\a4\5c\c3\f1\29\63\1d\f7\e6\19\1a\37\fa\5d\12\b5\60\a0\e0\c4\78\f5\16\e3\78\c8\18\f6\d6\b2\1c"
    "\8d\4b\7d\cf\59\c6\ef\11\71\9e\5c\43\f0\b7\6b\16\0d\c6\33\54\ec\a5\06\1c"
  )
  ;; "00" to "99": two digits a store.
  (data (i32.const 640) "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899")

  ;; f2d's result, mantissa * 10^exponent.
  (global $decimalMantissa (mut i32) (i32.const 0))
  (global $decimalExponent (mut i32) (i32.const 0))

  ;; floor(m * factor / 2^shift) for shift > 32 (f2s.c's mulShift32): the removed digit's, seldom needed.
  (func $mulShift (param $m i32) (param $factor i64) (param $shift i32) (result i32)
    (i32.wrap_i64
      (i64.shr_u
        (i64.add
          (i64.shr_u (i64.mul (i64.extend_i32_u (local.get $m)) (i64.and (local.get $factor) (i64.const 0xffffffff))) (i64.const 32))
          (i64.mul (i64.extend_i32_u (local.get $m)) (i64.shr_u (local.get $factor) (i64.const 32))))
        (i64.extend_i32_u (i32.sub (local.get $shift) (i32.const 32))))))

  ;; e == 0 ? 1 : ceil(log2(5^e))
  (func $pow5bits (param $e i32) (result i32)
    (i32.add (i32.shr_u (i32.mul (local.get $e) (i32.const 1217359)) (i32.const 19)) (i32.const 1)))

  (func $multipleOfPowerOf5 (param $value i32) (param $p i32) (result i32)
    (local $count i32)
    (block $done
      (loop $next
        (br_if $done (i32.rem_u (local.get $value) (i32.const 5)))
        (local.set $value (i32.div_u (local.get $value) (i32.const 5)))
        (local.set $count (i32.add (local.get $count) (i32.const 1)))
        (br $next)))
    (i32.ge_u (local.get $count) (local.get $p)))

;; f2s.c's f2d: the shortest decimal inside the float4's rounding interval (ends excluded). Its
  ;; mulShift32s of vr, vp and vm are written out here, on one factor's halves: Node 20's V8 does not
  ;; inline WebAssembly calls (the three calls, and to_chars' below, were ~15% of an array's time).
  (func $f2d (param $ieeeMantissa i32) (param $ieeeExponent i32)
    (local $e2 i32) (local $m2 i32) (local $mv i32) (local $mp i32) (local $mm i32)
    (local $vr i32) (local $vp i32) (local $vm i32) (local $e10 i32) (local $q i32) (local $i i32)
    (local $factor i64) (local $factorLo i64) (local $factorHi i64) (local $shift i64)
    (local $vrIsTrailingZeros i32) (local $lastRemovedDigit i32) (local $removed i32)
    (local $vpDiv10 i32) (local $vmDiv10 i32) (local $vrDiv10 i32)
    (if (i32.eqz (local.get $ieeeExponent))
      (then
        ;; 1 - FLOAT_BIAS - FLOAT_MANTISSA_BITS - 2: two more bits for the bounds.
        (local.set $e2 (i32.const -151))
        (local.set $m2 (local.get $ieeeMantissa)))
      (else
        (local.set $e2 (i32.sub (local.get $ieeeExponent) (i32.const 152)))
        (local.set $m2 (i32.or (local.get $ieeeMantissa) (i32.const 0x800000)))))

    ;; Step 2: the interval of legal decimal representations (acceptBounds is false).
    (local.set $mv (i32.shl (local.get $m2) (i32.const 2)))
    (local.set $mp (i32.add (local.get $mv) (i32.const 2)))
    (local.set $mm
      (i32.sub (i32.sub (local.get $mv) (i32.const 1))
        (i32.or (i32.ne (local.get $ieeeMantissa) (i32.const 0)) (i32.le_u (local.get $ieeeExponent) (i32.const 1)))))

    ;; Step 3: convert to a decimal power base: the factor and shift of each side, then vr, vp, vm.
    (if (i32.ge_s (local.get $e2) (i32.const 0))
      (then
        (local.set $q (i32.shr_u (i32.mul (local.get $e2) (i32.const 78913)) (i32.const 18)))
        (local.set $e10 (local.get $q))
        (local.set $factor (i64.load (i32.shl (local.get $q) (i32.const 3))))
        ;; i = -e2 + q + k, k = FLOAT_POW5_INV_BITCOUNT (59) + pow5bits(q) - 1
        (local.set $i (i32.add (i32.sub (local.get $q) (local.get $e2)) (i32.add (i32.const 58) (call $pow5bits (local.get $q))))))
      (else
        (local.set $q (i32.shr_u (i32.mul (i32.sub (i32.const 0) (local.get $e2)) (i32.const 732923)) (i32.const 20)))
        (local.set $e10 (i32.add (local.get $q) (local.get $e2)))
        (local.set $i (i32.sub (i32.sub (i32.const 0) (local.get $e2)) (local.get $q)))
        (local.set $factor (i64.load offset=256 (i32.shl (local.get $i) (i32.const 3))))))
    (local.set $factorLo (i64.and (local.get $factor) (i64.const 0xffffffff)))
    (local.set $factorHi (i64.shr_u (local.get $factor) (i64.const 32)))
    (local.set $shift
      (i64.extend_i32_u
        (i32.sub
          (if (result i32) (i32.ge_s (local.get $e2) (i32.const 0))
            (then (local.get $i))
            ;; j = q - k, k = pow5bits(i) - FLOAT_POW5_BITCOUNT (61)
            (else (i32.sub (local.get $q) (i32.sub (call $pow5bits (local.get $i)) (i32.const 61)))))
          (i32.const 32))))
    (local.set $vr
      (i32.wrap_i64 (i64.shr_u
        (i64.add
          (i64.shr_u (i64.mul (i64.extend_i32_u (local.get $mv)) (local.get $factorLo)) (i64.const 32))
          (i64.mul (i64.extend_i32_u (local.get $mv)) (local.get $factorHi)))
        (local.get $shift))))
    (local.set $vp
      (i32.wrap_i64 (i64.shr_u
        (i64.add
          (i64.shr_u (i64.mul (i64.extend_i32_u (local.get $mp)) (local.get $factorLo)) (i64.const 32))
          (i64.mul (i64.extend_i32_u (local.get $mp)) (local.get $factorHi)))
        (local.get $shift))))
    (local.set $vm
      (i32.wrap_i64 (i64.shr_u
        (i64.add
          (i64.shr_u (i64.mul (i64.extend_i32_u (local.get $mm)) (local.get $factorLo)) (i64.const 32))
          (i64.mul (i64.extend_i32_u (local.get $mm)) (local.get $factorHi)))
        (local.get $shift))))
    (if (i32.ge_s (local.get $e2) (i32.const 0))
      (then
        (if (i32.and (i32.ne (local.get $q) (i32.const 0))
                     (i32.le_u (i32.div_u (i32.sub (local.get $vp) (i32.const 1)) (i32.const 10)) (i32.div_u (local.get $vm) (i32.const 10))))
          (then
            ;; One removed digit is needed even if the loop below does not run.
            (local.set $lastRemovedDigit
              (i32.rem_u
                (call $mulShift (local.get $mv)
                  (i64.load (i32.shl (i32.sub (local.get $q) (i32.const 1)) (i32.const 3)))
                  (i32.add (i32.sub (i32.sub (local.get $q) (i32.const 1)) (local.get $e2))
                    (i32.add (i32.const 58) (call $pow5bits (i32.sub (local.get $q) (i32.const 1))))))
                (i32.const 10)))))
        (if (i32.le_u (local.get $q) (i32.const 9))
          (then
            ;; Only one of mp, mv, and mm can be a multiple of 5, if any.
            (if (i32.eqz (i32.rem_u (local.get $mv) (i32.const 5)))
              (then (local.set $vrIsTrailingZeros (call $multipleOfPowerOf5 (local.get $mv) (local.get $q))))
              (else (local.set $vp (i32.sub (local.get $vp) (call $multipleOfPowerOf5 (local.get $mp) (local.get $q)))))))))
      (else
        (if (i32.and (i32.ne (local.get $q) (i32.const 0))
                     (i32.le_u (i32.div_u (i32.sub (local.get $vp) (i32.const 1)) (i32.const 10)) (i32.div_u (local.get $vm) (i32.const 10))))
          (then
            (local.set $lastRemovedDigit
              (i32.rem_u
                (call $mulShift (local.get $mv)
                  (i64.load offset=256 (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 3)))
                  (i32.sub (i32.sub (local.get $q) (i32.const 1))
                    (i32.sub (call $pow5bits (i32.add (local.get $i) (i32.const 1))) (i32.const 61))))
                (i32.const 10)))))
        (if (i32.le_u (local.get $q) (i32.const 1))
          (then
            ;; mv = 4 * m2 has at least two trailing zero bits, mp = mv + 2 one.
            (local.set $vrIsTrailingZeros (i32.const 1))
            (local.set $vp (i32.sub (local.get $vp) (i32.const 1))))
          (else
            (if (i32.lt_u (local.get $q) (i32.const 31))
              (then
                (local.set $vrIsTrailingZeros
                  (i32.eqz (i32.and (local.get $mv)
                    (i32.sub (i32.shl (i32.const 1) (i32.sub (local.get $q) (i32.const 1))) (i32.const 1)))))))))))

    ;; Step 4: the shortest decimal representation in the interval.
    (if (local.get $vrIsTrailingZeros)
      (then
        ;; The general case, rare (~4%); vmIsTrailingZeros stays false without acceptBounds.
        (block $done
          (loop $next
            (local.set $vpDiv10 (i32.div_u (local.get $vp) (i32.const 10)))
            (local.set $vmDiv10 (i32.div_u (local.get $vm) (i32.const 10)))
            (br_if $done (i32.le_u (local.get $vpDiv10) (local.get $vmDiv10)))
            (local.set $vrIsTrailingZeros (i32.and (local.get $vrIsTrailingZeros) (i32.eqz (local.get $lastRemovedDigit))))
            (local.set $vrDiv10 (i32.div_u (local.get $vr) (i32.const 10)))
            (local.set $lastRemovedDigit (i32.sub (local.get $vr) (i32.mul (local.get $vrDiv10) (i32.const 10))))
            (local.set $vr (local.get $vrDiv10))
            (local.set $vp (local.get $vpDiv10))
            (local.set $vm (local.get $vmDiv10))
            (local.set $removed (i32.add (local.get $removed) (i32.const 1)))
            (br $next)))
        ;; Round even if the exact number is .....50..0.
        (if (i32.and (i32.and (local.get $vrIsTrailingZeros) (i32.eq (local.get $lastRemovedDigit) (i32.const 5)))
                     (i32.eqz (i32.and (local.get $vr) (i32.const 1))))
          (then (local.set $lastRemovedDigit (i32.const 4)))))
      (else
        ;; The common case.
        (block $done
          (loop $next
            (local.set $vpDiv10 (i32.div_u (local.get $vp) (i32.const 10)))
            (local.set $vmDiv10 (i32.div_u (local.get $vm) (i32.const 10)))
            (br_if $done (i32.le_u (local.get $vpDiv10) (local.get $vmDiv10)))
            (local.set $vrDiv10 (i32.div_u (local.get $vr) (i32.const 10)))
            (local.set $lastRemovedDigit (i32.sub (local.get $vr) (i32.mul (local.get $vrDiv10) (i32.const 10))))
            (local.set $vr (local.get $vrDiv10))
            (local.set $vp (local.get $vpDiv10))
            (local.set $vm (local.get $vmDiv10))
            (local.set $removed (i32.add (local.get $removed) (i32.const 1)))
            (br $next)))))
    ;; vr + 1 if vr is outside the bounds or rounds up.
    (global.set $decimalMantissa
      (i32.add (local.get $vr)
        (i32.or (i32.eq (local.get $vr) (local.get $vm)) (i32.ge_u (local.get $lastRemovedDigit) (i32.const 5)))))
    (global.set $decimalExponent (i32.add (local.get $e10) (local.get $removed))))

  ;; Writes the last `count` decimal digits of v to end each, ending before `end`, two at a time;
  ;; returns v without them.
  (func $writeDigits (param $end i32) (param $v i32) (param $count i32) (result i32)
    (local $q i32)
    (block $done
      (loop $next
        (br_if $done (i32.lt_u (local.get $count) (i32.const 2)))
        (local.set $q (i32.div_u (local.get $v) (i32.const 100)))
        (local.set $end (i32.sub (local.get $end) (i32.const 2)))
        (i32.store16 (local.get $end)
          (i32.load16_u offset=640 (i32.shl (i32.sub (local.get $v) (i32.mul (local.get $q) (i32.const 100))) (i32.const 1))))
        (local.set $v (local.get $q))
        (local.set $count (i32.sub (local.get $count) (i32.const 2)))
        (br $next)))
    (if (result i32) (local.get $count)
      (then
        (local.set $q (i32.div_u (local.get $v) (i32.const 10)))
        (i32.store8 (i32.sub (local.get $end) (i32.const 1))
          (i32.add (i32.const 0x30) (i32.sub (local.get $v) (i32.mul (local.get $q) (i32.const 10)))))
        (local.get $q))
      (else (local.get $v))))

;; float4out's text of the float4 with IEEE bits w, written at `at` (15 bytes free); returns the end.
  ;; f2s.c's f2d_small_int and to_chars are written out in it (V8 does not inline WebAssembly calls).
  (func $float4 (export "float4") (param $w i32) (param $at i32) (result i32)
    (local $ieeeMantissa i32) (local $ieeeExponent i32) (local $sign i32) (local $shift i32)
    (local $output i32) (local $exponent i32) (local $olength i32) (local $exp i32) (local $nexp i32) (local $end i32)
    (local.set $sign (i32.shr_u (local.get $w) (i32.const 31)))
    (local.set $ieeeMantissa (i32.and (local.get $w) (i32.const 0x7fffff)))
    (local.set $ieeeExponent (i32.and (i32.shr_u (local.get $w) (i32.const 23)) (i32.const 0xff)))
    (if (i32.eq (local.get $ieeeExponent) (i32.const 0xff))
      (then
        ;; NaN whatever its sign, [-]Infinity.
        (if (local.get $ieeeMantissa)
          (then
            (i32.store (local.get $at) (i32.const 0x4e_614e))
            (return (i32.add (local.get $at) (i32.const 3)))))
        (if (local.get $sign)
          (then
            (i32.store8 (local.get $at) (i32.const 0x2d))
            (local.set $at (i32.add (local.get $at) (i32.const 1)))))
        ;; "Infinity"
        (i64.store (local.get $at) (i64.const 0x7974_696e_6966_6e49))
        (return (i32.add (local.get $at) (i32.const 8)))))
    (if (local.get $sign)
      (then
        (i32.store8 (local.get $at) (i32.const 0x2d))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))))
    (if (i32.eqz (i32.or (local.get $ieeeExponent) (local.get $ieeeMantissa)))
      (then
        ;; [-]0
        (i32.store8 (local.get $at) (i32.const 0x30))
        (return (i32.add (local.get $at) (i32.const 1)))))

    ;; f2d_small_int: an integer float4 below 2^24 is printed with all its digits. Its -e2,
    ;; e2 = ieeeExponent - FLOAT_BIAS - FLOAT_MANTISSA_BITS, must be 0..23.
    (local.set $shift (i32.sub (i32.const 150) (local.get $ieeeExponent)))
    (if (i32.and (i32.le_u (local.get $shift) (i32.const 23))
                 (i32.eqz (i32.and (local.get $ieeeMantissa) (i32.sub (i32.shl (i32.const 1) (local.get $shift)) (i32.const 1)))))
      (then
        (local.set $output (i32.shr_u (i32.or (local.get $ieeeMantissa) (i32.const 0x800000)) (local.get $shift))))
      (else
        (call $f2d (local.get $ieeeMantissa) (local.get $ieeeExponent))
        (local.set $output (global.get $decimalMantissa))
        (local.set $exponent (global.get $decimalExponent))))

    ;; to_chars: fixed notation for a decimal exponent -4..5 (to_chars_f), else d.dddde+XX.
    (local.set $olength
      (if (result i32) (i32.ge_u (local.get $output) (i32.const 10000))
        (then
          (if (result i32) (i32.ge_u (local.get $output) (i32.const 1000000))
            (then
              (if (result i32) (i32.ge_u (local.get $output) (i32.const 100000000))
                (then (i32.const 9))
                (else (i32.add (i32.const 7) (i32.ge_u (local.get $output) (i32.const 10000000))))))
            (else (i32.add (i32.const 5) (i32.ge_u (local.get $output) (i32.const 100000))))))
        (else
          (if (result i32) (i32.ge_u (local.get $output) (i32.const 100))
            (then (i32.add (i32.const 3) (i32.ge_u (local.get $output) (i32.const 1000))))
            (else (i32.add (i32.const 1) (i32.ge_u (local.get $output) (i32.const 10))))))))
    (local.set $exp (i32.add (local.get $exponent) (i32.sub (local.get $olength) (i32.const 1))))
    (if (i32.and (i32.ge_s (local.get $exp) (i32.const -4)) (i32.lt_s (local.get $exp) (i32.const 6)))
      (then
        (local.set $nexp (i32.add (local.get $exponent) (local.get $olength)))
        (if (i32.le_s (local.get $nexp) (i32.const 0))
          (then
            ;; 0.000ddddd: -nexp (at most 3) zeros after the point.
            (i32.store (local.get $at) (i32.const 0x3030_2e30))
            (i32.store8 offset=4 (local.get $at) (i32.const 0x30))
            (local.set $end (i32.add (i32.sub (i32.add (local.get $at) (i32.const 2)) (local.get $nexp)) (local.get $olength)))
            (drop (call $writeDigits (local.get $end) (local.get $output) (local.get $olength)))
            (return (local.get $end))))
        (if (i32.lt_s (local.get $exponent) (i32.const 0))
          (then
            ;; dddd.dddd: the first nexp digits, the point, the other -exponent.
            (local.set $end (i32.add (i32.add (local.get $at) (local.get $olength)) (i32.const 1)))
            (local.set $output (call $writeDigits (local.get $end) (local.get $output) (i32.sub (i32.const 0) (local.get $exponent))))
            (i32.store8 (i32.add (local.get $at) (local.get $nexp)) (i32.const 0x2e))
            (drop (call $writeDigits (i32.add (local.get $at) (local.get $nexp)) (local.get $output) (local.get $nexp)))
            (return (local.get $end))))
        ;; ddddddddd000: the digits, then exponent (at most 5) zeros.
        (local.set $end (i32.add (local.get $at) (local.get $olength)))
        (drop (call $writeDigits (local.get $end) (local.get $output) (local.get $olength)))
        (i32.store (local.get $end) (i32.const 0x3030_3030))
        (i32.store8 offset=4 (local.get $end) (i32.const 0x30))
        (return (i32.add (local.get $end) (local.get $exponent)))))
    ;; The small-integer path may leave trailing (decimal) zeros: scientific notation drops them.
    (if (i32.eqz (local.get $exponent))
      (then
        (block $done
          (loop $next
            (br_if $done (i32.rem_u (local.get $output) (i32.const 10)))
            (local.set $output (i32.div_u (local.get $output) (i32.const 10)))
            (local.set $olength (i32.sub (local.get $olength) (i32.const 1)))
            (br $next)))))
    ;; d.dddd, the point only after a first digit that has others after it.
    (if (i32.gt_u (local.get $olength) (i32.const 1))
      (then
        (local.set $end (i32.add (i32.add (local.get $at) (local.get $olength)) (i32.const 1)))
        (local.set $output (call $writeDigits (local.get $end) (local.get $output) (i32.sub (local.get $olength) (i32.const 1))))
        (i32.store8 offset=1 (local.get $at) (i32.const 0x2e)))
      (else (local.set $end (i32.add (local.get $at) (i32.const 1)))))
    (i32.store8 (local.get $at) (i32.add (i32.const 0x30) (local.get $output)))
    ;; e+XX or e-XX: a float4's decimal exponent has two digits.
    (if (i32.lt_s (local.get $exp) (i32.const 0))
      (then
        (i32.store16 (local.get $end) (i32.const 0x2d65))
        (local.set $exp (i32.sub (i32.const 0) (local.get $exp))))
      (else (i32.store16 (local.get $end) (i32.const 0x2b65))))
    (i32.store16 offset=2 (local.get $end) (i32.load16_u offset=640 (i32.shl (local.get $exp) (i32.const 1))))
    (i32.add (local.get $end) (i32.const 4)))

  ;; array_out of the n float4s from `input`: {a,b,...} written at `at` (2 + 16n bytes free); returns the end.
  (func (export "array") (param $input i32) (param $n i32) (param $at i32) (result i32)
    (local $end i32)
    (i32.store8 (local.get $at) (i32.const 0x7b))
    (local.set $at (i32.add (local.get $at) (i32.const 1)))
    (local.set $end (i32.add (local.get $input) (i32.shl (local.get $n) (i32.const 2))))
    (if (local.get $n)
      (then
        (loop $next
          (local.set $at (i32.add (call $float4 (i32.load (local.get $input)) (local.get $at)) (i32.const 1)))
          (i32.store8 (i32.sub (local.get $at) (i32.const 1)) (i32.const 0x2c))
          (local.set $input (i32.add (local.get $input) (i32.const 4)))
          (br_if $next (i32.lt_u (local.get $input) (local.get $end))))
        (local.set $at (i32.sub (local.get $at) (i32.const 1)))))
    (i32.store8 (local.get $at) (i32.const 0x7d))
    (i32.add (local.get $at) (i32.const 1))))
