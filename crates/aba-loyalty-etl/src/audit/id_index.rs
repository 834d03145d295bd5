//! A map from an Odoo id to a small value, looked up once per order or line (10M times): a
//! plain array when the ids are dense, as a table's serial ids are, else a hash map.
use rustc_hash::FxHashMap as HashMap;

/// Ids up to this many times the number of entries (plus a margin) are stored as an array.
const DENSITY: usize = 4;
const MARGIN: usize = 1 << 16;

pub enum IdIndex<V> {
    Dense(Vec<Option<V>>),
    Sparse(HashMap<i32, V>),
}

impl<V: Copy> IdIndex<V> {
    pub fn new(entries: HashMap<i32, V>) -> Self {
        let fits = |max: i32| (max as usize) < DENSITY * entries.len() + MARGIN;
        match (entries.keys().min(), entries.keys().max()) {
            (Some(&min), Some(&max)) if min >= 0 && fits(max) => {
                let mut dense = vec![None; max as usize + 1];
                for (id, v) in entries {
                    dense[id as usize] = Some(v);
                }
                IdIndex::Dense(dense)
            }
            (None, _) => IdIndex::Dense(Vec::new()),
            _ => IdIndex::Sparse(entries),
        }
    }

    pub fn get(&self, id: i32) -> Option<V> {
        match self {
            IdIndex::Dense(values) => usize::try_from(id)
                .ok()
                .and_then(|i| values.get(i).copied().flatten()),
            IdIndex::Sparse(map) => map.get(&id).copied(),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            IdIndex::Dense(values) => values.iter().filter(|v| v.is_some()).count(),
            IdIndex::Sparse(map) => map.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<V> Default for IdIndex<V> {
    fn default() -> Self {
        IdIndex::Dense(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(ids: &[i32]) -> IdIndex<u32> {
        IdIndex::new(
            ids.iter()
                .map(|&i| (i, (i as u32).wrapping_mul(10)))
                .collect(),
        )
    }

    #[test]
    fn dense_and_sparse_ids_answer_the_same() {
        let dense = index(&[1, 2, 5, 7]);
        let sparse = index(&[1, 2, 5, 7, 2_000_000_000]);
        assert!(matches!(dense, IdIndex::Dense(_)));
        assert!(matches!(sparse, IdIndex::Sparse(_)));
        for id in [-1, 0, 1, 2, 3, 5, 7, 8, 1_000_000, i32::MAX, i32::MIN] {
            assert_eq!(
                dense.get(id),
                sparse.get(id).filter(|_| id != 2_000_000_000),
                "{id}"
            );
        }
        assert_eq!(dense.get(5), Some(50));
        assert_eq!(sparse.get(2_000_000_000), Some(20_000_000_000u64 as u32));
        assert_eq!((dense.len(), sparse.len()), (4, 5));
    }

    #[test]
    fn negative_ids_and_no_ids() {
        let negative = index(&[-3, 4]);
        assert!(matches!(negative, IdIndex::Sparse(_)));
        assert_eq!(negative.get(-3), Some((-3i32 as u32).wrapping_mul(10)));
        let empty = index(&[]);
        assert_eq!((empty.get(0), empty.len()), (None, 0));
    }
}
