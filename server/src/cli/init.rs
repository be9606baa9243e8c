//! `parlog init`: create the data folder (nothing changes if it exists).

use std::path::Path;

use super::Result;
use crate::studies;

pub fn run(data: &Path) -> Result<i32> {
    // With PostgreSQL, parlog's schema is made (or migrated) in the database as well.
    if super::on_postgres() {
        println!("{}", t!("init-postgres", store = super::describe_backend(super::backend()?)));
    }
    let folder = data.display().to_string();
    if studies::init(data)? {
        println!("{}", t!("init-made", folder = folder));
    } else {
        println!("{}", t!("init-exists", folder = folder));
    }
    Ok(0)
}
