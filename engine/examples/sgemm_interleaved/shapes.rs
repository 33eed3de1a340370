//! The command line: shapes (`n`, `MxNxK:tn`, `small`, `medium`, `grads`), explicit
//! blockings and environment numbers.

use super::*;

/// The count in environment variable `name`, `default` when unset or empty; anything
/// else that is not a count ends the run with a message.
pub fn env_or(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .unwrap_or_else(|_| die(format!("{name}={v:?}: want a count, e.g. {default}"))),
        _ => default,
    }
}

pub fn die(msg: String) -> ! {
    eprintln!("sgemm_interleaved: {msg}");
    std::process::exit(2);
}

/// `n`, `MxNxK` or either with `:xy` transposes → (m, n, k, ta, tb).
pub fn parse(spec: &str) -> Option<(usize, usize, usize, Trans, Trans)> {
    let (dims, ops) = spec.split_once(':').unwrap_or((spec, "nn"));
    let d: Vec<usize> = dims
        .split('x')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let (m, n, k) = match d[..] {
        [s] => (s, s, s),
        [m, n, k] => (m, n, k),
        _ => return None,
    };
    let op = |c: Option<char>| match c {
        Some('n') => Some(Trans::No),
        Some('t') => Some(Trans::Yes),
        _ => None,
    };
    let mut c = ops.chars();
    Some((m, n, k, op(c.next())?, op(c.next())?))
}

/// `MRxNR[/field=value…]` on `tier`: the cache rules' blocking of that tile with the
/// named fields (`kc`, `mc`, `nc`, `at_pack_stride`, `kc_tn`, `b_in_place_max`, `narrow_b_in_place_rows`) set
/// (MC and NC re-derived by the rules when only KC is given).
pub fn blocking(tier: Tier, spec: &str) -> Result<Blocking, String> {
    let mut parts = spec.split('/');
    let tile = parts.next().unwrap_or_default();
    let (mr, nr) = tile
        .split_once('x')
        .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)))
        .filter(|&(mr, nr)| mr > 0 && nr > 0)
        .ok_or_else(|| format!("{spec:?}: want MRxNR[/field=value…]"))?;
    let c = Caches::detected();
    let mut b = Blocking::for_tile(mr, nr, c);
    let mut blocks_given = false;
    for part in parts {
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| format!("{spec:?}: {part:?} is not field=value"))?;
        let v: usize = value
            .parse()
            .map_err(|_| format!("{spec:?}: {value:?} is not a number"))?;
        match name {
            "kc" => b.kc = v,
            "mc" => (b.mc, blocks_given) = (v, true),
            "nc" => (b.nc, blocks_given) = (v, true),
            "at_pack_stride" => b.at_pack_stride = v,
            "kc_tn" => b.kc_tn = v,
            "a_ahead" => b.a_ahead = v,
            "b_in_place_max" => b.b_in_place_max = v,
            "narrow_b_in_place_rows" => b.narrow_b_in_place_rows = v,
            _ => return Err(format!("{spec:?}: unknown field {name:?}")),
        }
    }
    if !blocks_given {
        b = b.with_kc(b.kc, c);
    }
    b.validate(tier).map_err(|e| format!("{spec:?}: {e}"))?;
    Ok(b)
}

/// Every product of a training step of a GPT-2 of width `c` (B·T = 2048, vocabulary 256).
pub fn training_step(c: usize) -> Vec<String> {
    let bt = 2048;
    let mut out = Vec::new();
    // Linear layers x (BT, in) @ w (in, out): forward, dX = dY·Wᵀ, dW = Xᵀ·dY.
    for (i, o) in [(c, 3 * c), (c, c), (c, 4 * c), (4 * c, c)] {
        out.push(format!("{bt}x{o}x{i}:nn"));
        out.push(format!("{bt}x{i}x{o}:nt"));
        out.push(format!("{i}x{o}x{bt}:tn"));
    }
    // Head w (V, C): logits = X·Wᵀ, dX = dY·W, dW = dYᵀ·X.
    let v = 256;
    out.push(format!("{bt}x{v}x{c}:nt"));
    out.push(format!("{bt}x{c}x{v}:nn"));
    out.push(format!("{v}x{c}x{bt}:tn"));
    out
}

/// The narrow weight gradients Xᵀ·dY (n ≤ 256) of both models' training steps.
pub fn gradients() -> Vec<String> {
    [
        "128x128x2048",
        "128x384x2048",
        "128x512x2048",
        "512x128x2048",
    ]
    .iter()
    .chain(&[
        "256x256x2048",
        "256x768x2048",
        "1024x256x2048",
        "256x128x2048",
    ])
    .map(|s| format!("{s}:tn"))
    .collect()
}
