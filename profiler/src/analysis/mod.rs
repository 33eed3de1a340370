//! Explaining a comparison: root causes, actions, success stories.
