//! Running the real `parlog` binary, as a user would, for the black-box tests of the command line
//! and the retrospective.
//!
//! The binary belongs to the package parlog-server, so Cargo does not hand this crate its path
//! (`CARGO_BIN_EXE_parlog` exists only for a package's own binaries). It is looked up next to the
//! test executable instead (`target/<profile>/deps/it-…` → `target/<profile>/parlog`) and built
//! once per test run, with the same profile, if it is missing or older than the sources.
//!
//! Every test gets its own temporary folder with a data folder in it. The folder is given to the
//! binary twice, as `--data` and as `PARLOG_DATA`, and the binary runs inside the temporary
//! folder, so nothing a test does can reach `./parlog-data` of the working copy. A failing test
//! keeps its folder and prints where it is; a failing command prints itself, its exit code and its
//! output.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;
use tempfile::TempDir;

/// How long one command may run before the test gives up on it (a debug build loads the whole
/// demo in well under a second; this only stops a hung binary from hanging the test run).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
/// How often a running command is checked for having finished.
const POLL_INTERVAL: Duration = Duration::from_millis(5);

/// The workspace root (the parent of this crate's folder).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the tests crate lies in the workspace").to_path_buf()
}

/// A file of the working copy, by its path from the workspace root.
pub fn repo_file(path: &str) -> PathBuf {
    workspace().join(path)
}

/// The `parlog` binary of the profile these tests were built with, built first if needed.
pub fn parlog_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(locate_or_build)
}

fn locate_or_build() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable knows its path");
    let deps = exe.parent().expect("the test executable lies in a folder");
    let profile_dir = deps.parent().expect("target/<profile>/deps has a parent").to_path_buf();
    let bin = profile_dir.join(format!("parlog{}", std::env::consts::EXE_SUFFIX));
    if is_fresh(&bin) {
        return bin;
    }
    build(&profile_dir);
    assert!(bin.exists(), "cargo built parlog-server but {} is still missing", bin.display());
    bin
}

/// Whether `bin` exists and is newer than every source file it is built from.
fn is_fresh(bin: &Path) -> bool {
    let Ok(built) = std::fs::metadata(bin).and_then(|m| m.modified()) else { return false };
    let root = workspace();
    let mut newest = SystemTime::UNIX_EPOCH;
    for dir in ["core", "projections", "server", "demo"] {
        newest = newest.max(newest_file(&root.join(dir)));
    }
    newest <= built
}

/// The newest modification time of the files under `dir` (skipping `target`-like build output,
/// which none of the source folders hold).
fn newest_file(dir: &Path) -> SystemTime {
    let mut newest = SystemTime::UNIX_EPOCH;
    let Ok(entries) = std::fs::read_dir(dir) else { return newest };
    for entry in entries.flatten() {
        let path = entry.path();
        let time = if path.is_dir() {
            newest_file(&path)
        } else {
            entry.metadata().and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH)
        };
        newest = newest.max(time);
    }
    newest
}

/// `cargo build -p parlog-server --bin parlog` into the target folder and profile of this test.
fn build(profile_dir: &Path) {
    let target_dir = profile_dir.parent().expect("target/<profile> has a parent");
    let profile = profile_dir.file_name().and_then(|n| n.to_str()).expect("the profile folder has a name");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-p", "parlog-server", "--bin", "parlog"]).arg("--target-dir").arg(target_dir);
    match profile {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    cmd.current_dir(workspace());
    eprintln!("building the parlog binary for the CLI tests: {cmd:?}");
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---- one test's folder ----------------------------------------------------------------------

/// A test's temporary folder: the data folder `data/` (not created: `parlog init` or `demo` does
/// that) and room for other files, such as exports and a second data folder.
/// The folder of a data folder's one study: `studies/<slug>/`, or the data folder itself when
/// its study is at the root (a folder of the previous release).
pub fn study_dir(data: &Path) -> PathBuf {
    let studies: Vec<PathBuf> = std::fs::read_dir(data.join("studies"))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    match &studies[..] {
        [one] => one.clone(),
        [] => data.to_path_buf(),
        many => panic!("{} holds {} studies; name one", data.display(), many.len()),
    }
}

/// The study `CliTest::init` makes.
pub const TEST_STUDY: &str = "proef";

pub struct CliTest {
    tmp: Option<TempDir>,
    root: PathBuf,
    data: PathBuf,
    /// The locale of every command (`LANG`), when a test sets one; none gives the default, Dutch.
    locale: Option<&'static str>,
}

/// A fresh temporary folder for one test; the binary is located (or built) on first use.
pub fn setup() -> CliTest {
    let tmp = tempfile::Builder::new().prefix("parlog-cli-test-").tempdir().expect("a temporary folder can be made");
    let root = tmp.path().to_path_buf();
    let data = root.join("data");
    parlog_bin();
    CliTest { tmp: Some(tmp), root, data, locale: None }
}

/// A test folder with the built-in demo (the Gouda story) loaded.
pub fn setup_demo() -> CliTest {
    let t = setup();
    t.ok(&["demo"]);
    t
}

impl CliTest {
    /// Runs every command in an English locale (`LANG=en_US.UTF-8`): for tests of what the
    /// command line says in English; Dutch, the default, is tested in cli_lang.rs.
    pub fn english(mut self) -> CliTest {
        self.locale = Some("en_US.UTF-8");
        self
    }

    /// Registers participants in the study (`ParticipantRegistered`), those not registered yet:
    /// a token acts as one of them.
    pub fn register(&self, participants: &[&str]) {
        for p in participants {
            let stream = format!("participant:{p}");
            if !self.ok(&["log", "--json", "--stream", &stream, "--limit", "1"]).trim().is_empty() {
                continue;
            }
            let event = serde_json::json!({
                "stream": stream, "kind": "ParticipantRegistered", "occurred_at": "2024-03-01T09:00:00+01:00",
                "author": "onderzoeker-1", "payload": { "label": p, "role": "researcher" }
            });
            self.run_stdin(&["append"], &event.to_string()).success();
        }
    }

    /// The data folder the commands use unless told otherwise.
    pub fn data(&self) -> &Path {
        &self.data
    }

    /// A path in the test's folder, for files and further data folders.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Writes `contents` to a file in the test's folder and returns its path.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        path
    }

    /// Runs `parlog ARGS` on the test's data folder.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_at(&self.data, args, None)
    }

    /// Runs `parlog ARGS` with `stdin` as standard input.
    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Run {
        self.run_at(&self.data, args, Some(stdin))
    }

    /// Runs `parlog ARGS` on another data folder.
    pub fn run_at(&self, data: &Path, args: &[&str], stdin: Option<&str>) -> Run {
        run(&self.root, data, args, stdin, &self.locale_env())
    }

    /// Runs `parlog ARGS` on `data` with these environment variables set.
    pub fn run_env(&self, data: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut all = self.locale_env();
        all.extend_from_slice(env);
        run(&self.root, data, args, None, &all)
    }

    fn locale_env(&self) -> Vec<(&'static str, &'static str)> {
        self.locale.map(|l| ("LANG", l)).into_iter().collect()
    }

    /// Runs a command that must succeed and returns its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        self.run(args).success().stdout
    }

    /// Runs a command that must succeed on another data folder and returns its standard output.
    pub fn ok_at(&self, data: &Path, args: &[&str]) -> String {
        self.run_at(data, args, None).success().stdout
    }

    /// Makes the data folder with one study (`proef`), as a user starts: `parlog init`, then
    /// `parlog study create`.
    pub fn init(&self) {
        self.init_at(self.data());
    }

    /// `init` on another data folder.
    pub fn init_at(&self, data: &Path) {
        self.ok_at(data, &["init"]);
        self.ok_at(data, &["study", "create", TEST_STUDY, "--name", "Proefonderzoek", "--municipality", "Proefstad"]);
    }

    /// Every event of the log as `parlog log --json` gives it, one JSON object each.
    pub fn log_json(&self, data: &Path) -> Vec<Value> {
        self.ok_at(data, &["log", "--json", "--limit", "1000000"])
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("`log --json` gave a line that is not JSON ({e}): {l}"))
            })
            .collect()
    }
}

impl Drop for CliTest {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        if let Some(tmp) = self.tmp.take() {
            let kept = tmp.keep();
            eprintln!("the failing test's folder is kept for inspection: {} (data folder: data/)", kept.display());
        }
    }
}

// ---- one command ----------------------------------------------------------------------------

/// What one run of the binary did.
#[derive(Debug, Clone)]
pub struct Run {
    /// The command line, as it could be typed in the test's folder.
    pub command: String,
    /// The exit code; -1 if the process was ended by a signal.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panics, showing the command and its output, unless it exited with `code`.
    pub fn code(self, code: i32) -> Run {
        if self.code != code {
            self.fail(&format!("expected exit code {code}, got {}", self.code));
        }
        self
    }

    /// Panics unless the command exited with 0.
    pub fn success(self) -> Run {
        self.code(0)
    }

    /// Panics unless standard output contains each of `needles`.
    pub fn stdout_has(self, needles: &[&str]) -> Run {
        for n in needles {
            if !self.stdout.contains(n) {
                self.fail(&format!("expected standard output to contain {n:?}"));
            }
        }
        self
    }

    /// Panics unless standard error contains each of `needles`.
    pub fn stderr_has(self, needles: &[&str]) -> Run {
        for n in needles {
            if !self.stderr.contains(n) {
                self.fail(&format!("expected standard error to contain {n:?}"));
            }
        }
        self
    }

    /// Panics with `why`, the command and its whole output.
    pub fn fail(&self, why: &str) -> ! {
        panic!(
            "{why}\n  command: {}\n  exit code: {}\n--- stdout ---\n{}\n--- stderr ---\n{}\n--- end ---",
            self.command, self.code, self.stdout, self.stderr
        )
    }

    /// Standard output parsed as one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| self.fail(&format!("standard output is not JSON: {e}")))
    }
}

fn run(root: &Path, data: &Path, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
    let bin = parlog_bin();
    let mut cmd = Command::new(bin);
    cmd.arg("--data").arg(data).args(args);
    // The master key is the one beside the test's data folder unless a test says otherwise. The
    // language is the default (Dutch) unless a test sets one: not the locale of whoever runs the
    // tests.
    cmd.env("PARLOG_DATA", data)
        .env_remove("PARLOG_LANG")
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANGUAGE")
        .env_remove("PARLOG_MASTER_KEY_FILE")
        .env_remove("PARLOG_MASTER_PASSPHRASE")
        .current_dir(root);
    cmd.envs(env.iter().copied());
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let command = format!(
        "PARLOG_DATA={} parlog --data {} {}{}",
        data.display(),
        data.display(),
        args.join(" "),
        if stdin.is_some() { " < (standard input)" } else { "" }
    );
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));

    // Read and write on threads so that a full pipe can never block the child.
    let writer = stdin.map(|text| {
        let mut pipe = child.stdin.take().expect("piped standard input");
        let text = text.to_string();
        std::thread::spawn(move || {
            // The child may exit before reading everything (bad usage); that is its answer.
            let _ = pipe.write_all(text.as_bytes());
        })
    });
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).expect("the child's output can be read");
            String::from_utf8(bytes).unwrap_or_else(|e| format!("(not UTF-8: {e})"))
        })
    };
    let out = read(Box::new(child.stdout.take().expect("piped standard output")));
    let err = read(Box::new(child.stderr.take().expect("piped standard error")));

    let deadline = Instant::now() + COMMAND_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the child") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`{command}` did not finish within {COMMAND_TIMEOUT:?}; it was killed");
        }
        std::thread::sleep(POLL_INTERVAL);
    };
    if let Some(w) = writer {
        w.join().expect("the stdin writer thread");
    }
    let stdout = out.join().expect("the stdout reader thread");
    let stderr = err.join().expect("the stderr reader thread");
    Run { command, code: status.code().unwrap_or(-1), stdout, stderr }
}

// ---- comparing texts ------------------------------------------------------------------------

/// A short report of where two texts first differ: the line number and a few lines of each.
pub fn first_difference(expected: &str, actual: &str) -> Option<String> {
    const SHOWN_LINES: usize = 6;
    const SHOWN_CHARS: usize = 300;
    if expected == actual {
        return None;
    }
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let at = e.iter().zip(&a).position(|(x, y)| x != y).unwrap_or(e.len().min(a.len()));
    let cut = |s: &str| -> String {
        let mut t: String = s.chars().take(SHOWN_CHARS).collect();
        if s.chars().count() > SHOWN_CHARS {
            t.push('…');
        }
        t
    };
    let mut out = format!(
        "first difference at line {} (expected {} lines, got {}; {} and {} bytes)\n",
        at + 1,
        e.len(),
        a.len(),
        expected.len(),
        actual.len()
    );
    for i in at..(at + SHOWN_LINES).min(e.len().max(a.len())) {
        match (e.get(i), a.get(i)) {
            (Some(x), Some(y)) if x == y => out += &format!("  {:>5}   {}\n", i + 1, cut(x)),
            (x, y) => {
                if let Some(x) = x {
                    out += &format!("- {:>5}   {}\n", i + 1, cut(x));
                }
                if let Some(y) = y {
                    out += &format!("+ {:>5}   {}\n", i + 1, cut(y));
                }
            }
        }
    }
    if e.len() == a.len() && e == a {
        out += "  (the lines are equal; the texts differ in line endings or a final newline)\n";
    }
    Some(out)
}
