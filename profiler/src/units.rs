//! Figures as people read them: the one place a number becomes text, so a
//! figure reads the same in the terminal, the markdown reports, the gate, the
//! HTML page and the history (`3.54 ms`, `128.00 KiB`, `47.1 %`, `2.15 G elem/s`).

/// A value in its unit, scaled: `3.54 ms`, `12.99 MiB`, `47.1 %`, `1.23 G elem/s`.
pub fn value(v: f64, unit: &str) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    match unit {
        "ns" => duration_ns(v),
        "B" | "bytes" | "byte" => bytes(v),
        "ratio" | "fraction" => percent(v),
        "%" | "percent" => format!("{v:.1} %"),
        "" | "count" | "calls" | "blocks" | "allocations" | "allocs" => count(v),
        "instructions" | "instr" | "Ir" => format!("{} instr", scaled(v)),
        _ => format!("{} {unit}", scaled(v)),
    }
}

/// Nanoseconds as ns, µs, ms or s.
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

/// A difference of bytes, signed: `+64.00 KiB`.
pub fn bytes_delta(b: f64) -> String {
    if b > 0.0 {
        format!("+{}", bytes(b))
    } else {
        bytes(b)
    }
}

/// A fraction as a percentage: `0.471` → `47.1 %`.
pub fn percent(fraction: f64) -> String {
    format!("{:.1} %", fraction * 100.0)
}

/// A count with thousands separators (`12,345`), two decimals kept below 100.
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
    if v < 0.0 && out != "0" {
        format!("-{out}")
    } else {
        out
    }
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
    } else if a >= 1e3 {
        return count(v.round());
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

/// A relative change, signed, one decimal: `+56.5 %`, `-86.7 %`; `new` where
/// the baseline is zero and the current value is not.
pub fn change(baseline: f64, current: f64, change: f64) -> String {
    if baseline == 0.0 && current != 0.0 {
        return "new".to_string();
    }
    if change == 0.0 || !change.is_finite() {
        return "0.0 %".to_string();
    }
    format!("{:+.1} %", change * 100.0)
}

/// A relative change without its sides: `+12.0 %`.
pub fn relative(change: f64) -> String {
    if change == 0.0 || !change.is_finite() {
        "0.0 %".to_string()
    } else {
        format!("{:+.1} %", change * 100.0)
    }
}

/// The 95 % interval of a relative change: `[+10.1, +14.2] %`.
pub fn interval(ci: [f64; 2]) -> String {
    format!("[{:+.1}, {:+.1}] %", ci[0] * 100.0, ci[1] * 100.0)
}

/// A ratio as a factor: `×2.93`, `×12.1`.
pub fn factor(r: f64) -> String {
    if r >= 10.0 {
        format!("×{r:.1}")
    } else {
        format!("×{r:.2}")
    }
}

/// A p- or q-value: scientific below 0.1 (`4.1e-9`, `3.2e-2`), two decimals
/// above (`0.50`), `—` when absent. Never `0.0000`.
pub fn p(v: Option<f64>) -> String {
    match v {
        None => "—".to_string(),
        Some(x) if !x.is_finite() => "—".to_string(),
        Some(0.0) => "0".to_string(),
        Some(x) if x < 0.1 => format!("{x:.1e}"),
        Some(x) => format!("{x:.2}"),
    }
}

/// A threshold or tolerance (a fraction) as a percentage: `5.0 %`.
pub fn threshold(t: f64) -> String {
    percent(t)
}

/// One scale for every label of a chart axis, so an axis never mixes `µs`
/// and `ms`: the values divided by `divisor`, then `suffix` (the axis title).
#[derive(Debug, Clone, PartialEq)]
pub struct Scale {
    pub divisor: f64,
    pub suffix: String,
}

impl Scale {
    /// The scale that shows values up to `max` (absolute) in `unit`.
    pub fn for_values(max: f64, unit: &str) -> Scale {
        let a = if max.is_finite() { max.abs() } else { 0.0 };
        let (divisor, suffix) = match unit {
            "ns" if a >= 1e9 => (1e9, "s".to_string()),
            "ns" if a >= 1e6 => (1e6, "ms".to_string()),
            "ns" if a >= 1e3 => (1e3, "µs".to_string()),
            "ns" => (1.0, "ns".to_string()),
            "B" | "bytes" | "byte" if a >= 1024.0 * 1024.0 * 1024.0 => {
                (1024.0 * 1024.0 * 1024.0, "GiB".to_string())
            }
            "B" | "bytes" | "byte" if a >= 1024.0 * 1024.0 => (1024.0 * 1024.0, "MiB".to_string()),
            "B" | "bytes" | "byte" if a >= 1024.0 => (1024.0, "KiB".to_string()),
            "B" | "bytes" | "byte" => (1.0, "B".to_string()),
            "ratio" | "fraction" => (0.01, "%".to_string()),
            _ => {
                let u = match unit {
                    "instructions" | "instr" | "Ir" => "instr",
                    "" | "count" | "calls" | "blocks" | "allocations" | "allocs" => "",
                    other => other,
                };
                let (d, p) = if a >= 1e9 {
                    (1e9, "G")
                } else if a >= 1e6 {
                    (1e6, "M")
                } else if a >= 1e4 {
                    (1e3, "k")
                } else {
                    (1.0, "")
                };
                (
                    d,
                    format!(
                        "{p}{}{u}",
                        if p.is_empty() || u.is_empty() {
                            ""
                        } else {
                            " "
                        }
                    ),
                )
            }
        };
        Scale { divisor, suffix }
    }

    /// A tick label: the value in this scale, with as many decimals as the
    /// axis `span` (in the same unit as the value) needs.
    pub fn label(&self, v: f64, span: f64) -> String {
        let x = v / self.divisor;
        let s = (span / self.divisor).abs();
        let digits = if s >= 50.0 {
            0
        } else if s >= 5.0 {
            1
        } else if s >= 0.5 {
            2
        } else {
            3
        };
        format!("{x:.digits$}")
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
        assert_eq!(value(131_072.0, "B"), "128.00 KiB");
        assert_eq!(value(0.471, "ratio"), "47.1 %");
        assert_eq!(value(-0.007, "ratio"), "-0.7 %");
        assert_eq!(value(58.51, "tok/s"), "58.5 tok/s");
        assert_eq!(value(1.234e9, "elem/s"), "1.23 G elem/s");
        assert_eq!(value(2_152_448_866.047_4, "elem/s"), "2.15 G elem/s");
        assert_eq!(value(12345.0, "count"), "12,345");
        assert_eq!(value(24.0, "allocs"), "24");
        assert_eq!(value(1.234e9, "instructions"), "1.23 G instr");
        assert_eq!(value(1_120.0, "instructions"), "1,120 instr");
        assert_eq!(value(f64::NAN, "ns"), "n/a");
        assert_eq!(bytes_delta(65_536.0), "+64.00 KiB");
        assert_eq!(count(-1234.0), "-1,234");
    }

    #[test]
    fn changes_and_p_values() {
        assert_eq!(change(1.0, 1.565, 0.565), "+56.5 %");
        assert_eq!(change(1.0, 0.133, -0.867), "-86.7 %");
        assert_eq!(change(0.0, 5.0, 1.0), "new");
        assert_eq!(change(3.0, 3.0, 0.0), "0.0 %");
        assert_eq!(change(-0.007, -0.010, -0.4286), "-42.9 %");
        assert_eq!(change(-0.5, 0.0, 1.0), "+100.0 %");
        assert_eq!(interval([0.101, 0.142]), "[+10.1, +14.2] %");
        assert_eq!(p(Some(4.1e-9)), "4.1e-9");
        assert_eq!(p(Some(0.0312)), "3.1e-2");
        assert_eq!(p(Some(0.00004)), "4.0e-5");
        assert_eq!(p(Some(0.5)), "0.50");
        assert_eq!(p(None), "—");
        assert_eq!(factor(1.25), "×1.25");
    }

    #[test]
    fn an_axis_has_one_scale() {
        let s = Scale::for_values(1_500_000.0, "ns");
        assert_eq!(s.suffix, "ms");
        assert_eq!(s.label(900_000.0, 1_000_000.0), "0.90");
        assert_eq!(s.label(1_500_000.0, 1_000_000.0), "1.50");
        let b = Scale::for_values(200_000.0, "B");
        assert_eq!(b.suffix, "KiB");
        assert_eq!(b.label(131_072.0, 100_000.0), "128");
        assert_eq!(b.label(131_072.0, 10_000.0), "128.0");
        let e = Scale::for_values(2.2e9, "elem/s");
        assert_eq!(e.suffix, "G elem/s");
        assert_eq!(Scale::for_values(0.5, "ratio").label(0.471, 0.05), "47.1");
    }
}
