//! Scalar specification of causal attention (shapes checked by the callers in mod.rs).
// qkv: (B, T, 3C), att: (B, H, T, T), out: (B, T, C)

use super::AttnShape;

pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

pub(super) fn forward_scalar(
    qkv: &[f32],
    att: &mut [f32],
    out: &mut [f32],
    s: AttnShape,
    _: &mut [f32],
    // The specification always writes the upper triangle's zeros.
    _zero_upper: bool,
) {
    let (t, c, h, d) = (s.seq, s.channels, s.heads, s.head_dim());
    let scale = 1.0 / (d as f32).sqrt();
    for bi in 0..s.batch {
        let rows = &qkv[bi * t * 3 * c..(bi + 1) * t * 3 * c];
        // row i, head hd of Q (part 0), K (1) or V (2)
        let part = |i: usize, part: usize, hd: usize| &rows[i * 3 * c + part * c + hd * d..][..d];
        let (q, k, v) = (
            |i, hd| part(i, 0, hd),
            |i, hd| part(i, 1, hd),
            |i, hd| part(i, 2, hd),
        );
        for hd in 0..h {
            for ti in 0..t {
                let p = &mut att[((bi * h + hd) * t + ti) * t..][..t];
                // scores, causal softmax; columns after ti are exact zeros
                let mut m = f32::NEG_INFINITY;
                for j in 0..=ti {
                    p[j] = dot(q(ti, hd), k(j, hd)) * scale;
                    m = m.max(p[j]);
                }
                let mut sum = 0.0;
                for pj in &mut p[..=ti] {
                    *pj = (*pj - m).exp();
                    sum += *pj;
                }
                p[..=ti].iter_mut().for_each(|pj| *pj /= sum);
                p[ti + 1..].fill(0.0);
                // out_t = Σ_j p_j v_j
                let o = &mut out[(bi * t + ti) * c + hd * d..][..d];
                o.fill(0.0);
                for j in 0..=ti {
                    for (oi, &vi) in o.iter_mut().zip(v(j, hd)) {
                        *oi += p[j] * vi;
                    }
                }
            }
        }
    }
}

pub(super) fn backward_scalar(
    dout: &[f32],
    qkv: &[f32],
    att: &[f32],
    dqkv: &mut [f32],
    s: AttnShape,
    scratch: &mut [f32],
    add: bool,
) {
    if !add {
        dqkv.fill(0.0);
    }
    let (t, c, h, d) = (s.seq, s.channels, s.heads, s.head_dim());
    let scale = 1.0 / (d as f32).sqrt();
    let dp = &mut scratch[..t];
    let at =
        |bi: usize, ti: usize, part: usize, hd: usize| (bi * t + ti) * 3 * c + part * c + hd * d;
    for bi in 0..s.batch {
        for hd in 0..h {
            for ti in 0..t {
                let p = &att[((bi * h + hd) * t + ti) * t..][..t];
                let go = &dout[(bi * t + ti) * c + hd * d..][..d];
                // dP_j = dO_t · v_j; dv_j += p_j dO_t
                for j in 0..=ti {
                    dp[j] = dot(go, &qkv[at(bi, j, 2, hd)..][..d]);
                    for (dv, &g) in dqkv[at(bi, j, 2, hd)..][..d].iter_mut().zip(go) {
                        *dv += p[j] * g;
                    }
                }
                // dS_j = p_j (dP_j − Σ p dP); dq_t += dS_j k_j/√D; dk_j += dS_j q_t/√D
                let sum = dot(&p[..=ti], &dp[..=ti]);
                for j in 0..=ti {
                    let ds = p[j] * (dp[j] - sum) * scale;
                    for i in 0..d {
                        dqkv[at(bi, ti, 0, hd) + i] += ds * qkv[at(bi, j, 1, hd) + i];
                        dqkv[at(bi, j, 1, hd) + i] += ds * qkv[at(bi, ti, 0, hd) + i];
                    }
                }
            }
        }
    }
}
