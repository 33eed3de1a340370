//! Worker lines → result: samples merged with their process, derived metrics per
//! sample, allocation figures, and the per-process workload orders.

use smprof::measure::alloc::AllocFigures;
use smprof::measure::assemble::assemble;
use smprof::measure::orchestrate::order_for;
use smprof::measure::worker::{Line, Pass};
use smprof::measure::{Plan, matches_filter};
use smprof::result::{Better, MetricKind};

fn line(workload: &str, pass: Pass, process: u32, samples: &[f64]) -> Line {
    Line {
        workload: workload.into(),
        pass,
        process,
        simd_tier: "avx2".into(),
        elapsed_s: 0.5,
        error: None,
        samples_ns: samples.to_vec(),
        iters_per_sample: 10,
        retaken: 0,
        alloc: None,
        attribution: None,
        operations: 0,
    }
}

#[test]
fn lines_become_metrics() {
    let plan = Plan::new(vec!["gelu/1k".into(), "tensor/add_10k".into()]).unwrap();
    let mut alloc = line("tensor/add_10k", Pass::Alloc, 0, &[]);
    alloc.alloc = Some(AllocFigures {
        alloc_bytes: 0.0,
        alloc_count: 0.0,
        peak_bytes: 0.0,
        alloc_bytes_unpooled: 65536.0,
        alloc_count_unpooled: 1.0,
        peak_bytes_unpooled: 65536.0,
        pool_requested_bytes: 40000.0,
        pool_reduction: 1.0,
        pool_reduction_unpooled: -0.6384,
    });
    let lines = vec![
        line("gelu/1k", Pass::Time, 1, &[2000.0, 4000.0]),
        line("tensor/add_10k", Pass::Time, 0, &[10.0]),
        line("gelu/1k", Pass::Time, 0, &[1000.0, 1000.0]),
        alloc,
    ];
    let r = assemble(&plan, &lines, None, 3.0).unwrap();
    assert_eq!(r.env.simd_tier, "avx2");
    assert_eq!(r.settings.processes, 5);
    let g = r.workload("gelu/1k").unwrap();
    let t = &g.metrics["time_ns"];
    // Process 0's samples come first.
    assert_eq!(
        t.samples.as_deref(),
        Some(&[1000.0, 1000.0, 2000.0, 4000.0][..])
    );
    assert_eq!(t.process.as_deref(), Some(&[0, 0, 1, 1][..]));
    assert_eq!(t.summary.median, 1500.0);
    // 1000 elements per 1000 ns = 1e9 elements/s, computed per sample.
    let e = &g.metrics["elements_per_s"];
    assert_eq!((e.kind, e.better), (MetricKind::Derived, Better::Higher));
    assert_eq!(e.derived_from.as_deref(), Some("time_ns"));
    assert_eq!(e.samples.as_deref(), Some(&[1e9, 1e9, 5e8, 2.5e8][..]));
    // Four lines of code-suite workloads, 0.5 s each.
    assert_eq!(r.durations_s["code"], 2.0);
    assert_eq!(r.durations_s["total"], 3.0);
    let a = r.workload("tensor/add_10k").unwrap();
    assert_eq!(a.metrics["pool_reduction"].value(), 1.0);
    assert_eq!(
        a.metrics["alloc_bytes_unpooled"].kind,
        MetricKind::Deterministic
    );
    assert!(
        !g.metrics.contains_key("alloc_bytes"),
        "no allocation line for gelu/1k"
    );
}

#[test]
fn mixed_tiers_are_refused() {
    let plan = Plan::new(vec!["gelu/1k".into()]).unwrap();
    let mut other = line("gelu/1k", Pass::Time, 1, &[1.0]);
    other.simd_tier = "scalar".into();
    let e = assemble(
        &plan,
        &[line("gelu/1k", Pass::Time, 0, &[1.0]), other],
        None,
        1.0,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("SIMD tier"), "{e}");
}

#[test]
fn each_process_has_its_own_reproducible_order() {
    let names: Vec<String> = (0..12).map(|i| format!("w{i}")).collect();
    let a = order_for(&names, 42, 0);
    let b = order_for(&names, 42, 1);
    assert_eq!(a, order_for(&names, 42, 0));
    assert_ne!(a, b);
    let mut sorted = b.clone();
    sorted.sort();
    let mut expect = names.clone();
    expect.sort();
    assert_eq!(sorted, expect, "an order is a permutation");
}

#[test]
fn plans_validate_names_and_filters() {
    assert!(Plan::new(vec!["nope/1".into()]).is_err());
    let p = Plan::select(&[smprof::workloads::Suite::Code], Some("softmax/*")).unwrap();
    assert_eq!(p.workloads.len(), 4);
    assert_eq!(p.quick().processes, 3);
    assert!(matches_filter("tensor", "tensor/mul_10k"));
}
