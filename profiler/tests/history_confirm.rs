//! `history --confirm`: each change point of the stored runs measured again in
//! lockstep against the commit before it, with the workflow's measurement double.

use crate::workflow_support;

use smprof::config::Config;
use smprof::decision::PairMeasurer;
use smprof::history::confirm::{self, PairBuilder, Status};
use smprof::history::{History, MeasuredCommit, Series, Shift, Source};
use smprof::result::{Better, CommitInfo};
use workflow_support::Fake;

fn commit(i: usize) -> CommitInfo {
    CommitInfo {
        sha: format!("{i:040}"),
        short: format!("c{i}"),
        dirty: false,
        branch: None,
        subject: format!("commit {i}"),
        time: "2026-12-06T00:00:00Z".into(),
        stale: false,
    }
}

fn shift(at: usize, change: f64) -> Shift {
    Shift {
        commit: at,
        sha: commit(at).sha,
        short: commit(at).short,
        subject: commit(at).subject,
        time: commit(at).time,
        before: 1000.0,
        after: 1000.0 * (1.0 + change),
        change,
        regression: change > 0.0,
        p_value: 0.001,
        confirmation: None,
    }
}

fn series(workload: &str, points: &[usize], shifts: Vec<Shift>) -> Series {
    Series {
        workload: workload.into(),
        env: 0,
        metric: "time_ns".into(),
        unit: "ns".into(),
        better: Better::Lower,
        points: points.iter().map(|&i| (i, 1000.0)).collect(),
        change_points: shifts,
    }
}

/// Stored runs of commits c0…c7 with a shift at c3 in two workloads (gelu/1m
/// and softmax/2048), one at c5 in matmul/128 (its predecessor c4 is not
/// measured for it: the one before is c2) and one improvement at c6 in add.
fn history() -> History {
    History {
        metric: "time_ns".into(),
        significance: smprof::stats::edivisive::Significance::default(),
        commits: (0..8)
            .map(|i| MeasuredCommit {
                commit: commit(i),
                source: Source::File,
                env: 0,
            })
            .collect(),
        environments: Vec::new(),
        env_changes: Vec::new(),
        series: vec![
            series("gelu/1m", &[0, 1, 2, 3, 4, 5, 6, 7], vec![shift(3, 0.10)]),
            series(
                "softmax/2048",
                &[0, 1, 2, 3, 4, 5, 6, 7],
                vec![shift(3, 0.12)],
            ),
            series("matmul/128", &[0, 1, 2, 5, 6, 7], vec![shift(5, 0.20)]),
            series(
                "tensor/add_10k",
                &[0, 1, 2, 3, 4, 5, 6, 7],
                vec![shift(6, -0.15)],
            ),
        ],
        warnings: Vec::new(),
    }
}

/// Each pair of commits is measured by the double with the true ratios of the
/// commit after; `broken` cannot be built.
struct Builder {
    ratios: Vec<(String, Vec<(&'static str, f64)>)>,
    broken: String,
    pairs: Vec<(String, String)>,
    fakes: Vec<Fake>,
}

impl PairBuilder for Builder {
    fn pair(
        &mut self,
        before: &CommitInfo,
        after: &CommitInfo,
        _progress: &mut dyn FnMut(&str),
    ) -> smprof::Result<Box<dyn PairMeasurer + '_>> {
        self.pairs.push((before.short.clone(), after.short.clone()));
        if after.short == self.broken {
            return Err(smprof::Error::Other {
                what: format!("building {}", after.short),
                reason: "cargo build failed:\nerror[E0425]".into(),
            });
        }
        let ratios = &self
            .ratios
            .iter()
            .find(|(c, _)| *c == after.short)
            .expect("a ratio table per commit")
            .1;
        self.fakes.push(Fake::new(ratios));
        Ok(Box::new(self.fakes.last_mut().unwrap()))
    }
}

impl PairMeasurer for &mut Fake {
    fn measure(
        &mut self,
        workloads: &[String],
        rounds: u32,
    ) -> smprof::Result<(smprof::result::RunResult, smprof::result::RunResult)> {
        (**self).measure(workloads, rounds)
    }
}

fn confirmed(h: &History, workload: &str) -> confirm::Confirmation {
    h.series
        .iter()
        .find(|s| s.workload == workload)
        .unwrap()
        .change_points[0]
        .confirmation
        .clone()
        .expect("every change point gets a confirmation")
}

#[test]
fn a_real_shift_is_confirmed_and_drift_is_not() {
    let mut h = history();
    let mut b = Builder {
        ratios: vec![
            // At c3 gelu really got 10 % slower; softmax's stored shift was drift.
            ("c3".into(), vec![("gelu/1m", 1.10), ("softmax/2048", 1.0)]),
            // add really got faster at c6.
            ("c6".into(), vec![("tensor/add_10k", 0.85)]),
        ],
        broken: "c5".into(),
        pairs: Vec::new(),
        fakes: Vec::new(),
    };
    let mut lines = Vec::new();
    confirm::confirm(&mut h, &mut b, &Config::default(), &mut |s: &str| {
        lines.push(s.to_string())
    })
    .unwrap();

    // One lockstep measurement per pair of commits, against the measured commit
    // before the shift in its series (c2 for matmul/128, whose c4 is missing).
    assert_eq!(
        b.pairs,
        [("c2", "c3"), ("c2", "c5"), ("c5", "c6")].map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let gelu = confirmed(&h, "gelu/1m");
    assert_eq!(gelu.status, Status::Confirmed);
    assert_eq!(gelu.against, "c2");
    let [lo, hi] = gelu.ci95.unwrap();
    assert!(
        lo < 0.10 && 0.10 < hi,
        "interval [{lo}, {hi}] holds the true +10 %"
    );
    assert_eq!(confirmed(&h, "softmax/2048").status, Status::NotConfirmed);
    assert_eq!(confirmed(&h, "tensor/add_10k").status, Status::Confirmed);
    let matmul = confirmed(&h, "matmul/128");
    assert_eq!(matmul.status, Status::Unmeasured);
    assert!(matmul.reason.unwrap().contains("cargo build failed"));

    // Rounds come from α and the number of shifts (four), never a fixed count.
    let plan = smprof::decision::rounds::RoundPlan::new(4, Config::default().alpha, 1);
    let first = &b.fakes[0].calls[0];
    assert_eq!(first.1, plan.first);
    assert_eq!(first.0, ["gelu/1m", "softmax/2048"]);
    assert!(lines.iter().any(|l| l.contains("c3 against c2")));

    // The table says what each shift turned out to be.
    let table = smprof::report::history::table(&h, false);
    assert!(table.contains("measured again in lockstep"), "{table}");
    assert!(table.contains("✔ confirmed in lockstep: +10."), "{table}");
    assert!(
        table.contains("✘ not confirmed: no change in lockstep"),
        "{table}"
    );
    assert!(
        table.contains("? unmeasured: building c5: cargo build failed"),
        "{table}"
    );
    // The build log's lines follow, indented: the cause, not only "failed:".
    assert!(table.contains("\n          error[E0425]\n"), "{table}");
    // And the JSON carries it, field by field.
    let json: serde_json::Value = serde_json::from_str(&smprof::report::history::json(&h)).unwrap();
    let cp = &json["series"][0]["change_points"][0]["confirmation"];
    assert_eq!(cp["status"], "confirmed");
    assert_eq!(cp["against"], "c2");
    assert!(cp["rounds"].as_u64().unwrap() >= plan.first as u64);
}

#[test]
fn a_shift_the_other_way_in_lockstep_is_opposite() {
    let mut h = history();
    h.series.truncate(1);
    let mut b = Builder {
        ratios: vec![("c3".into(), vec![("gelu/1m", 0.85)])],
        broken: String::new(),
        pairs: Vec::new(),
        fakes: Vec::new(),
    };
    confirm::confirm(&mut h, &mut b, &Config::default(), &mut |_| {}).unwrap();
    assert_eq!(confirmed(&h, "gelu/1m").status, Status::Opposite);
}

#[test]
fn without_confirmation_the_table_says_unconfirmed() {
    let h = history();
    let table = smprof::report::history::table(&h, false);
    assert!(table.contains("unconfirmed"), "{table}");
    assert!(!table.contains("lockstep:"), "{table}");
    let json = smprof::report::history::json(&h);
    assert!(!json.contains("confirmation"), "{json}");
}
