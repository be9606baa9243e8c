//! The key file `keys` as the store opens it: the magic, then entries of a subject id, its key
//! and a check; a torn last entry is cut off.
//!
//! Besides "no panic": opening must leave a file that opens again to the same keys, without
//! another cut.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(reading) = parlog_core::fuzzing::read_key_file(data) else { return };
    assert_eq!(reading.subjects, reading.subjects_after_reopen, "a second open read other keys");
    assert_eq!(reading.len_after_open, reading.len_after_reopen, "a second open cut the file again");
    assert!(data.is_empty() || reading.len_after_open <= data.len() as u64, "opening grew the file: {reading:?}");
});
