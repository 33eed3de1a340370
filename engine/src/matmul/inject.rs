//! The test-only slowdown knob used by the profiler's detection tests.
//!
//! `SMALLMIND_INJECT_SLOWDOWN_PCT=<n>` (read once) makes the sgemm driver and the
//! gemv path do about n % extra *real* arithmetic: after every unit of work (one
//! micro-kernel call, one gemv block) a Bresenham counter decides whether to run
//! that unit again into a scratch tile whose result is discarded through
//! `black_box`. Wall time and retired instructions both rise by about n %, as a
//! genuine regression would, while the results stay exactly the same. Unset, empty,
//! 0 or unparsable: off, and the cost is one predictable branch per unit.

use std::sync::OnceLock;

/// The extra work, in percent, `SMALLMIND_INJECT_SLOWDOWN_PCT` asks for (0 = off).
pub fn slowdown_pct() -> u32 {
    static PCT: OnceLock<u32> = OnceLock::new();
    *PCT.get_or_init(|| match std::env::var("SMALLMIND_INJECT_SLOWDOWN_PCT") {
        Ok(v) if !v.trim().is_empty() => match v.trim().parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                eprintln!(
                    "smallmind: SMALLMIND_INJECT_SLOWDOWN_PCT={v:?} is not a whole number; ignored"
                );
                0
            }
        },
        _ => 0,
    })
}

/// Decides, unit by unit, how many extra repeats keep the extra work at `pct` %.
#[derive(Debug, Clone, Copy)]
pub struct Injector {
    pct: u32,
    acc: u32,
}

impl Injector {
    /// An injector at the environment's rate.
    #[inline]
    pub fn from_env() -> Injector {
        Injector::new(slowdown_pct())
    }

    /// An injector adding `pct` % extra work.
    pub fn new(pct: u32) -> Injector {
        Injector { pct, acc: 0 }
    }

    /// How many times to repeat the unit just done (0 almost always when pct < 100).
    #[inline(always)]
    pub fn repeats(&mut self) -> u32 {
        if self.pct == 0 {
            return 0;
        }
        self.acc += self.pct;
        let n = self.acc / 100;
        self.acc %= 100;
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_track_the_percentage() {
        for pct in [0, 1, 10, 37, 100, 250] {
            let mut inj = Injector::new(pct);
            let total: u32 = (0..1000).map(|_| inj.repeats()).sum();
            assert_eq!(total, pct * 10, "pct {pct}");
        }
    }
}
