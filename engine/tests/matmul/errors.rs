//! Bad operands are errors that name the operand.

use super::*;

#[test]
fn bad_operands_are_errors_that_name_the_operand() {
    let a = vec![0.0f32; 12];
    let b = vec![0.0f32; 12];
    let mut c = vec![0.0f32; 9];
    let tier = Tier::Scalar;
    let err = sgemm_with(
        tier,
        Trans::No,
        Trans::No,
        3,
        3,
        4,
        1.0,
        &a,
        3,
        &b,
        3,
        0.0,
        &mut c,
        3,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("sgemm") && err.contains("A") && err.contains("leading dimension 3"),
        "{err}"
    );
    let err = sgemm_with(
        tier,
        Trans::No,
        Trans::No,
        3,
        3,
        4,
        1.0,
        &a,
        4,
        &b,
        3,
        0.0,
        &mut c[..8],
        3,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("C") && err.contains("needs 9 elements, got 8"),
        "{err}"
    );
    let err = sgemm_with(
        tier,
        Trans::No,
        Trans::Yes,
        3,
        3,
        4,
        1.0,
        &a,
        4,
        &b[..10],
        4,
        0.0,
        &mut c,
        3,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("B"), "{err}");
    assert!(
        sgemm_with_threads(
            tier,
            0,
            Trans::No,
            Trans::No,
            1,
            1,
            1,
            1.0,
            &a,
            1,
            &b,
            1,
            0.0,
            &mut c,
            1
        )
        .is_err()
    );
    for t in Tier::ALL {
        let r = sgemm_with(
            t,
            Trans::No,
            Trans::No,
            1,
            1,
            1,
            1.0,
            &a,
            1,
            &b,
            1,
            0.0,
            &mut c,
            1,
        );
        assert_eq!(r.is_ok(), t.is_available());
    }
}
