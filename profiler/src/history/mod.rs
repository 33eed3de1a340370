//! Results along the history of HEAD.
