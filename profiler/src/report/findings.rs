//! Typed findings, actions and success stories in words. Every figure comes
//! from the verdict the evidence names, so a finding and the verdict table of
//! one report never disagree. Text from results is cleaned for plain text
//! here ([`plain`]); markdown templates escape it again with their `md` filter.

use super::labels::{change_of, metric_label, severity_word, verdict_status};
use super::text::plain;
use super::units;
use crate::analysis::verdict;
use crate::compare::effect;
use crate::compare::model::{
    Action, ActionKind, Basis, Borderline, Comparison, ConfirmationState, Evidence, Finding,
    KernelCheck, Role, RootCause, SizePattern, SuccessStory, Verdict, VerdictKind,
};
use crate::result::MetricKind;

/// A root cause in words.
#[derive(Debug, Clone, PartialEq)]
pub struct CauseText {
    /// One line: `gelu allocates 64.00 KiB more per call (0 B → 64.00 KiB)`,
    /// ending in `(unconfirmed)` when it rests on unconfirmed changes.
    pub title: String,
    /// The same without the `(unconfirmed)` mark, for lines that show it apart.
    pub finding: String,
    /// A few words for one-line listings: `gelu allocations`, `matmul kernel`.
    pub short: String,
    pub confirmed: bool,
    /// Facts with figures, one per line.
    pub evidence: Vec<String>,
}

/// The sentence every report shows when wall-time changes rest on two stored
/// runs only, or `None` when there are none.
pub fn unconfirmed_notice(cmp: &Comparison) -> Option<String> {
    if cmp.confirmation != ConfirmationState::Unconfirmed {
        return None;
    }
    let screened = cmp
        .verdicts
        .iter()
        .filter(|v| {
            v.basis == Basis::Stored
                && v.kind == MetricKind::Sampled
                && matches!(
                    v.verdict,
                    VerdictKind::Regression | VerdictKind::Improvement | VerdictKind::Unstable
                )
        })
        .count();
    (screened > 0).then(|| {
        format!(
            "UNCONFIRMED: the {screened} wall-time change{} below come{} from two stored runs only (--no-confirm, or the baseline could not be built); machine drift between the runs can cause them. Findings that rest on them are marked unconfirmed.",
            if screened == 1 { "" } else { "s" },
            if screened == 1 { "s" } else { "" }
        )
    })
}

/// A root cause in words.
pub fn cause(cmp: &Comparison, rc: &RootCause) -> CauseText {
    let (title, short) = title(rc);
    let mut evidence = Vec::new();
    if let Finding::Environment {
        differences,
        same_commit,
    } = &rc.finding
    {
        evidence.extend(
            differences
                .iter()
                .map(|d| env_effect(&d.field, &plain(&d.baseline), &plain(&d.current))),
        );
        let slower: Vec<&Verdict> = rc
            .evidence
            .iter()
            .filter_map(|e| verdict(cmp, &e.workload, &e.metric))
            .collect();
        if !slower.is_empty() {
            let mut ratios: Vec<f64> = slower.iter().map(|v| ratio(v)).collect();
            ratios.sort_by(f64::total_cmp);
            let measured = cmp
                .verdicts
                .iter()
                .filter(|v| crate::analysis::metrics::is_primary(&v.metric))
                .count();
            evidence.push(format!(
                "{} of {} workloads slower, median {} (range {}–{})",
                slower.len(),
                measured,
                units::factor(ratios[ratios.len() / 2]),
                units::factor(ratios[0]),
                units::factor(ratios[ratios.len() - 1])
            ));
        }
        if *same_commit {
            evidence.push(format!(
                "both sides measured the same commit ({}): the code did not change, so the environment is the cause",
                plain(&cmp.current.label)
            ));
        }
    } else {
        let op = rc.finding.op().map(plain);
        evidence.extend(
            rc.evidence
                .iter()
                .filter_map(|e| evidence_line(cmp, e, op.as_deref())),
        );
    }
    CauseText {
        title: if rc.confirmed || matches!(rc.finding, Finding::Environment { .. }) {
            title.clone()
        } else {
            format!("{title} (unconfirmed)")
        },
        finding: title,
        short,
        confirmed: rc.confirmed,
        evidence,
    }
}

/// The title and short name of a finding.
fn title(rc: &RootCause) -> (String, String) {
    match &rc.finding {
        Finding::Environment { differences, .. } => (
            format!(
                "Environment differs: {}",
                differences
                    .iter()
                    .map(|d| format!(
                        "{} {} → {}",
                        plain(&d.field),
                        plain(&d.baseline),
                        plain(&d.current)
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "environment".to_string(),
        ),
        Finding::Allocation {
            op: Some(op),
            per_call,
        } => {
            let op = plain(op);
            let title = match per_call {
                Some([b, c]) => format!(
                    "{op} allocates {} more per call ({} → {})",
                    units::bytes(c - b),
                    units::bytes(*b),
                    units::bytes(*c)
                ),
                None => format!("{op} allocates more"),
            };
            (title, format!("{op} allocations"))
        }
        Finding::Allocation { op: None, .. } => (
            format!(
                "More allocations in {} (no per-op figures name the op)",
                families(&rc.workloads)
            ),
            "allocations".to_string(),
        ),
        Finding::OpSlower { op, kernel } => {
            let op = plain(op);
            let composites = composites(rc);
            let inside = if composites.is_empty() {
                String::new()
            } else {
                format!(", and it slows {}", families(&composites))
            };
            match kernel {
                KernelCheck::AllSizes { sizes: 1, ratio } => (
                    format!(
                        "the {op} kernel itself is slower ({}){inside}",
                        ratio_range(*ratio)
                    ),
                    format!("{op} kernel"),
                ),
                KernelCheck::AllSizes { sizes, ratio } => (
                    format!(
                        "{op} is slower at every size: the kernel itself ({sizes} of {sizes} sizes, {}){inside}",
                        ratio_range(*ratio)
                    ),
                    format!("{op} kernel"),
                ),
                KernelCheck::NotSlower { sizes } => (
                    format!(
                        "{op} is slower inside {}, not in its {sizes} kernel benchmarks: look at how it is called (shapes, layout, extra work)",
                        families(&composites)
                    ),
                    format!("{op} in its callers"),
                ),
                KernelCheck::NotMeasured => (
                    format!(
                        "{op} is slower inside {} (no kernel benchmark of {op} was compared)",
                        families(&composites)
                    ),
                    op.to_string(),
                ),
            }
        }
        Finding::SizePattern { group, pattern, .. } => {
            let group = plain(group);
            let composites = composites(rc);
            let inside = if composites.is_empty() {
                String::new()
            } else {
                format!("; it also slows {}", families(&composites))
            };
            let (text, short) = match pattern {
                SizePattern::LargestOnly { slower, of } => (
                    format!(
                        "only the {} slower → blocking or cache behaviour",
                        largest_or_smallest("largest", *slower, *of)
                    ),
                    "largest sizes",
                ),
                SizePattern::SmallestOnly { slower, of } => (
                    format!(
                        "only the {} slower → per-call overhead (dispatch, allocation, setup)",
                        largest_or_smallest("smallest", *slower, *of)
                    ),
                    "smallest sizes",
                ),
                SizePattern::Scattered { slower, of } => (
                    format!("{slower} of {of} sizes slower, no size pattern"),
                    "some sizes",
                ),
            };
            (
                format!("{group}: {text}{inside}"),
                format!("{group} {short}"),
            )
        }
    }
}

fn largest_or_smallest(which: &str, slower: u32, of: u32) -> String {
    if slower == 1 {
        format!("{which} of {of} sizes is")
    } else {
        format!("{slower} {which} of {of} sizes are")
    }
}

/// Composite workloads of a finding: those whose evidence carries an op share.
fn composites(rc: &RootCause) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in rc
        .evidence
        .iter()
        .filter(|e| e.share.is_some() && e.op_bytes.is_none())
    {
        if !out.contains(&e.workload) {
            out.push(e.workload.clone());
        }
    }
    out
}

fn ratio_range(r: [f64; 2]) -> String {
    if (r[1] - r[0]).abs() < 0.005 {
        units::factor(r[0])
    } else {
        format!("{}–{}", units::factor(r[0]), units::factor(r[1]))
    }
}

/// Workloads by family, compactly: `gelu/* (4), model/small`.
pub fn families(workloads: &[String]) -> String {
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for w in workloads {
        let g = w.split('/').next().unwrap_or(w).to_string();
        match groups.iter_mut().find(|(x, _)| *x == g) {
            Some((_, ws)) => ws.push(w),
            None => groups.push((g, vec![w])),
        }
    }
    groups
        .iter()
        .map(|(g, ws)| {
            if ws.len() == 1 {
                plain(ws[0])
            } else {
                format!("{}/* ({})", plain(g), ws.len())
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line of evidence from the verdict it names.
fn evidence_line(cmp: &Comparison, e: &Evidence, op: Option<&str>) -> Option<String> {
    let v = verdict(cmp, &e.workload, &e.metric)?;
    let mut line = format!(
        "{}: {} {} → {} ({}",
        plain(&v.workload),
        metric_label(&v.metric),
        units::value(v.baseline, &v.unit),
        units::value(v.current, &v.unit),
        change_of(v)
    );
    if let Some(ci) = v.ci95 {
        line.push_str(&format!(", 95 % CI {}", units::interval(ci)));
    }
    if v.kind != MetricKind::Deterministic {
        line.push_str(&format!(", q={}", units::p(v.q_value)));
    }
    line.push_str(&format!(
        ") {}",
        match e.role {
            Role::NotSlower => "not slower".to_string(),
            _ => verdict_status(cmp, v),
        }
    ));
    if e.role == Role::Weak {
        line.push_str(": moved beyond its threshold, counted as slower");
    }
    if let (Some(share), Some(op)) = (e.share, op) {
        match e.op_bytes {
            Some([b, c]) => line.push_str(&format!(
                "; {op} {} → {} per operation ({} of the increase)",
                units::bytes(b),
                units::bytes(c),
                units::percent(share)
            )),
            None => line.push_str(&format!(
                "; {op} carries {} of the increase",
                units::percent(share)
            )),
        }
    }
    if v.basis == Basis::Stored && v.kind == MetricKind::Sampled && e.role != Role::NotSlower {
        line.push_str(" [stored runs]");
    } else if v.basis == Basis::Paired && e.role != Role::NotSlower {
        line.push_str(" [lockstep]");
    }
    Some(line)
}

/// What an environment difference does to the figures.
fn env_effect(field: &str, b: &str, c: &str) -> String {
    match field {
        "simd_tier" => format!(
            "SIMD tier {b} → {c}: the engine ran different kernel bodies; every vectorised op (matmul, GELU, softmax, elementwise) and everything built on them changes speed"
        ),
        "threads" => format!(
            "engine threads {b} → {c}: parallel kernels (matmul) ran with a different number of workers"
        ),
        "rustc" => {
            format!("compiler {b} → {c}: code generation may differ (inlining, vectorisation)")
        }
        "profile" => format!("build profile {b} → {c}: optimisation level differs"),
        "cpu_model" => format!("CPU {b} → {c}: different hardware, figures are not comparable"),
        "logical_cores" => format!("logical cores {b} → {c}: a different machine or VM size"),
        _ => format!("{}: {b} → {c}", plain(field)),
    }
}

fn ratio(v: &Verdict) -> f64 {
    1.0 + effect(v.change, v.better)
}

/// An action in words (its command and files are shown beside it).
pub fn action(cmp: &Comparison, a: &Action) -> String {
    match &a.what {
        ActionKind::Remeasure => format!(
            "Re-measure in the baseline's environment before trusting these regressions ({})",
            cmp.env_differences
                .iter()
                .map(|d| format!(
                    "{} {} → {}",
                    plain(&d.field),
                    plain(&d.baseline),
                    plain(&d.current)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ActionKind::Fix {
            finding,
            workloads,
            workload,
            metric,
        } => {
            let figures = verdict(cmp, workload, metric)
                .map(|v| {
                    format!(
                        "{} {} {} → {} ({}, {})",
                        plain(workload),
                        metric_label(metric),
                        units::value(v.baseline, &v.unit),
                        units::value(v.current, &v.unit),
                        change_of(v),
                        v.severity.map_or("REGRESSION", severity_word)
                    )
                })
                .unwrap_or_else(|| format!("{} {}", plain(workload), metric_label(metric)));
            let more = if workloads.len() > 1 {
                format!(
                    " and {} more workload{}",
                    workloads.len() - 1,
                    if workloads.len() == 2 { "" } else { "s" }
                )
            } else {
                String::new()
            };
            let confirm = if a
                .command
                .as_deref()
                .is_some_and(|c| c.starts_with("smprof ab"))
            {
                " — unconfirmed: measure both builds in lockstep first"
            } else {
                ""
            };
            match finding.and_then(|i| cmp.root_causes.get(i).map(|rc| (i, rc))) {
                Some((i, rc)) => format!(
                    "Fix cause {} ({}): {figures}{more}{confirm}",
                    i + 1,
                    cause(cmp, rc).short
                ),
                None => {
                    format!("Find the cause of {figures}{more}: no finding explains it{confirm}")
                }
            }
        }
        ActionKind::Investigate { workload, metric } => {
            let modes = verdict(cmp, workload, metric)
                .and_then(|v| v.modes.as_ref().map(|m| (v, m)))
                .map(|(v, m)| {
                    let show = |side: &str, ms: &Option<Vec<crate::result::Mode>>| {
                        ms.as_ref().map(|ms| {
                            format!(
                                "{side} modes {}",
                                ms.iter()
                                    .map(|m| format!(
                                        "{} ({})",
                                        units::value(m.center, &v.unit),
                                        units::percent(m.weight)
                                    ))
                                    .collect::<Vec<_>>()
                                    .join(" / ")
                            )
                        })
                    };
                    [show("baseline", &m.baseline), show("current", &m.current)]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            format!(
                "Investigate the unstable {} of {}: its samples fall into separate clusters ({modes}); look for frequency scaling, background load or a data-dependent path before comparing it",
                metric_label(metric),
                plain(workload)
            )
        }
        ActionKind::MeasureLonger {
            workload,
            metric,
            rounds,
        } => {
            let figures = verdict(cmp, workload, metric)
                .map(|v| format!(" ({})", super::labels::change_with_interval(v)))
                .unwrap_or_default();
            format!(
                "Measure {} {} longer: undecided after {rounds} rounds{figures}, the interval straddles the threshold",
                plain(workload),
                metric_label(metric)
            )
        }
        ActionKind::Revalidate {
            workload,
            metric,
            reasons,
        } => {
            let Some(v) = verdict(cmp, workload, metric) else {
                return format!(
                    "Re-run to validate {} {}",
                    plain(workload),
                    metric_label(metric)
                );
            };
            let why: Vec<String> = reasons
                .iter()
                .map(|r| match r {
                    Borderline::NearThreshold => format!(
                        "|change| {} lies near the {} threshold",
                        units::percent(v.change.abs()),
                        units::threshold(v.threshold)
                    ),
                    Borderline::NearAlpha => format!(
                        "q = {} lies near α = {}",
                        units::p(v.q_value),
                        cmp.settings.alpha
                    ),
                    Borderline::ProcessesDisagree => format!(
                        "the 95 % interval {} reaches inside ±{}: the worker processes disagree about the size",
                        v.ci95.map(units::interval).unwrap_or_default(),
                        units::threshold(v.threshold)
                    ),
                })
                .collect();
            format!(
                "Re-run to validate {} {} ({}, now {}): {}",
                plain(workload),
                metric_label(metric),
                change_of(v),
                v.verdict.as_str(),
                if why.is_empty() {
                    "near its rule".to_string()
                } else {
                    why.join("; ")
                }
            )
        }
        ActionKind::ImprovePool {
            workload,
            reduction,
            target,
        } => format!(
            "Improve buffer-pool reuse in {}: pool reduction {} (target ≥ {})",
            plain(workload),
            units::percent(*reduction),
            units::percent(*target)
        ),
        ActionKind::Document { story } => match cmp.success_stories.get(*story) {
            Some(s) => format!(
                "Document the {} improvement: {}",
                plain(&s.group),
                story_text(cmp, s)
            ),
            None => "Document the improvement".to_string(),
        },
    }
}

/// A success story in words: `softmax: 4 of 4 workloads faster, -35.4 % to -36.0 % (up to GOOD)`.
pub fn story(cmp: &Comparison, s: &SuccessStory) -> String {
    format!("{}: {}", plain(&s.group), story_text(cmp, s))
}

fn story_text(cmp: &Comparison, s: &SuccessStory) -> String {
    let what = if s.metric == "time_ns" {
        "faster".to_string()
    } else {
        format!("better {}", metric_label(&s.metric))
    };
    format!(
        "{} of {} workload{} {what}, {}",
        s.workloads.len(),
        s.of,
        if s.of == 1 { "" } else { "s" },
        story_change(cmp, s)
    )
}

/// The changes of a story's workloads: `-35.4 % to -36.0 % (up to GOOD)`.
pub fn story_change(cmp: &Comparison, s: &SuccessStory) -> String {
    let vs: Vec<&Verdict> = s
        .workloads
        .iter()
        .filter_map(|w| verdict(cmp, w, &s.metric))
        .collect();
    let mut changes: Vec<f64> = vs.iter().map(|v| v.change).collect();
    changes.sort_by(f64::total_cmp);
    let range = match changes.as_slice() {
        [] => String::new(),
        [one] => units::relative(*one),
        [first, .., last] => {
            // Smallest improvement first: the one closest to zero.
            let (a, b) = if first.abs() < last.abs() {
                (first, last)
            } else {
                (last, first)
            };
            format!("{} to {}", units::relative(*a), units::relative(*b))
        }
    };
    let best = vs
        .iter()
        .filter_map(|v| v.severity)
        .max()
        .map(|s| format!(" (up to {})", severity_word(s)))
        .unwrap_or_default();
    format!("{range}{best}")
}
