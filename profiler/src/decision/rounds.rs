//! How many rounds a paired decision takes: from α and the number of tests.

use crate::compare::paired::rounds_for;

/// Looks of a sequential decision: the first measurement and at most two
/// extensions. Each look is tested at α / LOOKS (Bonferroni over looks), so
/// looking again cannot raise the false-alarm rate above α.
pub const LOOKS: u32 = 3;

/// Fewest rounds of a lockstep measurement (each side first in half of them).
pub const MIN_ROUNDS: u32 = 6;

/// The rounds of a sequential paired decision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoundPlan {
    /// Rounds of the first look.
    pub first: u32,
    /// Rounds added by each further look, for the workloads still undecided.
    pub step: u32,
    /// Looks at most (the first included).
    pub looks: u32,
    /// The false-discovery rate each look is tested at.
    pub alpha_look: f64,
}

impl RoundPlan {
    /// Rounds for `tests` paired tests at FDR `alpha`, at least `at_least`
    /// rounds on the first look: a change seen in every round but the closest
    /// must be able to pass α / LOOKS after Benjamini–Hochberg over the tests.
    pub fn new(tests: usize, alpha: f64, at_least: u32) -> RoundPlan {
        let alpha_look = alpha / LOOKS as f64;
        let first = rounds_for(tests, alpha_look, at_least.max(MIN_ROUNDS));
        RoundPlan {
            first,
            // Each extension doubles the rounds of the first look at least once
            // more: the interval narrows by about √2 then √3.
            step: first,
            looks: LOOKS,
            alpha_look,
        }
    }

    /// The most rounds a workload can get.
    pub fn cap(&self) -> u32 {
        self.first + self.step * (self.looks - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_follow_alpha_and_tests() {
        // One workload at α = 0.01: each look at 0.0033, so 4/2ⁿ < 0.0033 → n ≥ 11 → 12 (even).
        let p = RoundPlan::new(1, 0.01, 1);
        assert_eq!((p.first, p.step, p.looks), (12, 12, 3));
        assert!((p.alpha_look - 0.01 / 3.0).abs() < 1e-15);
        assert_eq!(p.cap(), 36);
        // Seventeen workloads need more: 4·17/0.0033 = 20400 → 15 → 16.
        assert_eq!(RoundPlan::new(17, 0.01, 1).first, 16);
        // The smallest two-sided p of n rounds with one discordant sign is 4/2ⁿ:
        // 5 rounds (bisect's old hard-coded count) could never pass.
        let n = RoundPlan::new(1, 0.01, 1).first as i32;
        assert!(4.0 * 0.5f64.powi(n) < 0.01 / 3.0);
        assert!(4.0 * 0.5f64.powi(5) > 0.01 / 3.0);
        // A looser α needs fewer, never below the minimum.
        assert_eq!(RoundPlan::new(1, 0.5, 1).first, MIN_ROUNDS);
        assert_eq!(RoundPlan::new(1, 0.5, 9).first, 10);
    }
}
