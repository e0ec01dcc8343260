;; WebAssembly SIMD (v128, f32x4) kernels for ensemble rollouts on the host (see
;; mlp-kernel.ts, host-ensemble.ts and host-trajectory-evaluator.ts for the TypeScript side).
;; Compiled at build time by scripts/compile-wasm.mjs (wabt) to mlp-kernel.wasm beside the
;; compiled JavaScript. All pointers are byte offsets into the one exported memory, which the
;; host lays out once per (rows, network) layout; 0 means "none" where a pointer is optional.
;;
;; dense: y = act(x W + b) for row-major x [rows, in] and W packed in column panels:
;;   the panel of columns j .. j+15 (or j .. j+7 for a last 8-wide panel) is stored at float
;;   offset j * in as `in` rows of 16 (or 8) floats, so a panel is read front to back.
;;   `out` is a multiple of 8. The main micro-kernel holds 2 rows x 16 columns of
;;   accumulators (8 v128: with the 4 weight vectors and one broadcast that stays inside the
;;   16 vector registers of x86-64, so nothing spills; 3 or 4 rows x 16 spill and run ~35%
;;   slower in V8, measured); a last 8-wide panel uses 3 rows x 8. There is no FMA in wasm
;;   SIMD 1.0: each step is a mul and an add. ~36-39 GFLOP/s on one core of the benchmark
;;   machine for 64- to 512-wide layers. Row counts that are not a multiple of the block
;;   repeat the last row (its result is written twice, identically), so any rows >= 1 work
;;   without a scalar tail.
;;
;; Transcendentals are Cephes' float polynomials (S. Moshier), vectorised:
;;   exp: x = n ln2 + r (Cody-Waite split of ln2), |r| <= ln2/2, e^r = 1 + r + r^2 P5(r),
;;        n rounded by adding 1.5 * 2^23, 2^n built in the exponent bits; inputs clamped to
;;        [-87, 88] so 2^n stays a normal float; ~1-2 ulp.
;;   log: frexp by bit manipulation, m in [sqrt(1/2), sqrt(2)), degree-8 polynomial; ~1 ulp.
;;   swish(x) = x / (1 + exp(-x)), exp inlined by hand (V8 in Node 20 does not inline wasm
;;        calls, and a call per vector costs 3x the arithmetic) with a shorter degree-3
;;        relative-minimax P3: measured max relative error 2.4e-7 over [-30, 30] (test:
;;        < 1e-6); below x = -87 both the exact value and this one are < 1e-36 in magnitude.
;;   tanh: |x| < 0.625: odd polynomial (Cephes tanhf); else 1 - 2 / (exp(2|x|) + 1), sign
;;        restored; ~2 ulp.
;;   sin, cos on [-pi/4, pi/4] (Cephes sinf/cosf polynomials): features (with a quadrant
;;        reduction) and Box-Muller noise.
;; NaN inputs propagate to NaN outputs everywhere (pmin/pmax keep a NaN first operand), so a
;; diverged rollout stays non-finite and is scored Infinity by the caller.
(module
  (memory (export "memory") 1)

  ;; ---------------------------------------------------------------- math helpers

  (func $exp (param $x v128) (result v128)
    (local $m v128) (local $n v128) (local $r v128) (local $p v128)
    (local.set $x
      (f32x4.pmax
        (f32x4.pmin (local.get $x) (v128.const f32x4 88 88 88 88))
        (v128.const f32x4 -87 -87 -87 -87)))
    ;; n = round(x log2 e): adding 1.5 * 2^23 rounds to an integer held in the low mantissa bits.
    (local.set $m
      (f32x4.add
        (f32x4.mul (local.get $x) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))
        (v128.const f32x4 12582912 12582912 12582912 12582912)))
    (local.set $n (f32x4.sub (local.get $m) (v128.const f32x4 12582912 12582912 12582912 12582912)))
    ;; r = x - n ln2 with ln2 = 0.693359375 - 2.12194440e-4 (the first part exact in float).
    (local.set $r
      (f32x4.sub
        (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
        (f32x4.mul (local.get $n) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $p (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    ;; e^r = 1 + r + r^2 p(r); times 2^n via the exponent field.
    (f32x4.mul
      (f32x4.add
        (f32x4.add (f32x4.mul (f32x4.mul (local.get $p) (local.get $r)) (local.get $r)) (local.get $r))
        (v128.const f32x4 1 1 1 1))
      ;; 2^n: the low bits of m are n (+ a multiple of 2^9 that the shift drops).
      (i32x4.shl (i32x4.add (local.get $m) (v128.const i32x4 127 127 127 127)) (i32.const 23))))

  ;; Natural log of positive normal floats.
  (func $log (param $x v128) (result v128)
    (local $e v128) (local $m v128) (local $small v128) (local $z v128) (local $y v128)
    ;; x = m 2^e with m in [0.5, 1).
    (local.set $e
      (f32x4.convert_i32x4_s
        (i32x4.sub (i32x4.shr_u (local.get $x) (i32.const 23)) (v128.const i32x4 126 126 126 126))))
    (local.set $m
      (v128.or
        (v128.and (local.get $x) (v128.const i32x4 0x007fffff 0x007fffff 0x007fffff 0x007fffff))
        (v128.const i32x4 0x3f000000 0x3f000000 0x3f000000 0x3f000000)))
    ;; m < sqrt(1/2): use 2m - 1 and e - 1, so the polynomial's argument stays in [-0.29, 0.41).
    (local.set $small (f32x4.lt (local.get $m) (v128.const f32x4 0.707106781186547524 0.707106781186547524 0.707106781186547524 0.707106781186547524)))
    (local.set $e
      (f32x4.sub (local.get $e) (v128.and (local.get $small) (v128.const f32x4 1 1 1 1))))
    (local.set $m
      (f32x4.sub
        (f32x4.add (local.get $m) (v128.and (local.get $small) (local.get $m)))
        (v128.const f32x4 1 1 1 1)))
    (local.set $z (f32x4.mul (local.get $m) (local.get $m)))
    (local.set $y (v128.const f32x4 7.0376836292e-2 7.0376836292e-2 7.0376836292e-2 7.0376836292e-2))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $m)) (v128.const f32x4 -1.1514610310e-1 -1.1514610310e-1 -1.1514610310e-1 -1.1514610310e-1)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $m)) (v128.const f32x4 1.1676998740e-1 1.1676998740e-1 1.1676998740e-1 1.1676998740e-1)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $m)) (v128.const f32x4 -1.2420140846e-1 -1.2420140846e-1 -1.2420140846e-1 -1.2420140846e-1)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $m)) (v128.const f32x4 1.4249322787e-1 1.4249322787e-1 1.4249322787e-1 1.4249322787e-1)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $m)) (v128.const f32x4 -1.6668057665e-1 -1.6668057665e-1 -1.6668057665e-1 -1.6668057665e-1)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $m)) (v128.const f32x4 2.0000714765e-1 2.0000714765e-1 2.0000714765e-1 2.0000714765e-1)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $m)) (v128.const f32x4 -2.4999993993e-1 -2.4999993993e-1 -2.4999993993e-1 -2.4999993993e-1)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $m)) (v128.const f32x4 3.3333331174e-1 3.3333331174e-1 3.3333331174e-1 3.3333331174e-1)))
    (local.set $y (f32x4.mul (f32x4.mul (local.get $y) (local.get $m)) (local.get $z)))
    (local.set $y
      (f32x4.add (local.get $y) (f32x4.mul (local.get $e) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $y (f32x4.sub (local.get $y) (f32x4.mul (local.get $z) (v128.const f32x4 0.5 0.5 0.5 0.5))))
    (f32x4.add
      (f32x4.add (local.get $m) (local.get $y))
      (f32x4.mul (local.get $e) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))

  (func $tanh (param $x v128) (result v128)
    (local $a v128) (local $z v128) (local $p v128) (local $big v128)
    (local.set $a (f32x4.abs (local.get $x)))
    ;; Small |x|: x + x z P(z), z = x^2 (Cephes tanhf).
    (local.set $z (f32x4.mul (local.get $x) (local.get $x)))
    (local.set $p (v128.const f32x4 -5.70498872745e-3 -5.70498872745e-3 -5.70498872745e-3 -5.70498872745e-3))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (v128.const f32x4 2.06390887954e-2 2.06390887954e-2 2.06390887954e-2 2.06390887954e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (v128.const f32x4 -5.37397155531e-2 -5.37397155531e-2 -5.37397155531e-2 -5.37397155531e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (v128.const f32x4 1.33314422036e-1 1.33314422036e-1 1.33314422036e-1 1.33314422036e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (v128.const f32x4 -3.33332819422e-1 -3.33332819422e-1 -3.33332819422e-1 -3.33332819422e-1)))
    (local.set $p
      (f32x4.add (local.get $x) (f32x4.mul (f32x4.mul (local.get $p) (local.get $z)) (local.get $x))))
    ;; Large |x|: 1 - 2 / (exp(2|x|) + 1) with the sign of x (exp clamps, so this saturates at 1).
    (local.set $big
      (f32x4.sub
        (v128.const f32x4 1 1 1 1)
        (f32x4.div
          (v128.const f32x4 2 2 2 2)
          (f32x4.add (call $exp (f32x4.add (local.get $a) (local.get $a))) (v128.const f32x4 1 1 1 1)))))
    (local.set $big
      (v128.or
        (local.get $big)
        (v128.and (local.get $x) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))
    (v128.bitselect
      (local.get $big)
      (local.get $p)
      (f32x4.ge (local.get $a) (v128.const f32x4 0.625 0.625 0.625 0.625))))

  ;; ---------------------------------------------------------------- dense layer

  ;; One 16-column panel for all rows, 2 rows at a time. Strides in bytes.
  (func $panel16
    (param $x i32) (param $xs i32) (param $w i32) (param $b i32) (param $y i32) (param $ys i32)
    (param $rows i32) (param $in i32)
    (local $r i32) (local $r1 i32) (local $k i32) (local $wp i32) (local $xp0 i32) (local $xp1 i32) (local $yp i32)
    (local $a v128) (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128)
    (local $c00 v128) (local $c01 v128) (local $c02 v128) (local $c03 v128)
    (local $c10 v128) (local $c11 v128) (local $c12 v128) (local $c13 v128)
    (block $done
      (loop $rows_loop
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        ;; The second row of the block, or the first again past the end.
        (local.set $r1 (i32.add (local.get $r) (i32.const 1)))
        (if (i32.ge_u (local.get $r1) (local.get $rows)) (then (local.set $r1 (local.get $r))))
        (local.set $c00 (v128.load (local.get $b)))
        (local.set $c01 (v128.load offset=16 (local.get $b)))
        (local.set $c02 (v128.load offset=32 (local.get $b)))
        (local.set $c03 (v128.load offset=48 (local.get $b)))
        (local.set $c10 (local.get $c00))
        (local.set $c11 (local.get $c01))
        (local.set $c12 (local.get $c02))
        (local.set $c13 (local.get $c03))
        (local.set $wp (local.get $w))
        (local.set $xp0 (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $xs))))
        (local.set $xp1 (i32.add (local.get $x) (i32.mul (local.get $r1) (local.get $xs))))
        (local.set $k (local.get $in))
        (loop $k_loop
          (local.set $w0 (v128.load (local.get $wp)))
          (local.set $w1 (v128.load offset=16 (local.get $wp)))
          (local.set $w2 (v128.load offset=32 (local.get $wp)))
          (local.set $w3 (v128.load offset=48 (local.get $wp)))
          (local.set $a (v128.load32_splat (local.get $xp0)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $w0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $w1))))
          (local.set $c02 (f32x4.add (local.get $c02) (f32x4.mul (local.get $a) (local.get $w2))))
          (local.set $c03 (f32x4.add (local.get $c03) (f32x4.mul (local.get $a) (local.get $w3))))
          (local.set $a (v128.load32_splat (local.get $xp1)))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a) (local.get $w0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a) (local.get $w1))))
          (local.set $c12 (f32x4.add (local.get $c12) (f32x4.mul (local.get $a) (local.get $w2))))
          (local.set $c13 (f32x4.add (local.get $c13) (f32x4.mul (local.get $a) (local.get $w3))))
          (local.set $wp (i32.add (local.get $wp) (i32.const 64)))
          (local.set $xp0 (i32.add (local.get $xp0) (i32.const 4)))
          (local.set $xp1 (i32.add (local.get $xp1) (i32.const 4)))
          (br_if $k_loop (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
        (local.set $yp (i32.add (local.get $y) (i32.mul (local.get $r) (local.get $ys))))
        (v128.store (local.get $yp) (local.get $c00))
        (v128.store offset=16 (local.get $yp) (local.get $c01))
        (v128.store offset=32 (local.get $yp) (local.get $c02))
        (v128.store offset=48 (local.get $yp) (local.get $c03))
        (local.set $yp (i32.add (local.get $y) (i32.mul (local.get $r1) (local.get $ys))))
        (v128.store (local.get $yp) (local.get $c10))
        (v128.store offset=16 (local.get $yp) (local.get $c11))
        (v128.store offset=32 (local.get $yp) (local.get $c12))
        (v128.store offset=48 (local.get $yp) (local.get $c13))
        (local.set $r (i32.add (local.get $r) (i32.const 2)))
        (br $rows_loop))))

  ;; One 8-column panel for all rows, 3 rows at a time.
  (func $panel8
    (param $x i32) (param $xs i32) (param $w i32) (param $b i32) (param $y i32) (param $ys i32)
    (param $rows i32) (param $in i32)
    (local $r i32) (local $r1 i32) (local $r2 i32) (local $k i32) (local $wp i32)
    (local $xp0 i32) (local $xp1 i32) (local $xp2 i32) (local $yp i32)
    (local $a v128) (local $w0 v128) (local $w1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128)
    (block $done
      (loop $rows_loop
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $r1 (i32.add (local.get $r) (i32.const 1)))
        (if (i32.ge_u (local.get $r1) (local.get $rows)) (then (local.set $r1 (local.get $r))))
        (local.set $r2 (i32.add (local.get $r) (i32.const 2)))
        (if (i32.ge_u (local.get $r2) (local.get $rows)) (then (local.set $r2 (local.get $r1))))
        (local.set $c00 (v128.load (local.get $b)))
        (local.set $c01 (v128.load offset=16 (local.get $b)))
        (local.set $c10 (local.get $c00))
        (local.set $c11 (local.get $c01))
        (local.set $c20 (local.get $c00))
        (local.set $c21 (local.get $c01))
        (local.set $wp (local.get $w))
        (local.set $xp0 (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $xs))))
        (local.set $xp1 (i32.add (local.get $x) (i32.mul (local.get $r1) (local.get $xs))))
        (local.set $xp2 (i32.add (local.get $x) (i32.mul (local.get $r2) (local.get $xs))))
        (local.set $k (local.get $in))
        (loop $k_loop
          (local.set $w0 (v128.load (local.get $wp)))
          (local.set $w1 (v128.load offset=16 (local.get $wp)))
          (local.set $a (v128.load32_splat (local.get $xp0)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $w0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $w1))))
          (local.set $a (v128.load32_splat (local.get $xp1)))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a) (local.get $w0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a) (local.get $w1))))
          (local.set $a (v128.load32_splat (local.get $xp2)))
          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a) (local.get $w0))))
          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a) (local.get $w1))))
          (local.set $wp (i32.add (local.get $wp) (i32.const 32)))
          (local.set $xp0 (i32.add (local.get $xp0) (i32.const 4)))
          (local.set $xp1 (i32.add (local.get $xp1) (i32.const 4)))
          (local.set $xp2 (i32.add (local.get $xp2) (i32.const 4)))
          (br_if $k_loop (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
        (local.set $yp (i32.add (local.get $y) (i32.mul (local.get $r) (local.get $ys))))
        (v128.store (local.get $yp) (local.get $c00))
        (v128.store offset=16 (local.get $yp) (local.get $c01))
        (local.set $yp (i32.add (local.get $y) (i32.mul (local.get $r1) (local.get $ys))))
        (v128.store (local.get $yp) (local.get $c10))
        (v128.store offset=16 (local.get $yp) (local.get $c11))
        (local.set $yp (i32.add (local.get $y) (i32.mul (local.get $r2) (local.get $ys))))
        (v128.store (local.get $yp) (local.get $c20))
        (v128.store offset=16 (local.get $yp) (local.get $c21))
        (local.set $r (i32.add (local.get $r) (i32.const 3)))
        (br $rows_loop))))

  ;; In-place activation of n floats (n a multiple of 4): 0 none, 1 relu, 2 swish, 3 tanh.
  (func $activate (param $p i32) (param $n i32) (param $act i32)
    (local $end i32) (local $x v128) (local $e v128) (local $m v128) (local $k v128) (local $r v128) (local $q v128)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (if (i32.eqz (local.get $n)) (then (return)))
    (block $done
      (br_if $done (i32.eqz (local.get $act)))
      (if (i32.eq (local.get $act) (i32.const 1))
        (then
          (loop $relu
            (v128.store (local.get $p) (f32x4.pmax (v128.load (local.get $p)) (v128.const f32x4 0 0 0 0)))
            (br_if $relu (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 16))) (local.get $end))))
          (br $done)))
      (if (i32.eq (local.get $act) (i32.const 2))
        (then
          ;; swish with $exp(-x) inlined by hand: V8 in Node 20 does not inline wasm calls,
          ;; and a call per vector would cost 3x the arithmetic on this hot path.
          (loop $swish
            (local.set $x (v128.load (local.get $p)))
            (local.set $e
              (f32x4.pmax
                (f32x4.pmin (f32x4.neg (local.get $x)) (v128.const f32x4 88 88 88 88))
                (v128.const f32x4 -87 -87 -87 -87)))
            (local.set $m
              (f32x4.add
                (f32x4.mul (local.get $e) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))
                (v128.const f32x4 12582912 12582912 12582912 12582912)))
            (local.set $k (f32x4.sub (local.get $m) (v128.const f32x4 12582912 12582912 12582912 12582912)))
            (local.set $r
              (f32x4.sub
                (f32x4.sub (local.get $e) (f32x4.mul (local.get $k) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
                (f32x4.mul (local.get $k) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
            ;; A shorter polynomial than $exp's: a degree-3 relative-minimax fit of
            ;; (e^r - 1 - r) / r^2, max relative error of e^r 1.6e-7 in float32.
            (local.set $q (v128.const f32x4 8.3125249458e-3 8.3125249458e-3 8.3125249458e-3 8.3125249458e-3))
            (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $r)) (v128.const f32x4 4.1890113276e-2 4.1890113276e-2 4.1890113276e-2 4.1890113276e-2)))
            (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $r)) (v128.const f32x4 1.6667114465e-1 1.6667114465e-1 1.6667114465e-1 1.6667114465e-1)))
            (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $r)) (v128.const f32x4 4.9999231790e-1 4.9999231790e-1 4.9999231790e-1 4.9999231790e-1)))
            (local.set $e
              (f32x4.mul
                (f32x4.add
                  (f32x4.add (f32x4.mul (f32x4.mul (local.get $q) (local.get $r)) (local.get $r)) (local.get $r))
                  (v128.const f32x4 1 1 1 1))
                (i32x4.shl (i32x4.add (local.get $m) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
            (v128.store (local.get $p)
              (f32x4.div (local.get $x) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $e))))
            (br_if $swish (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 16))) (local.get $end))))
          (br $done)))
      (loop $tanh
        (v128.store (local.get $p) (call $tanh (v128.load (local.get $p))))
        (br_if $tanh (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 16))) (local.get $end))))))

  ;; y [rows, out] = act(x [rows, in] W + b); W packed in panels (see the header), out % 8 == 0.
  (func (export "dense")
    (param $x i32) (param $w i32) (param $b i32) (param $y i32)
    (param $rows i32) (param $in i32) (param $out i32) (param $act i32)
    (local $j i32) (local $xs i32) (local $ys i32) (local $full i32)
    (if (i32.eqz (local.get $rows)) (then (return)))
    (local.set $xs (i32.shl (local.get $in) (i32.const 2)))
    (local.set $ys (i32.shl (local.get $out) (i32.const 2)))
    (local.set $full (i32.and (local.get $out) (i32.const -16)))
    (block $done
      (loop $panels
        (br_if $done (i32.ge_u (local.get $j) (local.get $full)))
        (call $panel16
          (local.get $x) (local.get $xs)
          (i32.add (local.get $w) (i32.mul (local.get $j) (local.get $xs)))
          (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2)))
          (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2)))
          (local.get $ys) (local.get $rows) (local.get $in))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $panels)))
    (if (i32.lt_u (local.get $full) (local.get $out))
      (then
        (call $panel8
          (local.get $x) (local.get $xs)
          (i32.add (local.get $w) (i32.mul (local.get $full) (local.get $xs)))
          (i32.add (local.get $b) (i32.shl (local.get $full) (i32.const 2)))
          (i32.add (local.get $y) (i32.shl (local.get $full) (i32.const 2)))
          (local.get $ys) (local.get $rows) (local.get $in))))
    (call $activate (local.get $y) (i32.mul (local.get $rows) (local.get $out)) (local.get $act)))

  ;; Element-wise activation on its own (tests compare it with Math.exp / Math.tanh).
  (func (export "activate") (param $p i32) (param $n i32) (param $act i32)
    (call $activate (local.get $p) (local.get $n) (local.get $act)))

  ;; ---------------------------------------------------------------- features

  ;; Model inputs of every row (Chua et al. 2018 feed angles as sin/cos): x row (at slot
  ;; slots[r] if slots != 0, else r; d floats per row) = [plain state entries | sin of the
  ;; angle entries | cos of them | action]. layout -> int32 [nPlain, plain..., nAngles,
  ;; angles...] (state indices). Row r = particle * population + candidate takes candidate
  ;; c's action at act + c * astride bytes (a floats). Scalar code: sin and cos share one
  ;; range reduction (j = round(v 2/pi), Cody-Waite split of pi/2) and Cephes' sinf/cosf
  ;; polynomials on [-pi/4, pi/4], ~1 ulp for |v| < 1e4.
  (func (export "features")
    (param $state i32) (param $s4 i32) (param $rows i32) (param $x i32) (param $d i32)
    (param $layout i32) (param $act i32) (param $astride i32) (param $a i32) (param $population i32)
    (param $slots i32)
    (local $r i32) (local $c i32) (local $i i32) (local $xo i32) (local $so i32) (local $ap i32)
    (local $nplain i32) (local $nang i32) (local $angles i32)
    (local $v f32) (local $j f32) (local $t f32) (local $z f32) (local $sp f32) (local $cp f32) (local $q i32)
    (local.set $nplain (i32.load (local.get $layout)))
    (local.set $angles (i32.add (local.get $layout) (i32.shl (i32.add (local.get $nplain) (i32.const 1)) (i32.const 2))))
    (local.set $nang (i32.load (local.get $angles)))
    (local.set $angles (i32.add (local.get $angles) (i32.const 4)))
    (block $done
      (loop $rows_loop
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $xo
          (i32.add
            (local.get $x)
            (i32.shl
              (i32.mul
                (local.get $d)
                (if (result i32) (local.get $slots)
                  (then (i32.load (i32.add (local.get $slots) (i32.shl (local.get $r) (i32.const 2)))))
                  (else (local.get $r))))
              (i32.const 2))))
        (local.set $so (i32.add (local.get $state) (i32.shl (i32.mul (local.get $r) (local.get $s4)) (i32.const 2))))
        (local.set $i (i32.const 0))
        (block $plain_done
          (loop $plain
            (br_if $plain_done (i32.ge_u (local.get $i) (local.get $nplain)))
            (f32.store (local.get $xo)
              (f32.load
                (i32.add
                  (local.get $so)
                  (i32.shl (i32.load offset=4 (i32.add (local.get $layout) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2)))))
            (local.set $xo (i32.add (local.get $xo) (i32.const 4)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $plain)))
        (local.set $i (i32.const 0))
        (block $angles_done
          (loop $angle
            (br_if $angles_done (i32.ge_u (local.get $i) (local.get $nang)))
            (local.set $v
              (f32.load
                (i32.add
                  (local.get $so)
                  (i32.shl (i32.load (i32.add (local.get $angles) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2)))))
            (local.set $j (f32.nearest (f32.mul (local.get $v) (f32.const 0.636619772367581343))))
            (local.set $t
              (f32.sub
                (f32.sub
                  (f32.sub (local.get $v) (f32.mul (local.get $j) (f32.const 1.5703125)))
                  (f32.mul (local.get $j) (f32.const 4.837512969970703125e-4)))
                (f32.mul (local.get $j) (f32.const 7.54978995489188216e-8))))
            (local.set $z (f32.mul (local.get $t) (local.get $t)))
            (local.set $sp
              (f32.add
                (local.get $t)
                (f32.mul
                  (f32.mul
                    (f32.add
                      (f32.mul
                        (f32.add (f32.mul (local.get $z) (f32.const -1.9515295891e-4)) (f32.const 8.3321608736e-3))
                        (local.get $z))
                      (f32.const -1.6666654611e-1))
                    (local.get $z))
                  (local.get $t))))
            (local.set $cp
              (f32.add
                (f32.sub
                  (f32.mul
                    (f32.mul
                      (f32.add
                        (f32.mul
                          (f32.add (f32.mul (local.get $z) (f32.const 2.443315711809948e-5)) (f32.const -1.388731625493765e-3))
                          (local.get $z))
                        (f32.const 4.166664568298827e-2))
                      (local.get $z))
                    (local.get $z))
                  (f32.mul (local.get $z) (f32.const 0.5)))
                (f32.const 1)))
            ;; Quadrant j mod 4: (sin, cos) = (s, c), (c, -s), (-s, -c), (-c, s).
            (local.set $q (i32.and (i32.trunc_sat_f32_s (local.get $j)) (i32.const 3)))
            (if (i32.and (local.get $q) (i32.const 1))
              (then
                (local.set $t (local.get $sp))
                (local.set $sp (local.get $cp))
                (local.set $cp (f32.neg (local.get $t)))))
            (if (i32.and (local.get $q) (i32.const 2))
              (then
                (local.set $sp (f32.neg (local.get $sp)))
                (local.set $cp (f32.neg (local.get $cp)))))
            (f32.store (local.get $xo) (local.get $sp))
            (f32.store (i32.add (local.get $xo) (i32.shl (local.get $nang) (i32.const 2))) (local.get $cp))
            (local.set $xo (i32.add (local.get $xo) (i32.const 4)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $angle)))
        (local.set $xo (i32.add (local.get $xo) (i32.shl (local.get $nang) (i32.const 2))))
        (local.set $ap (i32.add (local.get $act) (i32.mul (local.get $c) (local.get $astride))))
        (local.set $i (i32.const 0))
        (block $actions_done
          (loop $action
            (br_if $actions_done (i32.ge_u (local.get $i) (local.get $a)))
            (f32.store (local.get $xo) (f32.load (local.get $ap)))
            (local.set $xo (i32.add (local.get $xo) (i32.const 4)))
            (local.set $ap (i32.add (local.get $ap) (i32.const 4)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $action)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (if (i32.eq (local.get $c) (local.get $population)) (then (local.set $c (i32.const 0))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows_loop))))

  ;; ---------------------------------------------------------------- rollout heads
  ;; State-like buffers have a row stride of s4 floats (stateDim rounded up to 4); the last
  ;; layer's output rows are [delta mean (s4) | raw log-variance (s4) | padding].
  ;; mask -> s4 lane masks (all ones where j < stateDim), applied to noise read with stride s.
  ;;
  ;; PETS soft log-variance bounds (Chua et al. 2018, appendix A.1), normalised units:
  ;;   lv = min + softplus(u),  u = max - softplus(max - raw);  sigma^2 = exp(lv) sigma_out^2.
  ;; With exp(softplus(v)) = 1 + e^v and exp(-softplus(v)) = 1 / (1 + e^v) this is
  ;;   sigma^2 = c^2 (1 + k / (1 + exp(max - raw))),  k = e^(max - min),  c^2 = e^min sigma_out^2,
  ;; one exp per entry instead of three exps and two logs. bounds -> one member's
  ;; [max (s4) | k (s4) | c (s4)], prepared by the host (k clamped to the float range, which
  ;; only matters if max - min > 88).
  (func $boundedVariance (param $raw v128) (param $max v128) (param $k v128) (param $c v128) (result v128)
    (f32x4.mul
      (f32x4.mul (local.get $c) (local.get $c))
      (f32x4.add
        (v128.const f32x4 1 1 1 1)
        (f32x4.div
          (local.get $k)
          (f32x4.add (v128.const f32x4 1 1 1 1) (call $exp (f32x4.sub (local.get $max) (local.get $raw))))))))

  ;; In place on rows [mean | raw lv] with byte stride `stride`: mean += sigma z, where
  ;; z [rows, s] are standard normals (row stride s floats, lanes past s masked off).
  (func (export "sample")
    (param $raw i32) (param $stride i32) (param $rows i32) (param $s4 i32) (param $bounds i32)
    (param $noise i32) (param $s i32) (param $mask i32)
    (local $r i32) (local $c i32) (local $p i32) (local $q i32) (local $sb i32)
    (local.set $sb (i32.shl (local.get $s4) (i32.const 2)))
    (block $done
      (loop $rows_loop
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $c (i32.const 0))
        (loop $chunks
          (local.set $p (i32.add (local.get $raw) (i32.shl (local.get $c) (i32.const 2))))
          (local.set $q (i32.add (local.get $bounds) (i32.shl (local.get $c) (i32.const 2))))
          (v128.store (local.get $p)
            (f32x4.add
              (v128.load (local.get $p))
              (f32x4.mul
                (f32x4.sqrt
                  (call $boundedVariance
                    (v128.load (i32.add (local.get $p) (local.get $sb)))
                    (v128.load (local.get $q))
                    (v128.load (i32.add (local.get $q) (local.get $sb)))
                    (v128.load (i32.add (local.get $q) (i32.shl (local.get $sb) (i32.const 1))))))
                (v128.and
                  (v128.load (i32.add (local.get $noise) (i32.shl (local.get $c) (i32.const 2))))
                  (v128.load (i32.add (local.get $mask) (i32.shl (local.get $c) (i32.const 2))))))))
          (br_if $chunks (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 4))) (local.get $s4))))
        (local.set $raw (i32.add (local.get $raw) (local.get $stride)))
        (local.set $noise (i32.add (local.get $noise) (i32.shl (local.get $s) (i32.const 2))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows_loop))))

  ;; Expectation over members: sum [rows, s4] (+)= mean; if var != 0, var (+)= sigma^2.
  ;; first != 0 overwrites instead of adding (the first member).
  (func (export "accumulate")
    (param $raw i32) (param $stride i32) (param $rows i32) (param $s4 i32) (param $bounds i32)
    (param $sum i32) (param $var i32) (param $first i32)
    (local $r i32) (local $c i32) (local $p i32) (local $q i32) (local $o i32) (local $sb i32) (local $v v128)
    (local.set $sb (i32.shl (local.get $s4) (i32.const 2)))
    (block $done
      (loop $rows_loop
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $c (i32.const 0))
        (loop $chunks
          (local.set $p (i32.add (local.get $raw) (i32.shl (local.get $c) (i32.const 2))))
          (local.set $q (i32.add (local.get $bounds) (i32.shl (local.get $c) (i32.const 2))))
          (local.set $o
            (i32.add (i32.shl (i32.add (i32.mul (local.get $r) (local.get $s4)) (local.get $c)) (i32.const 2)) (local.get $sum)))
          (if (local.get $first)
            (then (v128.store (local.get $o) (v128.load (local.get $p))))
            (else (v128.store (local.get $o) (f32x4.add (v128.load (local.get $o)) (v128.load (local.get $p))))))
          (if (local.get $var)
            (then
              (local.set $v
                (call $boundedVariance
                  (v128.load (i32.add (local.get $p) (local.get $sb)))
                  (v128.load (local.get $q))
                  (v128.load (i32.add (local.get $q) (local.get $sb)))
                  (v128.load (i32.add (local.get $q) (i32.shl (local.get $sb) (i32.const 1))))))
              (local.set $o (i32.add (local.get $o) (i32.sub (local.get $var) (local.get $sum))))
              (if (local.get $first)
                (then (v128.store (local.get $o) (local.get $v)))
                (else (v128.store (local.get $o) (f32x4.add (v128.load (local.get $o)) (local.get $v)))))))
          (br_if $chunks (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 4))) (local.get $s4))))
        (local.set $raw (i32.add (local.get $raw) (local.get $stride)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows_loop))))

  ;; Expectation result in place: sum = sum / k, plus sqrt(var / k) z when noise != 0.
  (func (export "finish")
    (param $sum i32) (param $var i32) (param $rows i32) (param $s4 i32) (param $invk f32)
    (param $noise i32) (param $s i32) (param $mask i32)
    (local $r i32) (local $c i32) (local $o i32) (local $q i32) (local $k v128) (local $m v128)
    (local.set $k (f32x4.splat (local.get $invk)))
    (block $done
      (loop $rows_loop
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $c (i32.const 0))
        (loop $chunks
          (local.set $q (i32.shl (local.get $c) (i32.const 2)))
          (local.set $o
            (i32.add (i32.shl (i32.add (i32.mul (local.get $r) (local.get $s4)) (local.get $c)) (i32.const 2)) (local.get $sum)))
          (local.set $m (f32x4.mul (v128.load (local.get $o)) (local.get $k)))
          (if (local.get $noise)
            (then
              (local.set $m
                (f32x4.add
                  (local.get $m)
                  (f32x4.mul
                    (f32x4.sqrt
                      (f32x4.mul
                        (v128.load (i32.add (local.get $o) (i32.sub (local.get $var) (local.get $sum))))
                        (local.get $k)))
                    (v128.and
                      (v128.load (i32.add (local.get $noise) (local.get $q)))
                      (v128.load (i32.add (local.get $mask) (local.get $q)))))))))
          (v128.store (local.get $o) (local.get $m))
          (br_if $chunks (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 4))) (local.get $s4))))
        (local.set $noise (i32.add (local.get $noise) (i32.shl (local.get $s) (i32.const 2))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows_loop))))

  ;; state [rows, s4] += delta (rows of byte stride `stride`; row index[r] if index != 0),
  ;; then angle entries wrapped to [-pi, pi): next - wrap floor((next + pi) / 2 pi), where
  ;; wrap (s4) is 2 pi on angle entries and 0 elsewhere.
  (func (export "advance")
    (param $state i32) (param $delta i32) (param $stride i32) (param $rows i32) (param $s4 i32)
    (param $wrap i32) (param $index i32)
    (local $r i32) (local $c i32) (local $d i32) (local $q i32) (local $n v128)
    (block $done
      (loop $rows_loop
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $d
          (i32.add
            (local.get $delta)
            (i32.mul
              (local.get $stride)
              (if (result i32) (local.get $index)
                (then (i32.load (i32.add (local.get $index) (i32.shl (local.get $r) (i32.const 2)))))
                (else (local.get $r))))))
        (local.set $c (i32.const 0))
        (loop $chunks
          (local.set $q (i32.shl (local.get $c) (i32.const 2)))
          (local.set $n (f32x4.add (v128.load (local.get $state)) (v128.load (i32.add (local.get $d) (local.get $q)))))
          (v128.store (local.get $state)
            (f32x4.sub
              (local.get $n)
              (f32x4.mul
                (f32x4.floor
                  (f32x4.mul
                    (f32x4.add (local.get $n) (v128.const f32x4 3.14159265358979 3.14159265358979 3.14159265358979 3.14159265358979))
                    (v128.const f32x4 0.159154943091895 0.159154943091895 0.159154943091895 0.159154943091895)))
                (v128.load (i32.add (local.get $wrap) (local.get $q))))))
          (local.set $state (i32.add (local.get $state) (i32.const 16)))
          (br_if $chunks (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 4))) (local.get $s4))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows_loop))))

  ;; ---------------------------------------------------------------- Gaussian noise

  ;; In place: count (a multiple of 8) uniform 32-bit words -> standard normals, by the
  ;; Box-Muller transform on pairs (a, b) taken from consecutive v128s: radius from the top
  ;; 24 bits of a, angle uniform in [-pi/4, pi/4) from the top 24 bits of b, rotated by a
  ;; quarter turn if b's bit 0 is set and a half turn if bit 1 is (a uniform angle on the
  ;; circle, using short sin/cos polynomials). The 24-bit radius truncates tails at 5.9 sigma.
  (func (export "normals") (param $p i32) (param $count i32)
    (local $end i32) (local $a v128) (local $b v128) (local $rad v128) (local $t v128) (local $z v128)
    (local $s v128) (local $c v128) (local $x v128) (local $y v128) (local $swap v128) (local $sign v128)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $a (v128.load (local.get $p)))
        (local.set $b (v128.load offset=16 (local.get $p)))
        ;; u in (0, 1): (top 24 bits + 1/2) / 2^24; radius sqrt(-2 ln u).
        (local.set $rad
          (f32x4.sqrt
            (f32x4.mul
              (call $log
                (f32x4.mul
                  (f32x4.add
                    (f32x4.convert_i32x4_s (i32x4.shr_u (local.get $a) (i32.const 8)))
                    (v128.const f32x4 0.5 0.5 0.5 0.5))
                  (v128.const f32x4 5.9604644775390625e-8 5.9604644775390625e-8 5.9604644775390625e-8 5.9604644775390625e-8)))
              (v128.const f32x4 -2 -2 -2 -2))))
        ;; t = (v - 1/2) pi/2 with v in [0, 1).
        (local.set $t
          (f32x4.mul
            (f32x4.sub
              (f32x4.mul
                (f32x4.convert_i32x4_s (i32x4.shr_u (local.get $b) (i32.const 8)))
                (v128.const f32x4 5.9604644775390625e-8 5.9604644775390625e-8 5.9604644775390625e-8 5.9604644775390625e-8))
              (v128.const f32x4 0.5 0.5 0.5 0.5))
            (v128.const f32x4 1.57079632679489662 1.57079632679489662 1.57079632679489662 1.57079632679489662)))
        (local.set $z (f32x4.mul (local.get $t) (local.get $t)))
        (local.set $s
          (f32x4.add
            (local.get $t)
            (f32x4.mul
              (f32x4.mul
                (f32x4.add
                  (f32x4.mul
                    (f32x4.add
                      (f32x4.mul (local.get $z) (v128.const f32x4 -1.9515295891e-4 -1.9515295891e-4 -1.9515295891e-4 -1.9515295891e-4))
                      (v128.const f32x4 8.3321608736e-3 8.3321608736e-3 8.3321608736e-3 8.3321608736e-3))
                    (local.get $z))
                  (v128.const f32x4 -1.6666654611e-1 -1.6666654611e-1 -1.6666654611e-1 -1.6666654611e-1))
                (local.get $z))
              (local.get $t))))
        (local.set $c
          (f32x4.add
            (f32x4.sub
              (f32x4.mul
                (f32x4.mul
                  (f32x4.add
                    (f32x4.mul
                      (f32x4.add
                        (f32x4.mul (local.get $z) (v128.const f32x4 2.443315711809948e-5 2.443315711809948e-5 2.443315711809948e-5 2.443315711809948e-5))
                        (v128.const f32x4 -1.388731625493765e-3 -1.388731625493765e-3 -1.388731625493765e-3 -1.388731625493765e-3))
                      (local.get $z))
                    (v128.const f32x4 4.166664568298827e-2 4.166664568298827e-2 4.166664568298827e-2 4.166664568298827e-2))
                  (local.get $z))
                (local.get $z))
              (f32x4.mul (local.get $z) (v128.const f32x4 0.5 0.5 0.5 0.5)))
            (v128.const f32x4 1 1 1 1)))
        (local.set $x (f32x4.mul (local.get $rad) (local.get $c)))
        (local.set $y (f32x4.mul (local.get $rad) (local.get $s)))
        ;; Quarter turn (x, y) -> (-y, x) where bit 0 is set; half turn (negate both) on bit 1.
        (local.set $swap
          (i32x4.eq
            (v128.and (local.get $b) (v128.const i32x4 1 1 1 1))
            (v128.const i32x4 1 1 1 1)))
        (local.set $sign (i32x4.shl (v128.and (local.get $b) (v128.const i32x4 2 2 2 2)) (i32.const 30)))
        (v128.store (local.get $p)
          (v128.xor (v128.bitselect (f32x4.neg (local.get $y)) (local.get $x) (local.get $swap)) (local.get $sign)))
        (v128.store offset=16 (local.get $p)
          (v128.xor (v128.bitselect (local.get $x) (local.get $y) (local.get $swap)) (local.get $sign)))
        (local.set $p (i32.add (local.get $p) (i32.const 32)))
        (br $pairs))))
)
