//! REFI-QDA export benchmark: a `.qdpx` export of the demo, target ≤ 1 s.
//!
//! Run: `cargo bench -p parlog-tests --bench qda` (release build). It builds the release
//! `parlog` binary (a no-op when it is fresh), loads the demo with `parlog demo` into a fresh
//! data folder, then times `parlog export --format qdpx --out FILE` end to end, as a user runs
//! it (process start, opening the study, reading the log, unsealing every note, writing the
//! archive), `PARLOG_BENCH_REPS` times (default 7), and reports the median and the slowest
//! against the target. A breakdown in this process follows: reading the study into the export's
//! model (`qda::Model::read`), and writing the archive from it (`qda::export::qdpx`).
//!
//! Exit code: 0 when the target is met, 1 when it is missed (or the benchmark failed).

#[global_allocator]
static ALLOCATOR: parlog_server::alloc::ParlogAlloc = parlog_server::alloc::ParlogAlloc;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use parlog_core::{Lang, SledStore, StoreOptions};
use parlog_server::qda::{export, Access, Model};
use parlog_tests::median;

const DEFAULT_REPS: usize = 7;
const TARGET_S: f64 = 1.0;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the tests crate lies in the workspace").to_path_buf()
}

/// The release `parlog` binary, built first (cargo does nothing when it is fresh).
fn parlog_release() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "-p", "parlog-server", "--bin", "parlog"])
        .current_dir(workspace())
        .status()
        .expect("run cargo build");
    assert!(status.success(), "building the release parlog failed");
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace().join("target"));
    target.join("release").join("parlog")
}

fn run(bin: &Path, data: &Path, args: &[&str]) {
    let out = Command::new(bin).arg("--data").arg(data).args(args).output().expect("run parlog");
    assert!(
        out.status.success(),
        "parlog {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn main() -> ExitCode {
    let reps: usize = std::env::var("PARLOG_BENCH_REPS").ok().and_then(|r| r.parse().ok()).unwrap_or(DEFAULT_REPS);
    let bin = parlog_release();
    let tmp = tempfile::Builder::new().prefix("parlog-bench-qda-").tempdir().expect("a temporary folder");
    let data = tmp.path().join("data");
    run(&bin, &data, &["demo"]);
    let out = tmp.path().join("demo.qdpx");
    let out_s = out.to_str().expect("a UTF-8 path");

    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t = Instant::now();
        run(&bin, &data, &["export", "--format", "qdpx", "--out", out_s]);
        times.push(t.elapsed().as_secs_f64());
    }
    let bytes = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    let med = median(&times);
    let max = times.iter().copied().fold(0.0, f64::max);
    println!("qdpx export of the demo (`parlog export --format qdpx`, release, end to end), {reps} runs:");
    println!("  median {:.1} ms, slowest {:.1} ms, archive {bytes} bytes", med * 1e3, max * 1e3);

    // Where the time goes, in this process.
    let study = data.join("studies").join("gouda");
    let store = SledStore::open_with(&study, &StoreOptions::from_env(&data)).expect("open the demo study");
    let (mut read, mut write) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let t = Instant::now();
        let m = Model::read(&store, Access::SealedText).expect("read the model");
        read.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let zip = export::qdpx(&m, Lang::Nl).expect("write the archive");
        write.push(t.elapsed().as_secs_f64());
        assert!(!zip.is_empty());
    }
    println!(
        "  of which, in process: reading the study {:.1} ms, writing the archive {:.1} ms (medians)",
        median(&read) * 1e3,
        median(&write) * 1e3
    );
    let ok = med <= TARGET_S;
    println!("target: median ≤ {TARGET_S} s: {}", if ok { "met" } else { "MISSED" });
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
