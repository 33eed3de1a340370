//! Rendering comparisons: terminal, markdown, JSON, HTML.
pub mod html;
