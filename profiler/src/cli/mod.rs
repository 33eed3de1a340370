//! Raw command-line arguments (clap derive). Parsed here, resolved into validated
//! configurations by each command before any work starts.

use clap::{Args, Parser, Subcommand, ValueEnum};
use smprof::measure::{MAX_PROCESSES, MAX_SAMPLES, MAX_THREADS};
use std::path::PathBuf;

/// A count option between 1 and `max` (the plan's bounds, `smprof::measure`):
/// anything else is a usage error (exit 2) naming the range.
fn bounded(max: u32) -> clap::builder::RangedI64ValueParser<u32> {
    clap::value_parser!(u32).range(1..=i64::from(max))
}

const EXIT_CODES: &str = "\
Exit codes:
  0  success (compare/gate: nothing gating regressed)
  1  a gating regression was found (compare --fail-on, gate)
  2  usage or data error (bad arguments, missing or damaged result, build failure,
     results directory locked by another run, a binary not built from HEAD,
     results of different metric modes)
  3  nothing gating regressed, but a wall-time verdict stayed inconclusive after
     the most lockstep rounds (compare --fail-on, gate, ab)
  141  stdout closed early (e.g. `smprof … | head`): ended quietly, as by SIGPIPE

Environment:
  NO_COLOR           disable colour in terminal output
  SMALLMIND_SIMD     force the engine's SIMD tier: scalar, avx2, avx512
  SMALLMIND_THREADS  engine threads for matmul (run --threads sets it for workers)";

/// SmallMind's performance-regression harness.
///
/// `smprof run` measures the workload catalogue and stores the result for the
/// current git commit under baselines/; `smprof compare` decides with statistics
/// what regressed, improved or is noise and writes reports under reports/;
/// `smprof gate` fails CI on real regressions.
#[derive(Debug, Parser)]
#[command(name = "smprof", version, after_help = EXIT_CODES, propagate_version = true)]
pub struct Cli {
    /// Directory holding results (one JSON file per commit) and named baselines.
    #[arg(
        long,
        global = true,
        env = "SMPROF_BASELINES",
        default_value = "baselines"
    )]
    pub baselines_dir: PathBuf,

    /// Configuration file (thresholds, critical workloads, waivers).
    #[arg(long, global = true, default_value = "smprof.toml")]
    pub config: PathBuf,

    /// Never use colour (NO_COLOR in the environment does the same).
    #[arg(long, global = true)]
    pub no_color: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Measure the workload catalogue and save the result for the current commit.
    Run(RunArgs),
    /// List the workload catalogue with what each workload does.
    List(ListArgs),
    /// Manage named baselines (list, show, save, rm) and share results as git notes (push, pull).
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Compare two results: verdicts with statistics, reports under reports/.
    ///
    /// The two stored runs are a screen: every wall-time workload is then
    /// measured again on both builds in lockstep (drift between two runs hides
    /// changes as well as it invents them), and those verdicts are the report's (the baseline's smprof is built and cached
    /// when not given). --no-confirm skips that and marks the report unconfirmed.
    ///
    /// Exit 0, or 1 with --fail-on when a regression of that kind is found;
    /// 2: usage or data error; 3 with --fail-on: no regression established, but a
    /// wall-time verdict stayed inconclusive after the most rounds.
    Compare(CompareArgs),
    /// Compare and fail (exit 1) on gating regressions: the CI entry point.
    ///
    /// Compares --current (default: HEAD's result) with --baseline using the
    /// calibrated noise floors of this machine (`smprof calibrate`), accepts
    /// regressions covered by an active waiver in smprof.toml (an expired waiver
    /// stops waiving and is reported), and fails on every hard-limit breach.
    /// Wall time is decided on both builds sampled in lockstep (the baseline's
    /// smprof is built and cached when --baseline-exe is not given), with as many
    /// rounds as the test needs and more for what stays undecided; a regression
    /// fails only if a second lockstep measurement does not clear it
    /// (--no-confirm: the stored runs decide, unconfirmed).
    /// Instruction counts (`run --metric instructions`) are deterministic and gate
    /// with a plain tolerance (default 1 %). The output names each failing
    /// workload and metric with its figures.
    ///
    /// Exit 0: nothing gating regressed. Exit 1: a gating regression or limit
    /// breach. Exit 2: usage or data error (missing or damaged result, bad
    /// smprof.toml, results of different metric modes). Exit 3: nothing gating
    /// regressed, but a wall-time verdict stayed inconclusive after the most rounds.
    Gate(GateArgs),
    /// Run the code suite several times on one commit to measure its noise floor.
    Calibrate(CalibrateArgs),
    /// Build two commits and measure them interleaved (A B A B …), then compare.
    Ab(AbArgs),
    /// Find the first commit that regressed a workload, with statistics at each step.
    Bisect(BisectArgs),
    /// Show stored results along the history of HEAD, with change points.
    History(HistoryArgs),
    /// Internal: a worker process of `smprof run` (measures and prints JSON on stdout).
    #[command(hide = true)]
    Worker(WorkerArgs),
}

/// Which suites to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SuiteArg {
    Code,
    Alloc,
    All,
}

/// What the timing pass measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MetricModeArg {
    /// Wall-clock time from several fresh processes.
    Time,
    /// Instruction counts under valgrind's callgrind (deterministic).
    Instructions,
}

/// Output format of a command that prints results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// A table for people.
    Table,
    /// Machine-readable JSON on stdout.
    Json,
    /// A markdown summary (sized for a PR comment).
    Markdown,
    /// Comma-separated values (history).
    Csv,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Suites to run.
    #[arg(long, value_enum, default_value_t = SuiteArg::All)]
    pub suite: SuiteArg,
    /// Only workloads whose name contains this (or matches it as a glob with `*`).
    #[arg(long)]
    pub filter: Option<String>,
    /// Fewer processes and samples (3 × 4): about a minute for the whole catalogue.
    #[arg(long)]
    pub quick: bool,
    /// Samples per worker process, 1 to 10000 (overrides the mode's default). With
    /// `--metric instructions`: operations counted per workload after the warm-up
    /// (default 1, as counts are exact).
    #[arg(long, value_parser = bounded(MAX_SAMPLES))]
    pub samples: Option<u32>,
    /// Worker processes in the timing pass, 1 to 1000 (overrides the mode's default).
    #[arg(long, value_parser = bounded(MAX_PROCESSES))]
    pub processes: Option<u32>,
    /// Engine threads of the timing pass, 1 to 1024 (default 1, for stable figures); the
    /// allocation and instructions passes always run on one, where their exact figures repeat.
    #[arg(long, default_value_t = 1, value_parser = bounded(MAX_THREADS))]
    pub threads: u32,
    /// `time` (wall clock) or `instructions` (callgrind; needs valgrind).
    #[arg(long, value_enum, default_value_t = MetricModeArg::Time)]
    pub metric: MetricModeArg,
    /// Also write the result to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Do not save the result under the baselines directory.
    #[arg(long)]
    pub no_save: bool,
    /// Save even when this result would replace one with workloads it lacks or of
    /// another metric mode (a run of the whole catalogue always replaces; the
    /// replaced result is kept as `<key>.prev.json`).
    #[arg(long)]
    pub replace: bool,
    /// Measure and save although this smprof was not built from HEAD's sources
    /// (or the work tree's); the result is saved as `<sha>-stale`, apart from the
    /// commit's. Without it such a run is refused: rebuild first.
    #[arg(long)]
    pub allow_stale: bool,
    /// Print the result table as JSON instead.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,
    /// Also print what the per-op instrumentation costs each workload when off.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print the catalogue as JSON.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// List stored results and named baselines.
    List,
    /// Show a result (REF: commit prefix, HEAD~n, name, or path).
    Show {
        reference: String,
        #[arg(long, value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
    },
    /// Pin a name (e.g. `main`, `release-1.2`) to a result.
    Save {
        name: String,
        /// The result to pin (default: the result for HEAD).
        #[arg(long)]
        from: Option<String>,
    },
    /// Remove a named baseline (the result it points to stays).
    Rm { name: String },
    /// Store results as git notes (refs/notes/smprof) and push them to REMOTE.
    Push {
        #[arg(default_value = "origin")]
        remote: String,
    },
    /// Fetch results stored as git notes from REMOTE.
    Pull {
        #[arg(default_value = "origin")]
        remote: String,
    },
}

/// When `compare` exits 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    /// Any gating regression.
    Regression,
    /// Only CRITICAL regressions.
    Critical,
    /// Never (report only).
    Never,
}

#[derive(Debug, Args)]
pub struct CompareSelection {
    /// The baseline: commit prefix, `HEAD~n`, a named baseline, or a path to a result.
    #[arg(long)]
    pub baseline: String,
    /// The current side (default: the result for HEAD).
    #[arg(long)]
    pub current: Option<String>,
    /// False-discovery rate (overrides smprof.toml).
    #[arg(long)]
    pub alpha: Option<f64>,
    /// Relative threshold for timing metrics, percent (overrides smprof.toml).
    #[arg(long)]
    pub threshold: Option<f64>,
}

/// How wall-time changes between two commits are decided.
#[derive(Debug, Args)]
pub struct ConfirmArgs {
    /// Decide from the stored runs alone: no lockstep measurement of both builds.
    /// Fast, and explicitly unconfirmed: two runs taken at different times differ
    /// by whatever the machine was doing, so every report says so.
    #[arg(long)]
    pub no_confirm: bool,
    /// The smprof that measures the baseline side (default: the baseline commit,
    /// built in a worktree under the git directory and cached per commit and
    /// toolchain).
    #[arg(long)]
    pub baseline_exe: Option<PathBuf>,
    /// The smprof that measures the current side (default: this executable when
    /// the current result is HEAD's, else that commit, built and cached).
    #[arg(long)]
    pub current_exe: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    #[command(flatten)]
    pub select: CompareSelection,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    /// Terminal table, `comparison.json` on stdout, or a PR-sized markdown summary.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,
    /// Report directory (default: reports/<time>-<base>-vs-<current>/).
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
    /// Override the embedded report templates with the ones in this directory.
    #[arg(long)]
    pub templates: Option<PathBuf>,
    /// Also write a self-contained HTML report.
    #[arg(long)]
    pub html: bool,
    /// Do not write report files.
    #[arg(long)]
    pub no_reports: bool,
    /// Show every metric in the terminal table (default: what changed, and a
    /// count of what did not).
    #[arg(long)]
    pub all: bool,
    /// Exit 1 on these regressions.
    #[arg(long, value_enum, default_value_t = FailOnArg::Never)]
    pub fail_on: FailOnArg,
}

#[derive(Debug, Args)]
pub struct GateArgs {
    #[command(flatten)]
    pub select: CompareSelection,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    /// Fail only on CRITICAL regressions.
    #[arg(long)]
    pub critical_only: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,
    /// Report directory.
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Runs of the code suite (each with fresh processes).
    #[arg(long, default_value_t = 5)]
    pub runs: u32,
    /// Use quick runs.
    #[arg(long)]
    pub quick: bool,
    /// Only workloads matching this.
    #[arg(long)]
    pub filter: Option<String>,
}

#[derive(Debug, Args)]
pub struct AbArgs {
    /// The base commit.
    #[arg(long)]
    pub base: String,
    /// The head commit.
    #[arg(long)]
    pub head: String,
    /// Only workloads matching this.
    #[arg(long)]
    pub filter: Option<String>,
    /// Fewest rounds of the first look (default: what the decision needs: the
    /// exact signed-rank test must be able to reach α over the workloads
    /// measured). Undecided workloads get more rounds, up to three looks.
    #[arg(long, value_parser = bounded(MAX_PROCESSES))]
    pub rounds: Option<u32>,
    /// Sample pairs per round and workload.
    #[arg(long, default_value_t = 4, value_parser = bounded(MAX_SAMPLES))]
    pub samples: u32,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct BisectArgs {
    /// The workload that regressed.
    #[arg(long)]
    pub workload: String,
    /// A commit where it was good.
    #[arg(long)]
    pub good: String,
    /// A commit where it is bad.
    #[arg(long)]
    pub bad: String,
    /// The metric to bisect on.
    #[arg(long, default_value = "time_ns")]
    pub metric: String,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only workloads matching this.
    #[arg(long)]
    pub workload: Option<String>,
    /// The metric to show.
    #[arg(long, default_value = "time_ns")]
    pub metric: String,
    /// Only commits after this one.
    #[arg(long)]
    pub since: Option<String>,
    /// Output format (table, csv, json).
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,
    /// Also write a self-contained HTML page to this file.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Confirm each change point in lockstep: build the shift's commit and the
    /// measured commit before it (cached per commit and toolchain) and measure
    /// both alternately until the decision engine decides. Wall time only;
    /// without it, change points are an unconfirmed screen of stored runs.
    #[arg(long)]
    pub confirm: bool,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Workloads to measure, in this order (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    pub workloads: Vec<String>,
    /// Pass: `time`, `alloc` or `instructions`.
    #[arg(long)]
    pub pass: String,
    /// Samples to take per workload (1 to 10000).
    #[arg(long, default_value_t = 6, value_parser = bounded(MAX_SAMPLES))]
    pub samples: u32,
    /// Engine threads (1 to 1024).
    #[arg(long, default_value_t = 1, value_parser = bounded(MAX_THREADS))]
    pub threads: u32,
    /// Index of this worker process.
    #[arg(long, default_value_t = 0)]
    pub process: u32,
    /// Take samples one at a time, each on a `sample` line of stdin (one
    /// workload, time pass): the lockstep protocol of alternating measurements.
    #[arg(long)]
    pub lockstep: bool,
    /// Run on this CPU only.
    #[arg(long)]
    pub cpu: Option<usize>,
}
