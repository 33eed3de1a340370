//! The report's header: the two sides (commit, time, how measured), the
//! environment table and the decision rule that was applied.

use super::model::{EnvRow, SideView};
use crate::compare::model::{Basis, Comparison, Side};
use crate::report::text::plain;
use crate::result::MetricKind;

pub(super) fn side_view(s: &Side) -> SideView {
    let c = s.commit.as_ref();
    SideView {
        label: plain(&s.label),
        reference: plain(&s.reference),
        sha: c.map(|c| plain(&c.sha)).unwrap_or_default(),
        short: plain(c.map_or(&s.label, |c| &c.short)),
        subject: c.map(|c| plain(&c.subject)).unwrap_or_default(),
        branch: c
            .and_then(|c| c.branch.as_deref())
            .map(plain)
            .unwrap_or_default(),
        dirty: c.is_some_and(|c| c.dirty),
        created_at: plain(&s.created_at),
        measured: s
            .settings
            .as_ref()
            .map(|r| {
                let how = if r.pairing.is_some() && r.paired_samples {
                    format!("{} rounds in lockstep", r.processes)
                } else if r.pairing.is_some() {
                    format!("{} alternating rounds", r.processes)
                } else {
                    format!("{} processes", r.processes)
                };
                plain(&format!(
                    "{} mode, {how} × {} samples, suites {}, metric {}{}",
                    r.mode,
                    r.samples_per_process,
                    r.suites.join("+"),
                    r.metric_mode,
                    r.filter
                        .as_deref()
                        .map(|f| format!(", filter {f}"))
                        .unwrap_or_default()
                ))
            })
            .unwrap_or_default(),
    }
}

/// Which tests the verdicts used: pooled (Mann–Whitney U on two stored runs),
/// paired (Wilcoxon signed-rank on lockstep rounds), or both.
fn tests_used(cmp: &Comparison) -> (bool, bool) {
    let tested = || {
        cmp.verdicts
            .iter()
            .filter(|v| v.kind == MetricKind::Sampled)
    };
    (
        tested().any(|v| v.basis == Basis::Stored),
        tested().any(|v| v.basis == Basis::Paired),
    )
}

/// The tests in a footer: `Mann-Whitney U + Benjamini-Hochberg`, …
pub(super) fn test_name(cmp: &Comparison) -> String {
    match tests_used(cmp) {
        (false, true) => "Wilcoxon signed-rank + Benjamini-Hochberg".into(),
        (true, true) => {
            "Wilcoxon signed-rank (lockstep) and Mann-Whitney U (stored runs) + Benjamini-Hochberg"
                .into()
        }
        (true, false) => "Mann-Whitney U + Benjamini-Hochberg".into(),
        (false, false) => "exact comparison with tolerances".into(),
    }
}

/// The decision rule, one sentence.
pub(super) fn decision_rule(cmp: &Comparison) -> String {
    let s = &cmp.settings;
    let rule = format!(
        "q < {} and |change| > {:.1} % (raised to a workload's calibrated noise floor when larger)",
        s.alpha,
        s.threshold * 100.0
    );
    let tests = match tests_used(cmp) {
        (true, true) => "the exact Wilcoxon signed-rank test on the per-round ratios of the two builds measured in lockstep where both were measured so, two-sided Mann-Whitney U on the samples of the two stored runs elsewhere; Benjamini-Hochberg across every timing test of the comparison".to_string(),
        (false, true) => "the exact Wilcoxon signed-rank test on the per-round ratios of the two builds measured in lockstep, Benjamini-Hochberg across every timing test of the comparison".to_string(),
        (true, false) => "two-sided Mann-Whitney U on the samples of the two stored runs, Benjamini-Hochberg across every timing test of the comparison".to_string(),
        (false, false) => "no timing test (deterministic metrics only)".to_string(),
    };
    format!(
        "{tests}; a timing change needs {rule}; deterministic metrics change beyond their tolerance (counts {:.1} %, bytes {:.1} %, instructions {:.1} %)",
        s.count_tolerance * 100.0,
        s.bytes_tolerance * 100.0,
        s.instructions_tolerance * 100.0
    )
}

/// `2026-11-20T17:20:44Z` → `November 20, 2026 17:20 UTC`.
pub(super) fn long_time(rfc3339: &str) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let parse = || -> Option<String> {
        let (date, time) = rfc3339.split_once('T')?;
        let mut d = date.split('-');
        let (y, m, day) = (d.next()?, d.next()?.parse::<usize>().ok()?, d.next()?);
        let month = MONTHS.get(m.checked_sub(1)?)?;
        let hm = time.get(..5)?;
        Some(format!(
            "{month} {}, {y} {hm} UTC",
            day.trim_start_matches('0')
        ))
    };
    parse().unwrap_or_else(|| rfc3339.to_string())
}

pub(super) fn env_rows(cmp: &Comparison) -> Vec<EnvRow> {
    let (b, c) = (&cmp.baseline.env, &cmp.current.env);
    let rows = [
        ("CPU", b.cpu_model.clone(), c.cpu_model.clone(), "cpu_model"),
        (
            "logical cores",
            b.logical_cores.to_string(),
            c.logical_cores.to_string(),
            "logical_cores",
        ),
        (
            "SIMD tier",
            b.simd_tier.clone(),
            c.simd_tier.clone(),
            "simd_tier",
        ),
        (
            "threads",
            b.threads.to_string(),
            c.threads.to_string(),
            "threads",
        ),
        ("rustc", b.rustc.clone(), c.rustc.clone(), "rustc"),
        ("profile", b.profile.clone(), c.profile.clone(), "profile"),
        ("OS", b.os.clone(), c.os.clone(), "os"),
        ("kernel", b.kernel.clone(), c.kernel.clone(), "kernel"),
        (
            "fingerprint",
            b.fingerprint.clone(),
            c.fingerprint.clone(),
            "fingerprint",
        ),
    ];
    rows.into_iter()
        .map(|(label, bv, cv, field)| EnvRow {
            field: label.to_string(),
            differs: cmp.env_differences.iter().any(|d| d.field == field),
            baseline: plain(&bv),
            current: plain(&cv),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_times() {
        assert_eq!(
            long_time("2026-02-04T02:38:19Z"),
            "February 4, 2026 02:38 UTC"
        );
        assert_eq!(long_time("garbage"), "garbage");
    }
}
