//! Field paths (`programs[3].rewards[0].value`), built without allocating and rendered only
//! when an error needs them.
use std::fmt;

/// A path from the root of a config or order to one field, as a chain of stack frames.
#[derive(Clone, Copy)]
pub enum Path<'a> {
    /// The document itself; renders as the empty string.
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    pub fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    pub fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }

    pub fn render(&self) -> String {
        self.to_string()
    }

    /// The owned, structured path an error keeps.
    pub fn to_error_path(&self) -> crate::error::ErrorPath {
        match self {
            Path::Root => crate::error::ErrorPath::root(),
            Path::Key(parent, key) => parent.to_error_path().key(key.to_string()),
            Path::Index(parent, index) => parent.to_error_path().index(*index),
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(parent, key) => {
                parent.fmt(f)?;
                if matches!(parent, Path::Root) {
                    f.write_str(key)
                } else {
                    write!(f, ".{key}")
                }
            }
            Path::Index(parent, index) => {
                parent.fmt(f)?;
                write!(f, "[{index}]")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_keys_and_indexes() {
        let root = Path::Root;
        let programs = root.key("programs");
        let third = programs.index(3);
        let rewards = third.key("rewards");
        let first = rewards.index(0);
        assert_eq!(first.key("value").render(), "programs[3].rewards[0].value");
        assert_eq!(root.index(2).key("qty").render(), "[2].qty");
        assert_eq!(root.render(), "");
        let structured = first.key("value").to_error_path();
        assert_eq!(structured.to_string(), "programs[3].rewards[0].value");
        use crate::error::PathItem::{Index, Key};
        assert_eq!(
            structured.items(),
            [
                Key("programs".into()),
                Index(3),
                Key("rewards".into()),
                Index(0),
                Key("value".into())
            ]
        );
    }
}
