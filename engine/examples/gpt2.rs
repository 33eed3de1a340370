//! GPT-2 from the command line: logits, generation and training on bytes.
//!
//! ```text
//! gpt2 logits   --model DIR --prompt TEXT
//! gpt2 generate --model DIR --prompt TEXT --max-new-tokens N [--temperature T] [--top-k K] [--top-p P] [--seed S]
//! gpt2 train    --config small|medium --data FILE --steps N --out DIR [--batch B] [--seq-len T] [--lr LR] [--seed S]
//! ```
//! Results are JSON on stdout; progress and errors go to stderr. Exit codes:
//! 0 success, 2 bad usage or failure.

use smallmind::nn::{Gpt2, Gpt2Config, Sampling, generate};
use smallmind::train::{ByteCorpus, TrainConfig, Trainer};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "\
usage:
  gpt2 logits   --model DIR --prompt TEXT
  gpt2 generate --model DIR --prompt TEXT --max-new-tokens N
                [--temperature T] [--top-k K] [--top-p P] [--seed S]
  gpt2 train    --config small|medium --data FILE --steps N --out DIR
                [--batch B] [--seq-len T] [--lr LR] [--seed S]

Tokens are bytes (id = byte value). `generate` is greedy unless --temperature is given.
Results are JSON on stdout; errors go to stderr with exit code 2.";

type Res<T> = Result<T, String>;

/// `--key value` pairs after the command, each key allowed once and only if known.
struct Args {
    values: HashMap<String, String>,
}

impl Args {
    fn parse(raw: &[String], allowed: &[&str]) -> Res<Args> {
        let mut values = HashMap::new();
        let mut it = raw.iter();
        while let Some(key) = it.next() {
            let name = key
                .strip_prefix("--")
                .filter(|n| allowed.contains(n))
                .ok_or_else(|| {
                    format!(
                        "unexpected argument {key:?} (allowed: --{})",
                        allowed.join(", --")
                    )
                })?;
            let value = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
            if values.insert(name.to_string(), value.clone()).is_some() {
                return Err(format!("--{name} given twice"));
            }
        }
        Ok(Args { values })
    }

    fn required(&self, name: &str) -> Res<&str> {
        self.values
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| format!("--{name} is required"))
    }

    fn parsed<T: std::str::FromStr>(&self, name: &str) -> Res<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        self.values
            .get(name)
            .map(|v| v.parse::<T>().map_err(|e| format!("--{name} {v:?}: {e}")))
            .transpose()
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = argv.first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let rest = &argv[1..];
    let result = match cmd.as_str() {
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        "logits" => logits(rest),
        "generate" => generate_cmd(rest),
        "train" => train(rest),
        other => Err(format!("unknown command {other:?}\n\n{USAGE}")),
    };
    match result {
        Ok(json) => {
            use std::io::Write;
            // A closed pipe (`| head`) is the reader's choice, not an error.
            match writeln!(std::io::stdout().lock(), "{json}") {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    eprintln!("gpt2: error: writing the result: {e}");
                    ExitCode::from(2)
                }
                _ => ExitCode::SUCCESS,
            }
        }
        Err(e) => {
            eprintln!("gpt2: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn load(args: &Args) -> Res<Gpt2> {
    let dir = PathBuf::from(args.required("model")?);
    Gpt2::load(&dir).map_err(|e| e.to_string())
}

fn prompt_ids(args: &Args) -> Res<Vec<u32>> {
    let p = args.required("prompt")?;
    if p.is_empty() {
        return Err("--prompt is empty".into());
    }
    Ok(p.bytes().map(u32::from).collect())
}

fn logits(raw: &[String]) -> Res<String> {
    let args = Args::parse(raw, &["model", "prompt"])?;
    let mut model = load(&args)?;
    let ids = prompt_ids(&args)?;
    let l = model.logits(&ids).map_err(|e| e.to_string())?;
    let v = model.config().vocab_size;
    let rows: Vec<&[f32]> = l.data().chunks_exact(v).collect();
    serde_json::to_string(&serde_json::json!({ "logits": rows })).map_err(|e| e.to_string())
}

fn generate_cmd(raw: &[String]) -> Res<String> {
    let args = Args::parse(
        raw,
        &[
            "model",
            "prompt",
            "max-new-tokens",
            "temperature",
            "top-k",
            "top-p",
            "seed",
        ],
    )?;
    let model = load(&args)?;
    let ids = prompt_ids(&args)?;
    let n: usize = args
        .parsed("max-new-tokens")?
        .ok_or("--max-new-tokens is required")?;
    let top_k = args.parsed("top-k")?;
    let top_p = args.parsed("top-p")?;
    let seed = args.parsed("seed")?;
    let sampling = match args.parsed::<f32>("temperature")? {
        Some(temperature) => Sampling::Sample {
            temperature,
            top_k,
            top_p,
            seed: seed.unwrap_or(0),
        },
        None if top_k.is_some() || top_p.is_some() || seed.is_some() => {
            return Err(
                "--top-k, --top-p and --seed need --temperature (without it, decoding is greedy)"
                    .into(),
            );
        }
        None => Sampling::Greedy,
    };
    let new = generate(&model, &ids, n, sampling).map_err(|e| e.to_string())?;
    let bytes: Vec<u8> = new.iter().map(|&t| t.min(255) as u8).collect();
    let text = String::from_utf8_lossy(&bytes);
    serde_json::to_string(&serde_json::json!({ "new_ids": new, "text": text }))
        .map_err(|e| e.to_string())
}

fn train(raw: &[String]) -> Res<String> {
    let args = Args::parse(
        raw,
        &[
            "config", "data", "steps", "out", "batch", "seq-len", "lr", "seed",
        ],
    )?;
    let name = args.required("config")?;
    let cfg = Gpt2Config::named(name).map_err(|e| e.to_string())?;
    let corpus =
        ByteCorpus::load(&PathBuf::from(args.required("data")?)).map_err(|e| e.to_string())?;
    let steps: u64 = args.parsed("steps")?.ok_or("--steps is required")?;
    if steps == 0 {
        return Err("--steps must be at least 1".into());
    }
    let out = PathBuf::from(args.required("out")?);
    let (dflt_b, dflt_t) = if name == "small" { (16, 64) } else { (8, 256) };
    let batch = args.parsed("batch")?.unwrap_or(dflt_b);
    let seq_len = args
        .parsed("seq-len")?
        .unwrap_or(dflt_t)
        .min(cfg.n_positions);
    if corpus.len() < seq_len + 1 {
        return Err(format!(
            "the data has {} bytes; training windows need at least {} (--seq-len {seq_len} + 1)",
            corpus.len(),
            seq_len + 1
        ));
    }
    let mut tc = TrainConfig::new(batch, seq_len, steps);
    if let Some(lr) = args.parsed::<f32>("lr")? {
        if !(lr > 0.0 && lr.is_finite()) {
            return Err(format!("--lr {lr} must be positive"));
        }
        tc.schedule.max_lr = lr;
        tc.schedule.min_lr = lr / 10.0;
    }
    tc.seed = args.parsed("seed")?.unwrap_or(0);
    let model = Gpt2::new(cfg, tc.seed).map_err(|e| e.to_string())?;
    eprintln!(
        "gpt2: {name} model, {} parameters; {steps} steps of {batch} × {seq_len} tokens",
        model.param_count()
    );
    let mut tr = Trainer::new(model, tc).map_err(|e| e.to_string())?;
    let start = Instant::now();
    let mut loss = f32::NAN;
    let every = (steps / 20).max(1);
    for s in 0..steps {
        loss = tr.step(&corpus).map_err(|e| format!("step {s}: {e}"))?;
        if s % every == 0 || s + 1 == steps {
            eprintln!("step {:>6}/{steps}  loss {loss:.4}", s + 1);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    tr.model().save(&out).map_err(|e| e.to_string())?;
    serde_json::to_string(&serde_json::json!({
        "config": name,
        "parameters": tr.model().param_count(),
        "steps": steps,
        "final_loss": loss,
        "tokens_per_s": (steps as f64 * (batch * seq_len) as f64 / secs).round(),
        "out": out.display().to_string(),
    }))
    .map_err(|e| e.to_string())
}
