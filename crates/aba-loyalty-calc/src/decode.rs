//! Field-by-field decoding helpers shared by the config and order decoders: strict keys,
//! required/optional fields, and typed values, each error naming its path.
use crate::error::{CalcError, Domain, Reason};
use crate::input::{expected, Node};
use crate::path::Path;
use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

/// The fields of one mapping, looked up once, with unknown keys refused.
pub struct Fields<'p, N: Node, const K: usize> {
    path: &'p Path<'p>,
    domain: Domain,
    names: &'static [&'static str; K],
    slots: [Option<N>; K],
}

impl<'p, N: Node, const K: usize> Fields<'p, N, K> {
    /// Reads a mapping whose allowed keys are `names` (in documented order).
    pub fn read(
        node: &N,
        path: &'p Path<'p>,
        domain: Domain,
        names: &'static [&'static str; K],
    ) -> Result<Self, CalcError> {
        let mut slots: [Option<N>; K] = std::array::from_fn(|_| None);
        // Callers usually write keys in documented order: look there first.
        let mut expected_index = 0;
        let visited = node.visit_entries(|key, value| {
            let Some(text) = N::key_text(key) else {
                let reason = format!("keys must be strings, got {}", N::key_type(key));
                return Err(domain.error(path.to_error_path(), reason));
            };
            let index = if names.get(expected_index) == Some(&text) {
                expected_index
            } else {
                match names.iter().position(|name| *name == text) {
                    Some(index) => index,
                    None => return Err(domain.error(path.key(text).to_error_path(), "unknown key")),
                }
            };
            slots[index] = Some(value);
            expected_index = index + 1;
            Ok(())
        });
        match visited {
            Some(result) => result?,
            None => {
                return Err(domain.error(path.to_error_path(), expected("a mapping (dict)", node)))
            }
        }
        Ok(Fields {
            path,
            domain,
            names,
            slots,
        })
    }

    pub fn path(&self) -> &'p Path<'p> {
        self.path
    }

    pub fn domain(&self) -> Domain {
        self.domain
    }

    /// The path of field `index`.
    pub fn field_path(&self, index: usize) -> Path<'_> {
        self.path.key(self.names[index])
    }

    /// An error about field `index`.
    pub fn error(&self, index: usize, reason: impl Into<Reason>) -> CalcError {
        self.domain
            .error(self.field_path(index).to_error_path(), reason)
    }

    /// A field that must be present and not null.
    pub fn required(&mut self, index: usize) -> Result<N, CalcError> {
        match self.slots[index].take() {
            Some(node) if !node.is_null() => Ok(node),
            Some(_) => Err(self.error(index, "must not be null")),
            None => Err(self.error(index, "required")),
        }
    }

    /// A field that may be absent or null (both meaning "the default").
    pub fn optional(&mut self, index: usize) -> Option<N> {
        self.slots[index].take().filter(|node| !node.is_null())
    }

    /// Applies `convert` to the field's value, naming the field on failure.
    pub fn convert<T>(
        &self,
        index: usize,
        node: &N,
        convert: impl FnOnce(&N) -> Result<T, Reason>,
    ) -> Result<T, CalcError> {
        convert(node).map_err(|reason| self.error(index, reason))
    }

    pub fn int(&mut self, index: usize) -> Result<i64, CalcError> {
        let node = self.required(index)?;
        self.convert(index, &node, N::int)
    }

    pub fn int_or(&mut self, index: usize, default: i64) -> Result<i64, CalcError> {
        match self.optional(index) {
            Some(node) => self.convert(index, &node, N::int),
            None => Ok(default),
        }
    }

    pub fn nullable_int(&mut self, index: usize) -> Result<Option<i64>, CalcError> {
        match self.optional(index) {
            Some(node) => self.convert(index, &node, N::int).map(Some),
            None => Ok(None),
        }
    }

    pub fn boolean_or(&mut self, index: usize, default: bool) -> Result<bool, CalcError> {
        match self.optional(index) {
            Some(node) => self.convert(index, &node, N::boolean),
            None => Ok(default),
        }
    }

    pub fn text(&mut self, index: usize) -> Result<String, CalcError> {
        let node = self.required(index)?;
        self.convert(index, &node, N::text)
    }

    pub fn nonempty_text(&mut self, index: usize) -> Result<String, CalcError> {
        let text = self.text(index)?;
        if text.is_empty() {
            return Err(self.error(index, "must not be empty"));
        }
        Ok(text)
    }

    pub fn nullable_text(&mut self, index: usize) -> Result<Option<String>, CalcError> {
        match self.optional(index) {
            Some(node) => self.convert(index, &node, N::text).map(Some),
            None => Ok(None),
        }
    }

    pub fn decimal(&mut self, index: usize) -> Result<Decimal, CalcError> {
        let node = self.required(index)?;
        self.convert(index, &node, N::decimal)
    }

    pub fn decimal_or(&mut self, index: usize, default: Decimal) -> Result<Decimal, CalcError> {
        match self.optional(index) {
            Some(node) => self.convert(index, &node, N::decimal),
            None => Ok(default),
        }
    }

    /// A decimal that must be > 0.
    pub fn positive_decimal(&mut self, index: usize) -> Result<Decimal, CalcError> {
        let value = self.decimal(index)?;
        if value <= Decimal::ZERO {
            return Err(self.error(index, "must be > 0"));
        }
        Ok(value)
    }

    pub fn datetime(&mut self, index: usize) -> Result<NaiveDateTime, CalcError> {
        let node = self.required(index)?;
        self.convert(index, &node, N::datetime)
    }

    pub fn nullable_date(&mut self, index: usize) -> Result<Option<NaiveDate>, CalcError> {
        match self.optional(index) {
            Some(node) => self.convert(index, &node, N::date).map(Some),
            None => Ok(None),
        }
    }

    /// One of a fixed set of strings.
    pub fn choice<T: Copy>(&mut self, index: usize, choices: &[(&str, T)]) -> Result<T, CalcError> {
        let text = self.text(index)?;
        self.pick(index, &text, choices)
    }

    /// Like [`Fields::choice`] with a default when absent or null.
    pub fn choice_or<T: Copy>(
        &mut self,
        index: usize,
        choices: &[(&str, T)],
        default: T,
    ) -> Result<T, CalcError> {
        match self.optional(index) {
            Some(node) => {
                let text = self.convert(index, &node, N::text)?;
                self.pick(index, &text, choices)
            }
            None => Ok(default),
        }
    }

    fn pick<T: Copy>(
        &self,
        index: usize,
        text: &str,
        choices: &[(&str, T)],
    ) -> Result<T, CalcError> {
        choices
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, value)| *value)
            .ok_or_else(|| {
                let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
                self.error(index, format!("must be one of {names:?}, got {text:?}"))
            })
    }

    /// A list field (absent or null gives an empty list when `optional`).
    pub fn list(&mut self, index: usize, optional: bool) -> Result<Vec<N>, CalcError> {
        let node = if optional {
            match self.optional(index) {
                Some(node) => node,
                None => return Ok(Vec::new()),
            }
        } else {
            self.required(index)?
        };
        node.items()
            .ok_or_else(|| self.error(index, expected("a list", &node)))
    }

    /// An optional list of integer ids (`product_ids`, `category_ids`).
    pub fn id_list(&mut self, index: usize) -> Result<Vec<i64>, CalcError> {
        let items = self.list(index, true)?;
        let path = self.field_path(index);
        let mut ids = Vec::with_capacity(items.len());
        for (position, item) in items.iter().enumerate() {
            let id = item.int().map_err(|reason| {
                self.domain
                    .error(path.index(position).to_error_path(), reason)
            })?;
            ids.push(id);
        }
        Ok(ids)
    }
}
