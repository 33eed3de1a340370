//! sgemm against an f64 reference: random shapes, every transpose pair, α/β,
//! strided views, every SIMD tier, 1 and 2 threads, and every tile and kind of
//! blocking the calibration can choose.

use proptest::prelude::*;
use smallmind::matmul::blocking::Blocking;
use smallmind::matmul::cache::Caches;
use smallmind::matmul::kernel::tiles;
use smallmind::matmul::{
    PAR_MIN_MNK, Trans, sgemm, sgemm_with, sgemm_with_blocking, sgemm_with_threads,
};
use smallmind::rng::Rng;
use smallmind::simd::{Tier, for_each_available_tier};

mod case;
mod errors;
mod paths;
mod threads;
mod tiles;

use case::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_shapes_match_the_reference_on_every_tier(
        ta in trans(), tb in trans(),
        m in 0usize..=300, n in 0usize..=300, k in 0usize..=300,
        ab in scalars(),
        pad in (0usize..3, 0usize..3, 0usize..3),
        seed in any::<u64>(),
    ) {
        let case = Case::new(ta, tb, (m, n, k), ab, pad, seed);
        for_each_available_tier(|tier| {
            let got = case.run(tier, 1);
            case.check(&got, tier.as_str());
            // Thread count never changes a result (tiles are split, never shared).
            let two = case.run(tier, 2);
            assert!(bits(&got) == bits(&two), "{tier}: 2 threads differ from 1");
        });
    }
}
