//! Rendering comparisons: terminal, markdown, JSON, HTML.
