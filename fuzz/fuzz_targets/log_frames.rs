//! The log file's frame readers: the bytes after the magic, read frame by frame
//! (`read_frame`, as recovery and single reads do) and in pages (`read_frames`, as catch-ups
//! do), and the record of every event frame decoded.
//!
//! Besides "no panic": both readers must find the same frames and fail on the same input.
//! A frame's check is blake3, which the fuzzer cannot forge: event records reach the decoder
//! only from the seeds (the `record_decode` target fuzzes the decoder itself).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let reading = parlog_core::fuzzing::decode_log(data).expect("the scratch log can be written and opened");
    match (&reading.frame_error, &reading.paged) {
        (None, Ok(paged)) => assert_eq!(&reading.frames, paged, "the readers found different frames"),
        (Some(_), Err(_)) => {}
        _ => panic!("one reader failed and the other did not: {reading:?}"),
    }
});
