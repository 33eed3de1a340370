//! The core's FMA peak: 24 independent FMAs on the tier's widest vectors.

use super::*;

/// Seconds for `iters` iterations of 24 independent FMAs on the tier's widest vectors.
pub fn fma_loop(tier: Tier, iters: usize) -> f64 {
    let t0 = Instant::now();
    #[cfg(target_arch = "x86_64")]
    {
        // AT&T order: `vfmadd231ps b, a, acc` is acc += a·b, so the 24 accumulators are
        // zmm0..zmm23, each one FMA a pass: enough chains for two FMA pipes of latency
        // up to 12 cycles (Zen 5 and Ice Lake have two 512-bit pipes of latency 4).
        macro_rules! fma24 {
            () => {
                concat!(
                    "vfmadd231ps %zmm25, %zmm24, %zmm0\n",
                    "vfmadd231ps %zmm26, %zmm24, %zmm1\n",
                    "vfmadd231ps %zmm27, %zmm24, %zmm2\n",
                    "vfmadd231ps %zmm28, %zmm24, %zmm3\n",
                    "vfmadd231ps %zmm29, %zmm24, %zmm4\n",
                    "vfmadd231ps %zmm30, %zmm24, %zmm5\n",
                    "vfmadd231ps %zmm31, %zmm24, %zmm6\n",
                    "vfmadd231ps %zmm25, %zmm24, %zmm7\n",
                    "vfmadd231ps %zmm26, %zmm24, %zmm8\n",
                    "vfmadd231ps %zmm27, %zmm24, %zmm9\n",
                    "vfmadd231ps %zmm28, %zmm24, %zmm10\n",
                    "vfmadd231ps %zmm29, %zmm24, %zmm11\n",
                    "vfmadd231ps %zmm30, %zmm24, %zmm12\n",
                    "vfmadd231ps %zmm31, %zmm24, %zmm13\n",
                    "vfmadd231ps %zmm25, %zmm24, %zmm14\n",
                    "vfmadd231ps %zmm26, %zmm24, %zmm15\n",
                    "vfmadd231ps %zmm27, %zmm24, %zmm16\n",
                    "vfmadd231ps %zmm28, %zmm24, %zmm17\n",
                    "vfmadd231ps %zmm29, %zmm24, %zmm18\n",
                    "vfmadd231ps %zmm30, %zmm24, %zmm19\n",
                    "vfmadd231ps %zmm31, %zmm24, %zmm20\n",
                    "vfmadd231ps %zmm25, %zmm24, %zmm21\n",
                    "vfmadd231ps %zmm26, %zmm24, %zmm22\n",
                    "vfmadd231ps %zmm27, %zmm24, %zmm23\n",
                )
            };
        }
        // SAFETY: register-only arithmetic on the tier's vectors, which the CPU has
        // (checked by the caller); every register written is declared clobbered.
        unsafe {
            match tier {
                Tier::Avx512 => core::arch::asm!(
                    // Zeros, not whatever the registers held: denormal operands slow FMAs.
                    concat!(
                        "vpxord %zmm0, %zmm0, %zmm0\n",
                        "vpxord %zmm1, %zmm1, %zmm1\n",
                        "vpxord %zmm2, %zmm2, %zmm2\n",
                        "vpxord %zmm3, %zmm3, %zmm3\n",
                        "vpxord %zmm4, %zmm4, %zmm4\n",
                        "vpxord %zmm5, %zmm5, %zmm5\n",
                        "vpxord %zmm6, %zmm6, %zmm6\n",
                        "vpxord %zmm7, %zmm7, %zmm7\n",
                        "vpxord %zmm8, %zmm8, %zmm8\n",
                        "vpxord %zmm9, %zmm9, %zmm9\n",
                        "vpxord %zmm10, %zmm10, %zmm10\n",
                        "vpxord %zmm11, %zmm11, %zmm11\n",
                        "vpxord %zmm12, %zmm12, %zmm12\n",
                        "vpxord %zmm13, %zmm13, %zmm13\n",
                        "vpxord %zmm14, %zmm14, %zmm14\n",
                        "vpxord %zmm15, %zmm15, %zmm15\n",
                        "vpxord %zmm16, %zmm16, %zmm16\n",
                        "vpxord %zmm17, %zmm17, %zmm17\n",
                        "vpxord %zmm18, %zmm18, %zmm18\n",
                        "vpxord %zmm19, %zmm19, %zmm19\n",
                        "vpxord %zmm20, %zmm20, %zmm20\n",
                        "vpxord %zmm21, %zmm21, %zmm21\n",
                        "vpxord %zmm22, %zmm22, %zmm22\n",
                        "vpxord %zmm23, %zmm23, %zmm23\n",
                        "vpxord %zmm24, %zmm24, %zmm24\n",
                        "vpxord %zmm25, %zmm25, %zmm25\n",
                        "vpxord %zmm26, %zmm26, %zmm26\n",
                        "vpxord %zmm27, %zmm27, %zmm27\n",
                        "vpxord %zmm28, %zmm28, %zmm28\n",
                        "vpxord %zmm29, %zmm29, %zmm29\n",
                        "vpxord %zmm30, %zmm30, %zmm30\n",
                        "vpxord %zmm31, %zmm31, %zmm31\n",
                    ),
                    "2:",
                    fma24!(),
                    "dec {n}",
                    "jnz 2b",
                    n = inout(reg) iters => _,
                    out("zmm0") _, out("zmm1") _, out("zmm2") _, out("zmm3") _,
                    out("zmm4") _, out("zmm5") _, out("zmm6") _, out("zmm7") _,
                    out("zmm8") _, out("zmm9") _, out("zmm10") _, out("zmm11") _,
                    out("zmm12") _, out("zmm13") _, out("zmm14") _, out("zmm15") _,
                    out("zmm16") _, out("zmm17") _, out("zmm18") _, out("zmm19") _,
                    out("zmm20") _, out("zmm21") _, out("zmm22") _, out("zmm23") _,
                    out("zmm24") _, out("zmm25") _, out("zmm26") _, out("zmm27") _,
                    out("zmm28") _, out("zmm29") _, out("zmm30") _, out("zmm31") _,
                    options(att_syntax, nostack, nomem),
                ),
                _ => return f64::NAN,
            }
        }
    }
    t0.elapsed().as_secs_f64()
}
