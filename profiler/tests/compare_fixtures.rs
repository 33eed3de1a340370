//! The checked-in fixtures are exactly what `data/generate/` produces and load
//! cleanly. `SMPROF_REGENERATE_FIXTURES=1` rewrites them.

use crate::generate;

use std::path::Path;

#[test]
fn fixtures_match_their_generator() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let regenerate = std::env::var_os("SMPROF_REGENERATE_FIXTURES").is_some();
    for (name, result) in generate::fixtures() {
        let path = dir.join(name);
        let text = serde_json::to_string_pretty(&result).unwrap() + "\n";
        if regenerate {
            smprof::result::write_atomic(&path, text.as_bytes()).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (regenerate with SMPROF_REGENERATE_FIXTURES=1)",
                path.display()
            )
        });
        assert!(
            on_disk == text,
            "{name} differs from its generator; regenerate with SMPROF_REGENERATE_FIXTURES=1"
        );
        let loaded = smprof::result::load(&path).unwrap();
        assert!(loaded == result, "{name} does not round-trip");
    }
}
