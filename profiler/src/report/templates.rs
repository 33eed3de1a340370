//! The report templates: embedded in the binary from `templates/`, each
//! overridable by a file of the same name in `--templates DIR`.

use super::text::{code_md, escape_md};
use super::view::View;
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::path::Path;
use tera::{Context, Tera, Value};

/// Every template: (name, embedded source). The name is the file it renders
/// (and, with `.tera`, the file an override directory may hold).
pub const EMBEDDED: [(&str, &str); 6] = [
    ("SUMMARY.txt", include_str!("templates/SUMMARY.txt.tera")),
    (
        "COMPARISON_CHART.md",
        include_str!("templates/COMPARISON_CHART.md.tera"),
    ),
    (
        "METRICS_SUMMARY.md",
        include_str!("templates/METRICS_SUMMARY.md.tera"),
    ),
    (
        "ROOT_CAUSE.md",
        include_str!("templates/ROOT_CAUSE.md.tera"),
    ),
    ("INDEX.md", include_str!("templates/INDEX.md.tera")),
    (
        "PR_COMMENT.md",
        include_str!("templates/PR_COMMENT.md.tera"),
    ),
];

/// `{{ x | md }}`: markdown-escaped text (strings; numbers as they are).
fn md_filter(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    Ok(Value::String(escape_md(&as_text(value))))
}

/// `{{ x | code }}`: a markdown code span holding the text safely.
fn code_filter(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    Ok(Value::String(code_md(&as_text(value))))
}

fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Loaded templates, ready to render.
#[derive(Debug)]
pub struct Templates {
    tera: Tera,
}

fn template_error(name: &str, e: &tera::Error) -> Error {
    // Tera nests the useful message (line, variable) in the source chain.
    let mut reason = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        reason.push_str(": ");
        reason.push_str(&s.to_string());
        src = s.source();
    }
    Error::Template {
        name: name.to_string(),
        reason,
    }
}

impl Templates {
    /// The embedded templates, each replaced by `<dir>/<name>.tera` when present.
    pub fn load(dir: Option<&Path>) -> Result<Templates> {
        if let Some(d) = dir
            && !d.is_dir()
        {
            return Err(Error::Template {
                name: d.display().to_string(),
                reason: "the --templates directory does not exist".into(),
            });
        }
        let mut tera = Tera::default();
        // Reports are text and markdown: HTML autoescaping would be wrong for
        // both. Markdown templates escape every string from results with the
        // `md` filter (or `code` inside a code span); the view cleans text of
        // control characters for the text reports.
        tera.autoescape_on(vec![]);
        tera.register_filter("md", md_filter);
        tera.register_filter("code", code_filter);
        for (name, embedded) in EMBEDDED {
            let source = match dir.map(|d| d.join(format!("{name}.tera"))) {
                Some(path) if path.is_file() => {
                    std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?
                }
                _ => embedded.to_string(),
            };
            tera.add_raw_template(name, &source)
                .map_err(|e| template_error(name, &e))?;
        }
        Ok(Templates { tera })
    }

    /// Render one template with the view.
    pub fn render(&self, name: &str, view: &View) -> Result<String> {
        let ctx = Context::from_serialize(view).map_err(|e| template_error(name, &e))?;
        self.tera
            .render(name, &ctx)
            .map_err(|e| template_error(name, &e))
    }
}
