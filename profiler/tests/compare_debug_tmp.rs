use smprof::compare::{compare_results, side_of};
use smprof::config::Config;
use std::path::Path;
fn load(n: &str) -> smprof::result::RunResult {
    smprof::result::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(n),
    )
    .unwrap()
}
#[test]
fn dump() {
    for (a, b) in [
        ("baseline.json", "current.json"),
        ("aa_first.json", "aa_second.json"),
        ("scalar_avx512.json", "scalar_scalar.json"),
    ] {
        let (ra, rb) = (load(a), load(b));
        let c = compare_results(
            side_of(a, &ra),
            side_of(b, &rb),
            &ra,
            &rb,
            &Config::default(),
            None,
            "T".into(),
        );
        println!("==== {a} vs {b}: {}", c.summary.headline);
        for v in &c.verdicts {
            println!(
                "{:32} {:22} {:+8.3} p={:?} q={:?} {:?} {:?} bl={} ci={:?}",
                v.workload,
                v.metric,
                v.change * 100.0,
                v.p_value.map(|x| format!("{x:.2e}")),
                v.q_value.map(|x| format!("{x:.2e}")),
                v.verdict,
                v.severity,
                v.borderline,
                v.ci95.map(|c| [
                    (c[0] * 1000.0).round() / 10.0,
                    (c[1] * 1000.0).round() / 10.0
                ])
            );
        }
        for r in &c.root_causes {
            println!(
                "RC {} [{}] {:?}\n   {:#?}",
                r.title, r.kind, r.workloads, r.evidence
            );
        }
        for x in &c.actions {
            println!(
                "{:?} {} | {:?} {:?}",
                x.priority, x.text, x.command, x.files
            );
        }
        for s in &c.success_stories {
            println!("SS {}", s.text);
        }
        println!("added {:?} removed {:?}", c.added, c.removed);
    }
}
