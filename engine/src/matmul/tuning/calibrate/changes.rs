//! Which products a choice between two blockings can change: a stage judges its margin
//! on those alone. A block size only matters to products larger than the smaller of its
//! two values: judged over the whole set, 3 % gained at 1024³ by NC 1024 over 512 (A
//! read in place, not packed) was 0.4 % of the geometric mean of seven products and
//! lost to the margin; KC 512's 2–3 % over 384 at 512³ and 2048×128×512 (one pass
//! instead of two, on the Zen 5; 1024³ within 1 %) was 0.3–0.9 % over the seven and
//! lost too.

use super::products::Product;
use crate::matmul::blocking::Blocking;

/// Whether the choice between two blockings can change how a product runs.
pub(super) type Changes = dyn Fn(&Product, &Blocking, &Blocking) -> bool;

/// Every product (the tile; the narrow gradients' depth, on a set that all of it changes).
pub(super) fn any_product(_: &Product, _: &Blocking, _: &Blocking) -> bool {
    true
}

/// Products wider than the smaller NC (one B block spans the others either way).
pub(super) fn wider_than_nc(p: &Product, a: &Blocking, b: &Blocking) -> bool {
    p.n > a.nc.min(b.nc)
}

/// Products taller than the smaller MC.
pub(super) fn taller_than_mc(p: &Product, a: &Blocking, b: &Blocking) -> bool {
    p.m > a.mc.min(b.mc)
}

/// Products deeper than the smaller of the depths they run with (a narrow weight
/// gradient runs `kc_tn`, not KC, and other products passes of up to KC·4/3:
/// `Blocking::for_product`); shallower ones run one pass either way.
pub(super) fn deeper_than_kc(p: &Product, a: &Blocking, b: &Blocking) -> bool {
    let (ka, kb) = (
        a.for_product(p.ta, p.n, p.k).kc,
        b.for_product(p.ta, p.n, p.k).kc,
    );
    ka != kb && p.k > ka.min(kb)
}

/// Stage 2 moves NC with KC, and MC by the cache rule: the products any of the three
/// changes (NC as the product runs it: a pass stretched to its depth narrows it).
pub(super) fn kc_changes(p: &Product, a: &Blocking, b: &Blocking) -> bool {
    let (pa, pb) = (a.for_product(p.ta, p.n, p.k), b.for_product(p.ta, p.n, p.k));
    deeper_than_kc(p, a, b)
        || (pa.nc != pb.nc && wider_than_nc(p, &pa, &pb))
        || (a.mc != b.mc && taller_than_mc(p, a, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matmul::Trans;
    use crate::matmul::cache::Caches;
    use crate::simd::Tier;

    fn blocking(kc: usize, mc: usize, nc: usize) -> Blocking {
        Blocking {
            kc,
            mc,
            nc,
            ..Blocking::for_caches(Tier::Scalar, Caches::FALLBACK)
        }
    }

    #[test]
    fn block_sizes_change_only_the_products_larger_than_the_smaller_value() {
        let p = Product::new((1024, 512, 64, Trans::No, Trans::No), 1);
        let b = |mc, nc| blocking(256, mc, nc);
        assert!(!wider_than_nc(&p, &b(64, 512), &b(64, 1024)));
        assert!(wider_than_nc(&p, &b(64, 256), &b(64, 1024)));
        assert!(taller_than_mc(&p, &b(512, 64), &b(1024, 64)));
        assert!(!taller_than_mc(&p, &b(1024, 64), &b(2048, 64)));
    }

    #[test]
    fn depths_change_only_the_products_deeper_than_the_smaller_one() {
        let (no, t) = (Trans::No, Trans::Yes);
        let (k384, k512) = (blocking(384, 680, 672), blocking(512, 680, 672));
        let nr = k384.nr;
        // k = 640: two passes of 320 against one of 640 (stretched: 640 ≤ 512·4/3).
        let deep = Product::new((64, 64, 640, no, no), 1);
        assert!(deeper_than_kc(&deep, &k384, &k512));
        // k = 256, and k = 512 (stretched under KC 384): one pass either way; equal
        // depths change nothing.
        let shallow = Product::new((64, 64, 256, no, no), 2);
        assert!(!deeper_than_kc(&shallow, &k384, &k512));
        let k512_deep = Product::new((64, 64, 512, no, no), 7);
        assert!(!deeper_than_kc(&k512_deep, &k384, &k512));
        assert!(!deeper_than_kc(&deep, &k384, &k384));
        // … but the stretched pass narrows NC (384·672/512 → 480): wider products count.
        let k512_wide = Product::new((64, 600, 512, no, no), 8);
        assert!(kc_changes(&k512_wide, &k384, &k512));
        assert!(!kc_changes(&k512_deep, &k384, &k512));
        // A narrow weight gradient runs kc_tn, which KC leaves alone; a wide one runs KC.
        let narrow = Product::new((64, 4 * nr, 2048, t, no), 3);
        assert!(!deeper_than_kc(&narrow, &k384, &k512));
        let wide = Product::new((64, 4 * nr + 1, 2048, t, no), 4);
        assert!(deeper_than_kc(&wide, &k384, &k512));
        // Stage 2 also moves NC and MC: a shallow product wider than the smaller NC counts.
        let wide_shallow = Product::new((64, 600, 256, no, no), 5);
        assert!(!kc_changes(&wide_shallow, &k384, &k512));
        let (r384, r512) = (blocking(384, 680, 672), blocking(512, 512, 512));
        assert!(kc_changes(&wide_shallow, &r384, &r512));
        let tall_shallow = Product::new((600, 64, 256, no, no), 6);
        assert!(kc_changes(&tall_shallow, &r384, &r512));
        assert!(!kc_changes(&shallow, &r384, &r512));
    }
}
