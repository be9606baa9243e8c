//! The key file `keys` as the store reads it (`keyfile::parse`, through
//! `parlog_core::fuzzing::read_key_file`): a mark (`PLKEYS01`, or `PLKEYS02` with a header for
//! the master key), then entries of a subject id, its key (wrapped, in the second format) and a
//! check; a torn last entry is cut off when the store opens the file.
//!
//! Besides "no panic": the good bytes the parser names hold the same entries and end cleanly,
//! so that cutting the file there (as opening does) loses nothing and leaves nothing to cut.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let reading = parlog_core::fuzzing::read_key_file(data);
    assert!(reading.good_bytes <= data.len() as u64, "more good bytes than bytes: {reading:?}");
    assert_eq!(reading.subjects, reading.cut_subjects, "the good bytes hold other entries: {reading:?}");
    if !reading.subjects.is_empty() {
        assert_eq!(reading.cut_end, "Clean", "the good bytes do not end cleanly: {reading:?}");
    }
});
