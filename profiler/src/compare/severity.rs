//! Severity bands: how large a decided change is, in the reference reports'
//! vocabulary. Bands apply to the *effect* (see [`super::effect`]), the
//! relative change expressed as a change of time, so a throughput that halves
//! is as severe as a time that doubles.

use super::model::{Severity, VerdictKind};
use crate::config::SeverityBands;

/// The severity of a decided change; `None` for stable and unstable verdicts.
/// `effect` > 0 is worse, < 0 better; `critical_workload` makes any regression CRITICAL.
pub fn severity(
    verdict: VerdictKind,
    effect: f64,
    bands: &SeverityBands,
    critical_workload: bool,
) -> Option<Severity> {
    let pct = effect.abs() * 100.0;
    match verdict {
        VerdictKind::Regression if critical_workload || pct >= bands.critical_pct => {
            Some(Severity::Critical)
        }
        VerdictKind::Regression => Some(Severity::Regression),
        VerdictKind::Improvement if pct >= bands.outstanding_pct => Some(Severity::Outstanding),
        VerdictKind::Improvement if pct >= bands.excellent_pct => Some(Severity::Excellent),
        VerdictKind::Improvement if pct >= bands.good_pct => Some(Severity::Good),
        VerdictKind::Improvement => Some(Severity::Improvement),
        VerdictKind::Stable | VerdictKind::Unstable | VerdictKind::Inconclusive => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_bands() {
        let b = SeverityBands::default();
        let s = |k, e| severity(k, e, &b, false);
        assert_eq!(s(VerdictKind::Regression, 0.10), Some(Severity::Regression));
        assert_eq!(s(VerdictKind::Regression, 0.50), Some(Severity::Critical));
        assert_eq!(
            s(VerdictKind::Improvement, -0.10),
            Some(Severity::Improvement)
        );
        assert_eq!(s(VerdictKind::Improvement, -0.25), Some(Severity::Good));
        assert_eq!(
            s(VerdictKind::Improvement, -0.60),
            Some(Severity::Excellent)
        );
        assert_eq!(
            s(VerdictKind::Improvement, -0.95),
            Some(Severity::Outstanding)
        );
        assert_eq!(s(VerdictKind::Stable, 0.9), None);
        assert_eq!(
            severity(VerdictKind::Regression, 0.06, &b, true),
            Some(Severity::Critical)
        );
    }

    #[test]
    fn bands_are_configurable() {
        let b = SeverityBands {
            critical_pct: 20.0,
            ..SeverityBands::default()
        };
        assert_eq!(
            severity(VerdictKind::Regression, 0.21, &b, false),
            Some(Severity::Critical)
        );
    }
}
