//! `smprof baseline`: list stored results, show one, pin a name to one, remove a name.
//! `push`/`pull` (results as git notes) live with the history commands.

use crate::cli::{BaselineCommand, Cli, FormatArg};
use comfy_table::{ContentArrangement, Table, presets};
use smprof::store::Store;
use std::process::ExitCode;

pub fn run(cli: &Cli, args: &BaselineCommand) -> anyhow::Result<ExitCode> {
    let store = Store::open(&cli.baselines_dir);
    match args {
        BaselineCommand::List => list(&store),
        BaselineCommand::Show { reference, format } => {
            let found = store.resolve(reference)?;
            match format {
                FormatArg::Json => println!("{}", serde_json::to_string_pretty(&found.result)?),
                f => {
                    let r = &found.result;
                    println!("{}", found.path.display());
                    if let Some(c) = &r.commit {
                        println!(
                            "commit {}{} {} ({})",
                            c.short,
                            if c.dirty { "-dirty" } else { "" },
                            c.subject,
                            c.branch.as_deref().unwrap_or("detached")
                        );
                    }
                    println!(
                        "created {} · {} · {} processes × {} samples · {} · simd {} · {} thread(s) · fingerprint {}",
                        r.created_at,
                        r.settings.mode,
                        r.settings.processes,
                        r.settings.samples_per_process,
                        r.env.cpu_model,
                        r.env.simd_tier,
                        r.env.threads,
                        r.env.fingerprint
                    );
                    println!(
                        "{}",
                        smprof::report::result_table::result_table(r, *f == FormatArg::Markdown)
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        BaselineCommand::Save { name, from } => {
            let found = match from {
                Some(r) => store.resolve(r)?,
                None => store.resolve_head()?,
            };
            let path = store.save_name(name, &found.result)?;
            eprintln!(
                "{name} → {} ({}), stored as {}",
                found.result.label(),
                found.path.display(),
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        BaselineCommand::Rm { name } => {
            store.remove_name(name)?;
            eprintln!("removed named baseline {name}");
            Ok(ExitCode::SUCCESS)
        }
        BaselineCommand::Push { remote } => super::history::push_notes(&store, remote),
        BaselineCommand::Pull { remote } => super::history::pull_notes(&store, remote),
    }
}

fn list(store: &Store) -> anyhow::Result<ExitCode> {
    let entries = store.list()?;
    if entries.is_empty() {
        println!(
            "no results in {} yet: run `smprof run`",
            store.dir().display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec![
            "key",
            "kind",
            "commit",
            "created",
            "mode",
            "workloads",
        ]);
    for e in entries {
        // A damaged file is listed with its problem rather than hiding the others.
        let (commit, created, mode, n) = match smprof::result::load(&e.path) {
            Ok(r) => (
                r.commit
                    .as_ref()
                    .map(|c| format!("{} {}", c.short, c.subject))
                    .unwrap_or_else(|| "(no git)".into()),
                r.created_at.clone(),
                r.settings.mode.clone(),
                r.workloads.len().to_string(),
            ),
            Err(err) => (
                format!("unreadable: {err}"),
                String::new(),
                String::new(),
                String::new(),
            ),
        };
        t.add_row(vec![e.key, e.kind.to_string(), commit, created, mode, n]);
    }
    println!("{t}");
    Ok(ExitCode::SUCCESS)
}
