//! The in-memory state: one ordered collection of JSON entities per collection instance.
//!
//! A collection instance is a collection template plus the keys of its parents
//! (`/…/workspaces/{workspace-id}/sessions` + `["default"]`). Entities are kept as shared JSON
//! objects, so a list can take a snapshot under the lock (reference-count bumps) and run its
//! query after releasing it. The store itself is synchronous: callers hold its lock briefly and
//! never across an `.await`.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::profile::Lifecycle;

/// Identifies one collection instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CollectionId {
    /// The collection's path template.
    pub template: String,
    /// The keys of the entities above it, in path order.
    pub parents: Vec<String>,
}

/// One stored entity.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    /// The entity as last written.
    pub json: Arc<Map<String, Value>>,
    /// Server-side progress that changes how the entity reads over time (evaluations).
    pub lifecycle: Option<Arc<dyn Lifecycle>>,
}

/// The members of one collection instance in insertion order, with an index by key. Listing
/// walks a contiguous vector, so a list of many entities costs little more than its page.
#[derive(Debug, Default)]
pub(crate) struct Collection {
    records: Vec<(String, Record)>,
    index: HashMap<String, usize>,
}

impl Collection {
    /// The record with this key.
    pub fn get(&self, key: &str) -> Option<&Record> {
        let i = *self.index.get(key)?;
        self.records.get(i).map(|(_, r)| r)
    }

    /// Whether the key is taken.
    pub fn contains(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    /// Adds a record; `false` (and nothing changes) if the key is taken.
    pub fn insert(&mut self, key: String, record: Record) -> bool {
        if self.index.contains_key(&key) {
            return false;
        }
        self.index.insert(key.clone(), self.records.len());
        self.records.push((key, record));
        true
    }

    /// Replaces the JSON of an existing record.
    pub fn replace(&mut self, key: &str, json: Map<String, Value>) -> bool {
        let Some(&i) = self.index.get(key) else {
            return false;
        };
        match self.records.get_mut(i) {
            Some((_, record)) => {
                record.json = Arc::new(json);
                true
            }
            None => false,
        }
    }

    /// Removes a record (linear in the size of the collection).
    pub fn remove(&mut self, key: &str) -> Option<Record> {
        let i = self.index.remove(key)?;
        if i >= self.records.len() {
            return None;
        }
        let (_, record) = self.records.remove(i);
        for (k, _) in &self.records[i..] {
            if let Some(slot) = self.index.get_mut(k) {
                *slot -= 1;
            }
        }
        Some(record)
    }

    /// The records, newest first (as the service lists sessions).
    pub fn newest_first(&self) -> impl Iterator<Item = &Record> {
        self.records.iter().rev().map(|(_, r)| r)
    }

    /// How many records there are.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.records.len()
    }
}

/// Every collection instance.
#[derive(Debug, Default)]
pub(crate) struct Store {
    collections: HashMap<CollectionId, Collection>,
}

impl Store {
    /// The collection instance, if anything was ever stored in it.
    pub fn collection(&self, id: &CollectionId) -> Option<&Collection> {
        self.collections.get(id)
    }

    /// The collection instance, created empty if needed.
    pub fn collection_mut(&mut self, id: CollectionId) -> &mut Collection {
        self.collections.entry(id).or_default()
    }

    /// The record with `key` in the collection instance.
    pub fn get(&self, id: &CollectionId, key: &str) -> Option<&Record> {
        self.collections.get(id).and_then(|c| c.get(key))
    }

    /// Removes the collection instances below an entity (those whose template extends
    /// `item_template` and whose parent keys start with `keys`).
    pub fn remove_descendants(&mut self, item_template: &str, keys: &[String]) {
        let prefix = format!("{item_template}/");
        self.collections
            .retain(|id, _| !(id.template.starts_with(&prefix) && id.parents.starts_with(keys)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(id: &str) -> Record {
        let Value::Object(map) = json!({ "id": id }) else {
            unreachable!()
        };
        Record {
            json: Arc::new(map),
            lifecycle: None,
        }
    }

    #[test]
    fn collections_keep_order_and_reject_duplicates() {
        let mut store = Store::default();
        let id = CollectionId {
            template: "/a".into(),
            parents: vec![],
        };
        let c = store.collection_mut(id.clone());
        assert!(c.insert("1".into(), record("1")));
        assert!(c.insert("2".into(), record("2")));
        assert!(!c.insert("1".into(), record("x")));
        let keys: Vec<_> = c.newest_first().map(|r| r.json["id"].clone()).collect();
        assert_eq!(keys, vec![json!("2"), json!("1")]);
        assert!(c.insert("3".into(), record("3")));
        assert!(c.remove("2").is_some());
        assert!(c.remove("2").is_none());
        assert_eq!(c.len(), 2);
        assert_eq!(c.get("3").unwrap().json["id"], json!("3"));
        assert!(c.replace("3", Map::new()));
        assert!(c.get("3").unwrap().json.is_empty());
        assert!(store.get(&id, "1").is_some());
    }

    #[test]
    fn removing_descendants() {
        let mut store = Store::default();
        let child = CollectionId {
            template: "/a/{a-id}/b".into(),
            parents: vec!["x".into()],
        };
        let other = CollectionId {
            template: "/a/{a-id}/b".into(),
            parents: vec!["y".into()],
        };
        store
            .collection_mut(child.clone())
            .insert("1".into(), record("1"));
        store
            .collection_mut(other.clone())
            .insert("1".into(), record("1"));
        store.remove_descendants("/a/{a-id}", &["x".to_string()]);
        assert!(store.collection(&child).is_none());
        assert!(store.collection(&other).is_some());
    }
}
