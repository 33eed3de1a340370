//! The sequential paired decision: measure both builds in lockstep, decide what
//! is clear, measure again what is not, and say `inconclusive` where the most
//! rounds still leave it open.

use super::measurer::PairMeasurer;
use super::rounds::RoundPlan;
use crate::compare::model::{Basis, Comparison, Verdict, VerdictKind};
use crate::compare::{self, Floors};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::result::{MetricKind, RunResult};
use std::collections::BTreeMap;

/// Where one paired verdict stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Significant, and its whole interval lies beyond the threshold.
    Changed,
    /// Its whole interval lies within ±threshold.
    Unchanged,
    /// The interval straddles the threshold (or there is none yet).
    Undecided,
}

/// Classify a sampled verdict of a paired comparison.
pub fn classify(v: &Verdict) -> Class {
    let t = v.threshold;
    let Some([lo, hi]) = v.ci95 else {
        return Class::Undecided;
    };
    let changed = matches!(
        v.verdict,
        VerdictKind::Regression | VerdictKind::Improvement
    );
    if changed && (lo > t || hi < -t) {
        Class::Changed
    } else if lo > -t && hi < t {
        Class::Unchanged
    } else {
        Class::Undecided
    }
}

/// The verdicts that decide a workload: its sampled (wall-time) metrics.
fn deciding(v: &Verdict) -> bool {
    v.kind == MetricKind::Sampled && v.basis == Basis::Paired
}

/// A paired decision over several looks.
#[derive(Debug, Clone)]
pub struct PairedDecision {
    /// Both sides, every look's rounds merged (round indices continue).
    pub baseline: RunResult,
    pub current: RunResult,
    /// Verdicts as decided: each workload's at the look that decided it; the
    /// ones still undecided at the last look are `inconclusive` (or keep a
    /// change beyond the threshold, marked borderline).
    pub comparison: Comparison,
    pub plan: RoundPlan,
    /// Looks taken.
    pub looks: u32,
    /// Rounds each workload got.
    pub rounds: BTreeMap<String, u32>,
}

/// Decide `workloads` on both builds: `plan.first` rounds, then up to
/// `plan.looks − 1` extensions of `plan.step` rounds for the undecided ones.
/// Each look is tested at `plan.alpha_look`. `progress` gets one line per look.
pub fn decide_paired(
    measurer: &mut dyn PairMeasurer,
    workloads: &[String],
    config: &Config,
    floors: Option<&Floors>,
    plan: RoundPlan,
    progress: &mut dyn FnMut(&str),
) -> Result<PairedDecision> {
    if workloads.is_empty() {
        return Err(Error::Other {
            what: "paired decision".into(),
            reason: "no workload to measure".into(),
        });
    }
    let mut look_config = config.clone();
    look_config.alpha = plan.alpha_look;
    progress(&format!(
        "look 1/{}: {} workload(s), {} rounds in lockstep",
        plan.looks,
        workloads.len(),
        plan.first
    ));
    let (mut base, mut cur) = measurer.measure(workloads, plan.first)?;
    let mut rounds: BTreeMap<String, u32> =
        workloads.iter().map(|w| (w.clone(), plan.first)).collect();
    let mut frozen: BTreeMap<String, Vec<Verdict>> = BTreeMap::new();
    let mut look = 1;
    loop {
        let cmp = compare_now(&base, &cur, &look_config, floors);
        let mut undecided = Vec::new();
        for w in workloads {
            if frozen.contains_key(w) {
                continue;
            }
            let vs: Vec<&Verdict> = cmp.verdicts.iter().filter(|v| &v.workload == w).collect();
            let open = vs
                .iter()
                .any(|v| deciding(v) && classify(v) == Class::Undecided);
            if open && look < plan.looks {
                undecided.push(w.clone());
            } else {
                frozen.insert(w.clone(), vs.into_iter().cloned().collect());
            }
        }
        if undecided.is_empty() {
            break;
        }
        look += 1;
        progress(&format!(
            "look {look}/{}: {} undecided workload(s) ({}), {} more rounds",
            plan.looks,
            undecided.len(),
            undecided.join(", "),
            plan.step
        ));
        let (b2, c2) = measurer.measure(&undecided, plan.step)?;
        append_rounds(&mut base, &b2);
        append_rounds(&mut cur, &c2);
        for w in &undecided {
            *rounds.entry(w.clone()).or_default() += plan.step;
        }
    }
    let mut comparison = compare_now(&base, &cur, &look_config, floors);
    for v in comparison.verdicts.iter_mut() {
        if let Some(f) = frozen
            .get(&v.workload)
            .and_then(|vs| vs.iter().find(|f| f.metric == v.metric))
        {
            *v = f.clone();
        }
    }
    settle_undecided(&mut comparison);
    crate::compare_workflow::refresh(&mut comparison, &base, &cur, &look_config);
    Ok(PairedDecision {
        baseline: base,
        current: cur,
        comparison,
        plan,
        looks: look,
        rounds,
    })
}

fn compare_now(
    base: &RunResult,
    cur: &RunResult,
    config: &Config,
    floors: Option<&Floors>,
) -> Comparison {
    crate::compare_workflow::compare_results(
        compare::side_of("baseline (lockstep)", base),
        compare::side_of("current (lockstep)", cur),
        base,
        cur,
        config,
        floors,
        crate::timefmt::rfc3339(crate::timefmt::now_unix()),
    )
}

/// After the last look: a stable verdict whose interval still reaches beyond
/// the threshold is `inconclusive` (a change past the threshold is not ruled
/// out); a change whose interval reaches back inside stays a change, borderline.
/// Derived metrics follow their source.
pub fn settle_undecided(cmp: &mut Comparison) {
    let mut inconclusive: Vec<(String, String)> = Vec::new();
    for v in cmp.verdicts.iter_mut().filter(|v| deciding(v)) {
        if classify(v) != Class::Undecided {
            continue;
        }
        match v.verdict {
            VerdictKind::Stable => {
                v.verdict = VerdictKind::Inconclusive;
                v.severity = None;
                inconclusive.push((v.workload.clone(), v.metric.clone()));
            }
            VerdictKind::Regression | VerdictKind::Improvement => v.borderline = true,
            _ => {}
        }
    }
    for v in cmp.verdicts.iter_mut() {
        if v.kind == MetricKind::Derived
            && v.derived_from.as_ref().is_some_and(|src| {
                inconclusive
                    .iter()
                    .any(|(w, m)| w == &v.workload && m == src)
            })
        {
            v.verdict = VerdictKind::Inconclusive;
            v.severity = None;
        }
    }
}

/// Append the rounds of `more` (a later measurement of the same pairing's
/// builds) to `into`: samples of each workload in `more` are added with their
/// round indices moved past `into`'s, so every round stays one unit of the
/// paired test. Workloads `more` lacks keep their rounds.
pub fn append_rounds(into: &mut RunResult, more: &RunResult) {
    for mw in &more.workloads {
        let Some(w) = into.workloads.iter_mut().find(|w| w.name == mw.name) else {
            into.workloads.push(mw.clone());
            continue;
        };
        for (name, mm) in &mw.metrics {
            let Some(m) = w.metrics.get_mut(name) else {
                continue;
            };
            if m.kind == MetricKind::Deterministic {
                continue;
            }
            let (Some(xs), Some(ys)) = (&mut m.samples, &mm.samples) else {
                continue;
            };
            let n_before = xs.len();
            let offset = m
                .process
                .as_ref()
                .and_then(|p| p.iter().max().map(|k| k + 1))
                .unwrap_or(1);
            xs.extend_from_slice(ys);
            let process = m.process.get_or_insert_with(|| vec![0; n_before]);
            match &mm.process {
                Some(p) => process.extend(p.iter().map(|k| k + offset)),
                None => process.extend(std::iter::repeat_n(offset, ys.len())),
            }
            m.summary = crate::build::merge::summarize(xs);
            m.modes = None;
        }
    }
    into.settings.processes = into.settings.processes.max(1) + more.settings.processes;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::model::ThresholdSource;
    use crate::result::Better;

    fn v(verdict: VerdictKind, ci: Option<[f64; 2]>) -> Verdict {
        Verdict {
            workload: "w".into(),
            group: "w".into(),
            suite: "code".into(),
            metric: "time_ns".into(),
            unit: "ns".into(),
            better: Better::Lower,
            baseline: 1.0,
            current: 1.0,
            change: 0.0,
            ci95: ci,
            p_value: None,
            q_value: None,
            verdict,
            severity: None,
            threshold: 0.05,
            threshold_source: ThresholdSource::Default,
            modes: None,
            waiver: None,
            borderline: false,
            kind: MetricKind::Sampled,
            derived_from: None,
            n: [1, 1],
            basis: Basis::Paired,
        }
    }

    #[test]
    fn classes_by_interval_against_the_threshold() {
        use VerdictKind::*;
        assert_eq!(classify(&v(Regression, Some([0.06, 0.09]))), Class::Changed);
        assert_eq!(
            classify(&v(Improvement, Some([-0.2, -0.07]))),
            Class::Changed
        );
        assert_eq!(classify(&v(Stable, Some([-0.02, 0.03]))), Class::Unchanged);
        // Straddles the threshold: more rounds.
        assert_eq!(
            classify(&v(Regression, Some([0.04, 0.08]))),
            Class::Undecided
        );
        assert_eq!(classify(&v(Stable, Some([0.01, 0.06]))), Class::Undecided);
        // Beyond, but not significant at this look: more rounds.
        assert_eq!(classify(&v(Stable, Some([0.06, 0.09]))), Class::Undecided);
        assert_eq!(classify(&v(Stable, None)), Class::Undecided);
    }

    #[test]
    fn undecided_at_the_last_look_is_inconclusive_unless_past_the_threshold() {
        let mut cmp_verdicts = vec![
            v(VerdictKind::Stable, Some([0.01, 0.06])),
            v(VerdictKind::Regression, Some([0.04, 0.08])),
            v(VerdictKind::Stable, Some([-0.01, 0.01])),
        ];
        cmp_verdicts[1].workload = "x".into();
        cmp_verdicts[2].workload = "y".into();
        let mut derived = v(VerdictKind::Stable, Some([0.01, 0.06]));
        derived.kind = MetricKind::Derived;
        derived.derived_from = Some("time_ns".into());
        derived.metric = "elements_per_s".into();
        cmp_verdicts.push(derived);
        let mut cmp = crate::compare_workflow::compare_results(
            crate::compare::side_of("a", &empty()),
            crate::compare::side_of("b", &empty()),
            &empty(),
            &empty(),
            &Config::default(),
            None,
            "2026-12-06T00:00:00Z".into(),
        );
        cmp.verdicts = cmp_verdicts;
        settle_undecided(&mut cmp);
        let kinds: Vec<VerdictKind> = cmp.verdicts.iter().map(|v| v.verdict).collect();
        assert_eq!(
            kinds,
            [
                VerdictKind::Inconclusive,
                VerdictKind::Regression,
                VerdictKind::Stable,
                VerdictKind::Inconclusive
            ]
        );
        assert!(cmp.verdicts[1].borderline);
    }

    fn empty() -> RunResult {
        crate::decision::confirm::tests_support::result_with(&[], "p")
    }

    /// A measurer double: each round runs under a random spell of the machine
    /// (1.0–1.4×) that both halves of a sample pair share, each sample with its
    /// own noise; the current build is `ratio` times the baseline.
    struct Fake {
        ratio: BTreeMap<String, f64>,
        noise: f64,
        rng: crate::stats::rng::SplitMix64,
        calls: Vec<(Vec<String>, u32)>,
    }

    impl Fake {
        fn new(ratios: &[(&str, f64)], noise: f64, seed: u64) -> Fake {
            Fake {
                ratio: ratios.iter().map(|(w, r)| (w.to_string(), *r)).collect(),
                noise,
                rng: crate::stats::rng::SplitMix64::new(seed),
                calls: Vec::new(),
            }
        }
    }

    impl PairMeasurer for Fake {
        fn measure(&mut self, workloads: &[String], rounds: u32) -> Result<(RunResult, RunResult)> {
            self.calls.push((workloads.to_vec(), rounds));
            let (mut b, mut c) = (Vec::new(), Vec::new());
            for w in workloads {
                let ratio = self.ratio[w];
                let (mut rb, mut rc) = (Vec::new(), Vec::new());
                for _ in 0..rounds {
                    let spell = 1.0 + 0.4 * self.rng.unit();
                    let (mut xb, mut xc) = (Vec::new(), Vec::new());
                    for _ in 0..4 {
                        xb.push(1000.0 * spell * (1.0 + self.noise * self.rng.normal()));
                        xc.push(1000.0 * spell * ratio * (1.0 + self.noise * self.rng.normal()));
                    }
                    rb.push(xb);
                    rc.push(xc);
                }
                b.push((w.as_str(), rb));
                c.push((w.as_str(), rc));
            }
            let support = crate::decision::confirm::tests_support::result_with;
            Ok((support(&b, "fake"), support(&c, "fake")))
        }
    }

    fn names(ws: &[&str]) -> Vec<String> {
        ws.iter().map(|w| w.to_string()).collect()
    }

    fn run(fake: &mut Fake, ws: &[&str]) -> PairedDecision {
        let config = Config::default();
        let plan = RoundPlan::new(ws.len(), config.alpha, 1);
        decide_paired(fake, &names(ws), &config, None, plan, &mut |_| {}).unwrap()
    }

    fn verdict_of(d: &PairedDecision, w: &str) -> VerdictKind {
        d.comparison
            .verdicts
            .iter()
            .find(|v| v.workload == w && v.metric == "time_ns")
            .unwrap()
            .verdict
    }

    #[test]
    fn clear_changes_and_clear_non_changes_are_decided_on_the_first_look() {
        let mut fake = Fake::new(&[("a/1", 1.0), ("b/1", 1.12), ("c/1", 0.85)], 0.02, 7);
        let d = run(&mut fake, &["a/1", "b/1", "c/1"]);
        assert_eq!(d.looks, 1);
        assert_eq!(fake.calls.len(), 1);
        assert_eq!(verdict_of(&d, "a/1"), VerdictKind::Stable);
        assert_eq!(verdict_of(&d, "b/1"), VerdictKind::Regression);
        assert_eq!(verdict_of(&d, "c/1"), VerdictKind::Improvement);
        assert_eq!(d.comparison.verdicts[0].basis, Basis::Paired);
    }

    #[test]
    fn a_change_at_the_threshold_earns_more_rounds_for_itself_only() {
        let mut fake = Fake::new(&[("a/1", 1.0), ("edge/1", 1.05)], 0.03, 11);
        let d = run(&mut fake, &["a/1", "edge/1"]);
        let plan = d.plan;
        assert_eq!(d.looks, plan.looks, "a change at the threshold stays open");
        assert_eq!(d.rounds["edge/1"], plan.cap());
        assert_eq!(d.rounds["a/1"], plan.first);
        // Extensions measure only what is undecided.
        assert!(
            fake.calls[1..]
                .iter()
                .all(|(ws, _)| ws == &names(&["edge/1"]))
        );
        let v = verdict_of(&d, "edge/1");
        assert!(
            matches!(v, VerdictKind::Inconclusive | VerdictKind::Regression),
            "{v:?}"
        );
    }

    #[test]
    fn a_and_a_runs_never_regress_over_many_seeds() {
        let mut false_alarms = 0;
        for seed in 0..40 {
            let mut fake = Fake::new(&[("a/1", 1.0), ("b/1", 1.0), ("c/1", 1.0)], 0.03, seed);
            let d = run(&mut fake, &["a/1", "b/1", "c/1"]);
            false_alarms += ["a/1", "b/1", "c/1"]
                .iter()
                .filter(|w| verdict_of(&d, w) == VerdictKind::Regression)
                .count();
        }
        assert_eq!(false_alarms, 0);
    }

    #[test]
    fn appended_rounds_continue_the_round_indices() {
        let support = crate::decision::confirm::tests_support::result_with;
        let mut a = support(&[("w/1", vec![vec![1.0, 2.0], vec![3.0]])], "p");
        let b = support(&[("w/1", vec![vec![4.0], vec![5.0, 6.0]])], "q");
        append_rounds(&mut a, &b);
        let m = &a.workloads[0].metrics["time_ns"];
        assert_eq!(
            m.samples.as_deref().unwrap(),
            [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        );
        assert_eq!(m.process.as_deref().unwrap(), [0, 0, 1, 2, 3, 3]);
        assert_eq!(m.summary.n, 6);
        assert_eq!(a.settings.pairing.as_deref(), Some("p"));
    }
}
