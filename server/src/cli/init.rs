//! `parlog init`: create the data folder (nothing changes if it exists).

use std::path::Path;

use super::Result;
use crate::studies;

pub fn run(data: &Path) -> Result<i32> {
    // With PostgreSQL, parlog's schema is made (or migrated) in the database as well.
    if super::on_postgres() {
        println!("events are kept in {}; its parlog schema is ready", super::backend()?.describe());
    }
    if studies::init(data)? {
        println!(
            "data folder made: {}; add a study with `parlog study create SLUG --name \"…\" --municipality \"…\"` (or load the demo with `parlog demo`)",
            data.display()
        );
    } else {
        println!("{} is a data folder already; nothing changed", data.display());
    }
    Ok(0)
}
