//! SIMD tier selection: detected once, cached, overridable.
//!
//! Every kernel has a scalar body (the readable specification) and AVX2+FMA and
//! AVX-512 bodies. Which one runs is decided here, once: the best tier the CPU
//! supports, unless `SMALLMIND_SIMD=scalar|avx2|avx512` forces one. Asking for a
//! tier the CPU lacks is an [`Error::TierUnavailable`], never a crash.
//!
//! Under valgrind, AVX-512 is hidden from CPUID, so detection picks AVX2 there.

pub mod math;
pub mod vector;

use crate::error::{Error, Result};
use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

/// A family of kernel bodies, from the portable specification to the widest vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// Plain Rust; the readable specification every other tier is tested against.
    Scalar,
    /// 256-bit AVX2 with FMA.
    Avx2,
    /// 512-bit AVX-512 (F).
    Avx512,
}

impl Tier {
    /// All tiers, narrowest first.
    pub const ALL: [Tier; 3] = [Tier::Scalar, Tier::Avx2, Tier::Avx512];

    /// The name used by `SMALLMIND_SIMD` and recorded in results.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Scalar => "scalar",
            Tier::Avx2 => "avx2",
            Tier::Avx512 => "avx512",
        }
    }

    /// Number of f32 lanes in one vector of this tier.
    pub fn lanes(self) -> usize {
        match self {
            Tier::Scalar => 1,
            Tier::Avx2 => 8,
            Tier::Avx512 => 16,
        }
    }

    /// Whether this CPU can execute the tier's instructions.
    pub fn is_available(self) -> bool {
        match self {
            Tier::Scalar => true,
            Tier::Avx2 => cpu().avx2_fma,
            Tier::Avx512 => cpu().avx512f,
        }
    }

    /// The widest tier this CPU supports.
    pub fn best_available() -> Tier {
        Tier::ALL
            .into_iter()
            .rev()
            .find(|t| t.is_available())
            .unwrap_or(Tier::Scalar)
    }

    /// Tiers this CPU can run, narrowest first.
    pub fn available() -> Vec<Tier> {
        Tier::ALL.into_iter().filter(|t| t.is_available()).collect()
    }

    fn from_u8(v: u8) -> Tier {
        match v {
            1 => Tier::Scalar,
            2 => Tier::Avx2,
            _ => Tier::Avx512,
        }
    }

    fn to_u8(self) -> u8 {
        match self {
            Tier::Scalar => 1,
            Tier::Avx2 => 2,
            Tier::Avx512 => 3,
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Tier {
    type Err = Error;
    fn from_str(s: &str) -> Result<Tier> {
        match s.trim().to_ascii_lowercase().as_str() {
            "scalar" => Ok(Tier::Scalar),
            "avx2" => Ok(Tier::Avx2),
            "avx512" => Ok(Tier::Avx512),
            other => Err(Error::BadEnv {
                var: "SMALLMIND_SIMD",
                value: other.to_string(),
                reason: "expected one of scalar, avx2, avx512".into(),
            }),
        }
    }
}

/// What CPUID told us, read once.
#[derive(Debug, Clone, Copy)]
struct CpuFeatures {
    avx2_fma: bool,
    avx512f: bool,
}

fn cpu() -> CpuFeatures {
    static CPU: OnceLock<CpuFeatures> = OnceLock::new();
    *CPU.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            let avx2_fma = std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma");
            CpuFeatures {
                avx2_fma,
                avx512f: avx2_fma && std::arch::is_x86_feature_detected!("avx512f"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            CpuFeatures {
                avx2_fma: false,
                avx512f: false,
            }
        }
    })
}

/// 0 = not decided yet; otherwise `Tier::to_u8`.
static ACTIVE: AtomicU8 = AtomicU8::new(0);

/// The tier `SMALLMIND_SIMD` asks for, checked against the CPU; `None` when unset.
pub fn tier_from_env() -> Result<Option<Tier>> {
    match std::env::var("SMALLMIND_SIMD") {
        Ok(v) if !v.trim().is_empty() => {
            let tier: Tier = v.parse()?;
            check(tier)?;
            Ok(Some(tier))
        }
        _ => Ok(None),
    }
}

fn check(tier: Tier) -> Result<()> {
    if tier.is_available() {
        Ok(())
    } else {
        Err(Error::TierUnavailable {
            requested: tier.to_string(),
            available: Tier::available()
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }
}

/// `Ok` when `tier` can run here, else [`Error::TierUnavailable`]. Every
/// `*_with(tier, …)` kernel calls this before dispatching.
#[inline]
pub fn ensure_available(tier: Tier) -> Result<()> {
    if tier.is_available() {
        Ok(())
    } else {
        check(tier)
    }
}

/// Define `$name(tier, args…)`: the scalar specification on [`Tier::Scalar`],
/// and the generic body `$body::<S: SimdF32>(args…)` compiled once under
/// `avx2,fma` and once under `avx512f` for the SIMD tiers. The callers
/// (`*_with`) have checked the tier with [`ensure_available`]; an unavailable
/// tier that slips through still runs the scalar body, never an illegal instruction.
macro_rules! simd_kernel {
    (
        $(#[$meta:meta])*
        $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)?;
        scalar = $scalar:path;
        simd = $body:ident;
    ) => {
        $(#[$meta])*
        $vis fn $name(tier: $crate::simd::Tier, $($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2($($arg: $ty),*) $(-> $ret)? {
                    // SAFETY: forwarded from the caller's contract (AVX2+FMA present).
                    unsafe { $body::<$crate::simd::vector::Avx2>($($arg),*) }
                }
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn avx512($($arg: $ty),*) $(-> $ret)? {
                    // SAFETY: forwarded from the caller's contract (AVX-512F present).
                    unsafe { $body::<$crate::simd::vector::Avx512>($($arg),*) }
                }
                match tier {
                    // SAFETY: is_available() read CPUID: the features are present.
                    $crate::simd::Tier::Avx2 if tier.is_available() => {
                        return unsafe { avx2($($arg),*) };
                    }
                    $crate::simd::Tier::Avx512 if tier.is_available() => {
                        return unsafe { avx512($($arg),*) };
                    }
                    _ => {}
                }
            }
            let _ = tier;
            $scalar($($arg),*)
        }
    };
}
pub(crate) use simd_kernel;

/// Decide the tier now (environment, then detection) and report a bad
/// `SMALLMIND_SIMD` as an error. Binaries call this first so that a bad value
/// stops them with a clear message instead of being ignored.
pub fn init() -> Result<Tier> {
    // `seed-layout`: keeps the padding code linked without ever running it.
    #[cfg(feature = "seed-layout")]
    if std::env::var_os("SMALLMIND_SEED_LAYOUT_RUN").is_some() {
        crate::seed::layout_padding(std::hint::black_box(&mut [0.0; 16]));
    }
    let tier = tier_from_env()?.unwrap_or_else(Tier::best_available);
    ACTIVE.store(tier.to_u8(), Ordering::Relaxed);
    Ok(tier)
}

/// The tier kernels dispatch on. Decided on first use; if `SMALLMIND_SIMD` is
/// invalid and [`init`] was never called, the error is printed once to stderr and
/// the best available tier is used (a library must not panic on its environment).
#[inline]
pub fn active() -> Tier {
    match ACTIVE.load(Ordering::Relaxed) {
        0 => match init() {
            Ok(t) => t,
            Err(e) => {
                let t = Tier::best_available();
                eprintln!("smallmind: {e}; using {t}");
                ACTIVE.store(t.to_u8(), Ordering::Relaxed);
                t
            }
        },
        v => Tier::from_u8(v),
    }
}

/// Force a tier for the whole process (benchmarks, workloads, tests).
pub fn set_active(tier: Tier) -> Result<()> {
    check(tier)?;
    ACTIVE.store(tier.to_u8(), Ordering::Relaxed);
    Ok(())
}

/// Run `f` once for every tier this CPU supports, and say which are skipped.
/// Tests use this so that a missing tier is reported, never silently passed.
pub fn for_each_available_tier(mut f: impl FnMut(Tier)) {
    for tier in Tier::ALL {
        if tier.is_available() {
            f(tier);
        } else {
            eprintln!("note: SIMD tier {tier} is not available on this CPU; its tests are skipped");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        for t in Tier::ALL {
            assert_eq!(t.as_str().parse::<Tier>().unwrap(), t);
        }
        assert!("sse9".parse::<Tier>().is_err());
    }

    #[test]
    fn scalar_is_always_available_and_best_is_available() {
        assert!(Tier::Scalar.is_available());
        assert!(Tier::best_available().is_available());
    }

    #[test]
    fn unavailable_tier_is_an_error() {
        for t in Tier::ALL {
            assert_eq!(set_active(t).is_ok(), t.is_available());
        }
        set_active(Tier::best_available()).unwrap();
    }
}
