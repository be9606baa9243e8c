//! `parlog init`: create the data folder (nothing changes if it exists).

use std::path::Path;

use parlog_core::EventStore;

use super::{init_store, Result};

pub fn run(data: &Path) -> Result<i32> {
    let store = init_store(data)?;
    println!("data folder ready: {} ({} events)", data.display(), store.head().position);
    Ok(0)
}
