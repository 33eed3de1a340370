//! The report's header: the two sides (commit, time, how measured) and the
//! environment table.

use super::model::{EnvRow, SideView};
use crate::compare::model::{Comparison, Side};
use crate::report::text::escape_md;

pub(super) fn side_view(s: &Side) -> SideView {
    let c = s.commit.as_ref();
    SideView {
        label: s.label.clone(),
        reference: s.reference.clone(),
        reference_md: escape_md(&s.reference),
        sha: c.map(|c| c.sha.clone()).unwrap_or_default(),
        short: c
            .map(|c| c.short.clone())
            .unwrap_or_else(|| s.label.clone()),
        subject: c.map(|c| c.subject.clone()).unwrap_or_default(),
        subject_md: c.map(|c| escape_md(&c.subject)).unwrap_or_default(),
        branch: c.and_then(|c| c.branch.clone()).unwrap_or_default(),
        dirty: c.is_some_and(|c| c.dirty),
        created_at: s.created_at.clone(),
        measured: s
            .settings
            .as_ref()
            .map(|r| {
                format!(
                    "{} mode, {} processes × {} samples, suites {}, metric {}",
                    r.mode,
                    r.processes,
                    r.samples_per_process,
                    r.suites.join("+"),
                    r.metric_mode
                )
            })
            .unwrap_or_default(),
    }
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
            baseline_md: escape_md(&bv),
            current_md: escape_md(&cv),
            baseline: bv,
            current: cv,
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
