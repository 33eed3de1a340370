use super::Def;

pub fn defs() -> Vec<Def> {
    Vec::new()
}
