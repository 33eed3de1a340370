//! Figures as people read them: units scaled, changes signed. Shared by the
//! analysis (evidence lines) and every report, so a figure reads the same everywhere.

/// A value with its unit scaled: `3.54 ms`, `12.99 MiB`, `47.1 %`, `1.23 G elem/s`.
pub fn value(v: f64, unit: &str) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    match unit {
        "ns" => duration_ns(v),
        "B" | "bytes" | "byte" => bytes(v),
        "ratio" | "fraction" => format!("{:.1} %", v * 100.0),
        "%" | "percent" => format!("{v:.1} %"),
        "" | "count" | "calls" | "blocks" | "allocations" | "allocs" => count(v),
        "instructions" | "instr" | "Ir" => format!("{} instr", scaled(v)),
        _ => format!("{} {unit}", scaled(v)),
    }
}

/// Nanoseconds as ns, µs, ms or s with three significant figures or more.
pub fn duration_ns(ns: f64) -> String {
    let a = ns.abs();
    if a < 1e3 {
        format!("{ns:.0} ns")
    } else if a < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if a < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// Bytes in binary units.
pub fn bytes(b: f64) -> String {
    let a = b.abs();
    if a < 1024.0 {
        format!("{b:.0} B")
    } else if a < 1024.0 * 1024.0 {
        format!("{:.2} KiB", b / 1024.0)
    } else if a < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2} MiB", b / (1024.0 * 1024.0))
    } else {
        format!("{:.2} GiB", b / (1024.0 * 1024.0 * 1024.0))
    }
}

/// A count with thousands separators (`12,345`), decimals kept below 100.
pub fn count(v: f64) -> String {
    if v.fract() != 0.0 && v.abs() < 100.0 {
        return format!("{v:.2}");
    }
    let s = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if v < 0.0 { format!("-{out}") } else { out }
}

/// SI-scaled number with three significant figures (`1.23 G`, `58.5`, `0.604`).
pub fn scaled(v: f64) -> String {
    let a = v.abs();
    let (x, p) = if a >= 1e9 {
        (v / 1e9, " G")
    } else if a >= 1e6 {
        (v / 1e6, " M")
    } else if a >= 1e4 {
        (v / 1e3, " k")
    } else {
        (v, "")
    };
    let ax = x.abs();
    let digits = if ax >= 100.0 {
        0
    } else if ax >= 10.0 {
        1
    } else if ax >= 1.0 {
        2
    } else {
        3
    };
    format!("{x:.digits$}{p}")
}

/// A relative change, signed, one decimal: `+56.5 %`, `-86.7 %`; `new` and
/// `gone` where a side is zero.
pub fn change(baseline: f64, current: f64, change: f64) -> String {
    if baseline == 0.0 && current != 0.0 {
        return "new".to_string();
    }
    if current == 0.0 && baseline != 0.0 {
        return "-100.0 %".to_string();
    }
    if change == 0.0 {
        return "0.0 %".to_string();
    }
    format!("{:+.1} %", change * 100.0)
}

/// A ratio as a factor: `×2.93`.
pub fn factor(r: f64) -> String {
    if r >= 10.0 {
        format!("×{r:.1}")
    } else {
        format!("×{r:.2}")
    }
}

/// A p- or q-value: `0.0312`, `4.1e-09`, `—` when absent.
pub fn p(v: Option<f64>) -> String {
    match v {
        None => "—".to_string(),
        Some(x) if x >= 0.001 => format!("{x:.4}"),
        Some(x) => format!("{x:.1e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_scale() {
        assert_eq!(value(3_540_000.0, "ns"), "3.54 ms");
        assert_eq!(value(850.0, "ns"), "850 ns");
        assert_eq!(value(12_500.0, "ns"), "12.50 µs");
        assert_eq!(value(13_620_000.0, "B"), "12.99 MiB");
        assert_eq!(value(0.471, "ratio"), "47.1 %");
        assert_eq!(value(58.51, "tok/s"), "58.5 tok/s");
        assert_eq!(value(1.234e9, "elem/s"), "1.23 G elem/s");
        assert_eq!(value(12345.0, "count"), "12,345");
        assert_eq!(value(24.0, "allocs"), "24");
        assert_eq!(value(1.234e9, "instructions"), "1.23 G instr");
        assert_eq!(value(f64::NAN, "ns"), "n/a");
    }

    #[test]
    fn changes() {
        assert_eq!(change(1.0, 1.565, 0.565), "+56.5 %");
        assert_eq!(change(1.0, 0.133, -0.867), "-86.7 %");
        assert_eq!(change(0.0, 5.0, 1.0), "new");
        assert_eq!(change(3.0, 3.0, 0.0), "0.0 %");
        assert_eq!(p(Some(4.1e-9)), "4.1e-9");
        assert_eq!(p(Some(0.0312)), "0.0312");
        assert_eq!(p(None), "—");
    }
}
