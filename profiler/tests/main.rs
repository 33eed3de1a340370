//! The profiler's integration tests, linked as one binary: each test binary links
//! git2, tera and plotters, and one binary a file cost ~1 GB of disk and most of the
//! link time of a cold `cargo test`. `warm_up.rs` keeps its own process (it reads the
//! engine's global pool counters). Each module is one concept, named by its file.

// Helpers shared by several test modules.
#[path = "data/generate/mod.rs"]
mod generate;
mod history_support;
mod no_user_config;
mod result_fixture;
mod source_tree;
mod workflow_support;

mod ab_build;
mod bisect_search;
mod callgrind_requests;
mod cli_bounds;
mod cli_input;
mod compare_cli;
mod compare_decisions;
mod compare_fixtures;
mod compare_workflow;
mod gate_callgrind;
mod gate_cli;
mod gate_config;
mod gate_decision;
mod gate_workflow;
mod git_keying;
mod history_changepoints;
mod history_cli;
mod history_confirm;
mod history_environments;
mod html_report;
mod layering;
mod loader_damage;
mod lockstep;
mod notes_sync;
mod report_escaping;
mod report_golden;
mod report_terminal;
mod result_roundtrip;
mod root_cause_seeded;
mod run_assemble;
mod run_cli;
mod run_guards;
mod run_verbose;
mod stats_rank_reference;
mod stats_summary;
mod store_full_disk;
mod worker_lifetime;
