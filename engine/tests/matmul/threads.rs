//! Threads: bit-identical results run to run and across concurrent callers.

use super::*;

#[test]
fn threaded_results_are_bit_identical_run_to_run() {
    // Large enough to be split among threads, with edge tiles on both axes.
    let (m, n, k) = (203, 301, 150);
    assert!(m * n * k >= PAR_MIN_MNK);
    for (ta, tb) in [
        (Trans::No, Trans::No),
        (Trans::Yes, Trans::No),
        (Trans::No, Trans::Yes),
    ] {
        let case = Case::new(ta, tb, (m, n, k), (1.0, 0.5), (1, 0, 2), 11);
        for_each_available_tier(|tier| {
            let one = case.run(tier, 1);
            case.check(&one, tier.as_str());
            for threads in [2, 3] {
                for _ in 0..3 {
                    assert!(
                        bits(&case.run(tier, threads)) == bits(&one),
                        "{tier} t={threads}"
                    );
                }
            }
        });
        // A narrow C is split by rows instead.
        const { assert!(700 * 40 * 200 >= PAR_MIN_MNK) };
        let narrow = Case::new(ta, tb, (700, 40, 200), (1.0, 0.0), (0, 0, 0), 12);
        for_each_available_tier(|tier| {
            let one = narrow.run(tier, 1);
            narrow.check(&one, tier.as_str());
            assert!(bits(&narrow.run(tier, 2)) == bits(&one), "{tier} narrow");
        });
    }
}

#[test]
fn concurrent_threaded_callers_with_shared_packing_agree() {
    // Several callers at once: one gets the team, the others find it busy and run every
    // packing unit and chunk themselves; chunks waiting for shared blocks must neither
    // hang nor read unpacked ones. Column chunks share a transposed A (n > NC), row
    // chunks share B.
    let cases = [
        Case::new(
            Trans::Yes,
            Trans::No,
            (70, 1100, 300),
            (1.0, 0.0),
            (0, 0, 0),
            80,
        ),
        Case::new(
            Trans::Yes,
            Trans::No,
            (1100, 560, 40),
            (1.0, 0.5),
            (0, 0, 0),
            81,
        ),
    ];
    let tier = Tier::best_available();
    let want: Vec<Vec<u32>> = cases.iter().map(|c| bits(&c.run(tier, 1))).collect();
    std::thread::scope(|s| {
        for t in 0..3 {
            let (cases, want) = (&cases, &want);
            s.spawn(move || {
                for r in 0..4 {
                    let i = (t + r) % cases.len();
                    assert!(
                        bits(&cases[i].run(tier, 2)) == want[i],
                        "caller {t} case {i}"
                    );
                }
            });
        }
    });
}
