//! The data folder itself: its marker, its permissions, and how a store in it is opened.

use std::path::Path;

use super::StoreError;
use crate::keyfile::MasterKeySource;

pub(crate) const MARKER_FILE: &str = "PARLOG";
pub(crate) const MARKER_TEXT: &str = "parlog data folder\nstore format 2\n";

/// How a store is opened.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Where the master key that wraps the subject keys comes from.
    pub master_key: MasterKeySource,
}

impl StoreOptions {
    /// The master key as [`MasterKeySource::from_env`] finds it for `dir`.
    pub fn from_env(dir: &Path) -> StoreOptions {
        StoreOptions { master_key: MasterKeySource::from_env(dir) }
    }
}

/// Whether `dir` is a data folder of this store format.
pub(crate) fn check_marker(dir: &Path) -> Result<(), StoreError> {
    let marker = dir.join(MARKER_FILE);
    match std::fs::read_to_string(&marker) {
        Ok(t) if t == MARKER_TEXT => Ok(()),
        Ok(_) => Err(StoreError::Corrupt(format!("{} was written by another version of parlog", marker.display()))),
        Err(_) => Err(StoreError::NotInitialised(dir.display().to_string())),
    }
}

/// The data folder is the owner's alone: 0700, and its files 0600 (a folder made by an older
/// release was 0755 with files 0644). Set on every open for writing, not only at creation.
pub(crate) fn tighten_permissions(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let mode = if entry.file_type()?.is_dir() { 0o700 } else { 0o600 };
        if entry.metadata()?.permissions().mode() & 0o777 != mode {
            std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(mode))?;
        }
    }
    Ok(())
}
