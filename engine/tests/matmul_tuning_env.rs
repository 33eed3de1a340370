//! `SMALLMIND_SGEMM_TUNING` names a tuning file: the process's products use its tile
//! and blocks from the first product on. Its own test binary: the variable is read
//! once per process, so it is set before the first product, and no test reads a
//! calibration from the user's cache directory.

use smallmind::matmul::blocking::Blocking;
use smallmind::matmul::cache::Caches;
use smallmind::matmul::kernel::tiles;
use smallmind::matmul::tuning::{self, CpuId, Origin, SCHEMA_VERSION, TierTuning, TuningFile};
use smallmind::matmul::{Trans, sgemm};
use smallmind::simd::Tier;
use std::collections::BTreeMap;

#[test]
fn a_named_tuning_file_sets_the_blocking_of_every_later_product() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sgemm-test.json");
    let tier = Tier::best_available();
    let caches = Caches::detected();
    // The last tile the tier offers (not its default, where it has several), small
    // blocks, transposed A always packed.
    let t = *tiles(tier).last().unwrap();
    let chosen = Blocking {
        kc: 40,
        mc: 2 * t.mr,
        nc: 3 * t.nr,
        at_pack_stride: 0,
        ..Blocking::for_tile(t.mr, t.nr, caches)
    };
    let mut tiers = BTreeMap::new();
    if tier != Tier::Scalar {
        tiers.insert(
            tier.as_str().to_string(),
            TierTuning {
                blocking: chosen,
                default: Blocking::for_caches(tier, caches),
                default_gflops: 1.0,
                tuned_gflops: 1.0,
                speedup: 1.0,
                trials: Vec::new(),
            },
        );
    }
    TuningFile {
        schema_version: SCHEMA_VERSION,
        cpu: CpuId::detect(),
        caches,
        smallmind_version: "test".into(),
        created_unix: 0,
        tiers,
    }
    .save(&path)
    .unwrap();
    // SAFETY: this binary has a single test, so no other thread reads the environment yet.
    unsafe { std::env::set_var(tuning::ENV, &path) };
    let active = tuning::active();
    assert_eq!(active.origin, Origin::File(path.clone()));
    let want = if tier == Tier::Scalar {
        Blocking::for_caches(tier, caches)
    } else {
        chosen
    };
    assert_eq!(active.tier(tier).blocking, want);
    assert!(active.describe(tier).contains("sgemm-test.json"));

    // Products through the default entry point use it and stay correct: small integers,
    // so every sum is exact whatever the order.
    smallmind::simd::set_active(tier).unwrap();
    let (m, n, k) = (45, 70, 130);
    let a: Vec<f32> = (0..m * k).map(|i| ((i * 7 % 19) as f32) - 9.0).collect();
    let b: Vec<f32> = (0..k * n).map(|i| ((i * 3 % 11) as f32) - 5.0).collect();
    for ta in [Trans::No, Trans::Yes] {
        let at = |i: usize, p: usize| match ta {
            Trans::No => a[i * k + p],
            Trans::Yes => a[p * m + i],
        };
        let want: Vec<f32> = (0..m * n)
            .map(|ij| (0..k).map(|p| at(ij / n, p) * b[p * n + ij % n]).sum())
            .collect();
        let mut c = vec![f32::NAN; m * n];
        let lda = if ta == Trans::No { k } else { m };
        sgemm(ta, Trans::No, m, n, k, 1.0, &a, lda, &b, n, 0.0, &mut c, n).unwrap();
        assert_eq!(c, want, "{tier} {ta:?}");
    }
}
