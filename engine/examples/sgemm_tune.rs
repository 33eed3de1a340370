//! Calibrate the engine for this CPU (`smallmind::tune`): measure the candidate tiles and cache
//! blocks of each SIMD tier for a few seconds and cache the fastest in this CPU
//! model's tuning file, which every later process reads at its first product
//! (`docs/sgemm-tuning.md`).
//!
//! ```sh
//! cargo run --release -p smallmind --example sgemm_tune              # calibrate, write the cache file
//! cargo run --release -p smallmind --example sgemm_tune -- --show    # what a process would use now
//! cargo run --release -p smallmind --example sgemm_tune -- --reset   # delete this CPU's cache file
//! ```
//!
//! Progress goes to stderr, the result to stdout (`--format json`: the file itself).
//! Exit codes: 0 done, 2 usage or data error (a tier this CPU lacks, a file that
//! cannot be written or read).

use clap::{Parser, ValueEnum};
use smallmind::matmul::tuning::{
    self, CpuId, Setting, TierTuning, TuningError, TuningFile, calibrate,
};
use smallmind::matmul::{blocking::Blocking, cache::Caches};
use smallmind::simd::Tier;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TierArg {
    Avx512,
    Avx2,
}

impl From<TierArg> for Tier {
    fn from(t: TierArg) -> Tier {
        match t {
            TierArg::Avx512 => Tier::Avx512,
            TierArg::Avx2 => Tier::Avx2,
        }
    }
}

/// Calibrate the sgemm tile and cache blocks (and the decoder's far prefetch) for this CPU and cache the choice.
///
/// Without options: measures every SIMD tier this CPU has (one thread, a few seconds
/// each; run it on a quiet machine) and writes the cache file that
/// SMALLMIND_SGEMM_TUNING selects: unset = $XDG_CACHE_HOME/smallmind/sgemm-<cpu>.json
/// (~/.cache/… without XDG_CACHE_HOME), a path = that file, `off` = none (give --out).
#[derive(Debug, Parser)]
#[command(version, after_help = "Exit codes: 0 done, 2 usage or data error.")]
struct Args {
    /// Tiers to calibrate (repeatable; default: every SIMD tier this CPU has).
    #[arg(long, value_enum)]
    tier: Vec<TierArg>,
    /// Rounds per stage: more is slower and steadier.
    #[arg(long, default_value_t = 9, value_parser = clap::value_parser!(u32).range(1..=1000))]
    rounds: u32,
    /// Rounds of the final comparison against the cache-derived defaults.
    #[arg(long, default_value_t = 11, value_parser = clap::value_parser!(u32).range(1..=1000))]
    final_rounds: u32,
    /// Write here instead of where SMALLMIND_SGEMM_TUNING points.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Measure and print, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the tuning a process would use now, measure nothing.
    #[arg(long, conflicts_with_all = ["reset", "dry_run", "out", "tier"])]
    show: bool,
    /// Delete this CPU's cache file (the defaults apply again), measure nothing.
    #[arg(long, conflicts_with_all = ["dry_run", "tier"])]
    reset: bool,
    /// Output format of the result on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sgemm_tune: {e}");
            ExitCode::from(2)
        }
    }
}

fn target(args: &Args) -> Result<PathBuf, TuningError> {
    match &args.out {
        Some(p) => Ok(p.clone()),
        None => tuning::target_path(&Setting::from_env()),
    }
}

fn run(args: &Args) -> Result<(), TuningError> {
    if args.show {
        return show(args.format);
    }
    if args.reset {
        let path = target(args)?;
        return match std::fs::remove_file(&path) {
            Ok(()) => {
                println!("removed {}", path.display());
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                println!("no calibration at {}", path.display());
                Ok(())
            }
            Err(source) => Err(TuningError::Io { path, source }),
        };
    }
    let tiers: Vec<Tier> = if args.tier.is_empty() {
        Tier::available()
            .into_iter()
            .filter(|&t| t != Tier::Scalar)
            .collect()
    } else {
        args.tier.iter().map(|&t| t.into()).collect()
    };
    if tiers.is_empty() {
        return Err(TuningError::Calibration(
            "this CPU has no SIMD tier to calibrate (the scalar tier is not tuned)".into(),
        ));
    }
    // Resolve where to write before measuring, so a bad setting fails fast.
    let path = if args.dry_run {
        None
    } else {
        Some(target(args)?)
    };
    let opts = calibrate::Options {
        rounds: args.rounds as usize,
        final_rounds: args.final_rounds as usize,
        ..calibrate::Options::default()
    };
    let cpu = CpuId::detect();
    eprintln!(
        "sgemm_tune: {} ({}), L1d {} KiB, L2 {} KiB per core",
        cpu.key(),
        cpu.brand,
        Caches::detected().l1d / 1024,
        Caches::detected().l2 / 1024
    );
    let out = smallmind::tune::calibrate(&tiers, &opts, &mut |line| eprintln!("  {line}"))?;
    let file = TuningFile {
        schema_version: tuning::SCHEMA_VERSION,
        cpu,
        caches: Caches::detected(),
        smallmind_version: env!("CARGO_PKG_VERSION").to_string(),
        created_unix: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        tiers: out,
    };
    if let Some(path) = &path {
        file.save(path)?;
        eprintln!("sgemm_tune: wrote {}", path.display());
    }
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&file).expect("a tuning file serializes")
        ),
        Format::Text => {
            for (name, t) in &file.tiers {
                print_tier(name, t);
            }
            match &path {
                Some(p) => println!("written to {}", p.display()),
                None => println!("not written (--dry-run)"),
            }
        }
    }
    Ok(())
}

fn print_tier(name: &str, t: &TierTuning) {
    println!("{name}: {}", t.blocking);
    println!("  defaults  {}", t.default);
    println!(
        "  reference products: defaults {:.1} GFLOPS, chosen {:.1} GFLOPS, median per-round ratio {:.3}×{}",
        t.default_gflops,
        t.tuned_gflops,
        t.speedup,
        if t.blocking == t.default {
            " (defaults kept)"
        } else {
            ""
        }
    );
}

fn show(format: Format) -> Result<(), TuningError> {
    let active = tuning::active();
    match format {
        Format::Json => {
            let tiers: BTreeMap<&str, Blocking> = Tier::ALL
                .iter()
                .map(|&t| (t.as_str(), active.tier(t).blocking))
                .collect();
            let v = serde_json::json!({
                "origin": active.origin.to_string(),
                "tiers": tiers,
            });
            println!("{}", serde_json::to_string_pretty(&v).expect("serializes"));
        }
        Format::Text => {
            println!("{}", active.origin);
            for t in Tier::ALL {
                println!("{t}: {}", active.tier(t).blocking);
            }
        }
    }
    Ok(())
}
