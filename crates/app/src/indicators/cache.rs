//! Evaluated indicators kept by a server between requests, until the next write to their data.
//!
//! A dashboard asks for the same region and date again and again, and evaluating every
//! indicator of a city reads the whole registry and ledger. Every write moves the version of the
//! data areas it writes (`fupin_store::data_versions`, in the write's transaction), so a value
//! computed at some versions is served while they are unchanged, whichever process wrote since.
//! Sign-ins, reads of personal data and user administration move no area, and keep the values.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use fupin_store::Db;

use super::{Request, Value, evaluate_scoped, scoped_request};
use crate::context::Ctx;
use crate::error::Result;

/// At most this many evaluations are kept; beyond it, the older versions go, then everything.
const CAPACITY: usize = 256;

/// Values evaluated at a data version (the areas' versions, as text).
type Versioned = (String, Arc<Vec<Value>>);

#[derive(Default)]
pub struct ValueCache {
    entries: Mutex<HashMap<String, Versioned>>,
}

impl ValueCache {
    fn get(&self, key: &str, version: &str) -> Option<Arc<Vec<Value>>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(at, _)| at == version)
            .map(|(_, values)| values.clone())
    }

    fn put(&self, key: String, version: String, values: Arc<Vec<Value>>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CAPACITY {
            entries.retain(|_, (at, _)| *at == version);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(key, (version, values));
    }
}

/// [`super::evaluate`], answered from `cache` when no data area was written since the same request
/// of an actor with the same role, region and institution was evaluated (indicators read every
/// area). Access is checked every time.
pub async fn evaluate_cached(
    db: &Db,
    ctx: &Ctx,
    request: &Request,
    cache: &ValueCache,
) -> Result<Arc<Vec<Value>>> {
    let scoped = scoped_request(db, ctx, request).await?;
    let key = format!(
        "{:?}|{:?}|{:?}|{:?}",
        scoped, ctx.actor.role, ctx.actor.region, ctx.actor.institution
    );
    let version = data_version(db).await?;
    if let Some(values) = cache.get(&key, &version) {
        return Ok(values);
    }
    let values = Arc::new(evaluate_scoped(db, ctx, &scoped).await?);
    cache.put(key, version, values.clone());
    Ok(values)
}

/// The version of the data indicators read: every area's.
pub async fn data_version(db: &Db) -> Result<String> {
    let versions = fupin_store::data_versions::current(db).await?;
    Ok(format!("{versions:?}"))
}
