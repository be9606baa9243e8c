//! The command line in Dutch and English (issue 15): Dutch by default, English with `--lang en`
//! or an English locale; both Fluent files hold the same messages, every message the source
//! uses is in both, and every command and option has its help in both.

use std::path::Path;

use parlog_server::cli::{help, lang};
use serde_json::Value;

use super::cli_support::{repo_file, setup, setup_demo};

/// The ids `t!("…")` names in a source text (the macro's first argument, on its line or the next).
fn used_ids(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("t!(") {
        // `t!(`, not the end of `format!(` or `eprint!(`.
        let macro_name = rest[..at].chars().next_back().is_none_or(|c| !c.is_alphanumeric() && c != '_');
        rest = &rest[at + 3..];
        if !macro_name {
            continue;
        }
        let arg = rest.trim_start();
        if let Some(quoted) = arg.strip_prefix('"') {
            if let Some(end) = quoted.find('"') {
                out.push(quoted[..end].to_string());
            }
        }
    }
    out
}

/// Every Rust file under `dir`.
fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a source folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

#[test]
fn every_message_is_in_both_languages_and_every_one_used_exists() {
    let [(_, nl), (_, en)] = lang::SOURCES;
    let (nl_ids, en_ids) = (lang::ids(nl), lang::ids(en));
    assert!(nl_ids.len() > 100, "the Dutch file's messages are found: {}", nl_ids.len());
    let only = |a: &[String], b: &[String]| a.iter().filter(|i| !b.contains(i)).cloned().collect::<Vec<_>>();
    assert_eq!(only(&nl_ids, &en_ids), Vec::<String>::new(), "in Dutch only");
    assert_eq!(only(&en_ids, &nl_ids), Vec::<String>::new(), "in English only");
    assert_eq!(nl_ids, en_ids, "the same order, so that the files can be read side by side");
    for id in &nl_ids {
        for l in [lang::Lang::Nl, lang::Lang::En] {
            assert!(lang::has(l, id), "{id} has no text in {l:?} (or the file does not parse)");
        }
    }
    let mut sources = String::new();
    for f in rust_files(&repo_file("server/src")) {
        // Without comments, whose examples name no real message.
        let text = std::fs::read_to_string(&f).expect("a source file");
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            sources += line;
            sources += "\n";
        }
    }
    let used = used_ids(&sources);
    assert!(used.len() > 100, "the t! calls are found: {}", used.len());
    let missing: Vec<&String> = used.iter().filter(|id| !nl_ids.contains(id)).collect();
    assert!(missing.is_empty(), "used in the source but in neither Fluent file: {missing:?}");
    // The help of commands and options is looked up by its path (`help.rs`); the rest by name.
    let unused: Vec<&String> = nl_ids
        .iter()
        .filter(|id| !id.starts_with("cmd-") && !id.starts_with("arg-"))
        .filter(|id| !sources.contains(&format!("\"{id}\"")))
        .collect();
    assert!(unused.is_empty(), "in the Fluent files but used nowhere: {unused:?}");
}

#[test]
fn every_command_and_option_has_its_help_in_both_languages() {
    let cmd = parlog_server::cli::command();
    for l in [lang::Lang::Nl, lang::Lang::En] {
        assert_eq!(help::missing(&cmd, l), Vec::<String>::new(), "without a help text in {l:?}");
    }
}

#[test]
fn the_command_line_speaks_dutch_by_default_and_english_when_asked() {
    let t = setup();
    let en = [("LANG", "en_US.UTF-8")];
    // Help and clap's own words.
    t.run(&["--help"]).success().stdout_has(&["Gebruik: parlog [OPTIES] <OPDRACHT>", "Opdrachten:", "Opties:", "Toon"]);
    t.run(&["--lang", "en", "--help"]).success().stdout_has(&["Usage: parlog [OPTIONS] <COMMAND>", "Commands:"]);
    t.run_env(t.data(), &["--help"], &en).success().stdout_has(&["Usage:", "Commands:", "Print help"]);
    t.run(&["log", "--help"]).success().stdout_has(&["Toon gebeurtenissen", "De eerste positie"]);
    t.run(&["frobnicate"]).code(2).stderr_has(&["fout: onbekende opdracht 'frobnicate'", "Gebruik:"]);
    t.run_env(t.data(), &["frobnicate"], &en).code(2).stderr_has(&["error: unknown command 'frobnicate'", "Usage:"]);
    // The CLI's own errors, with what to do.
    t.run(&["log"]).code(2).stderr_has(&["fout: geen parlog-datamap", "voer eerst `parlog init` uit"]);
    t.run(&["--lang", "en", "log"]).code(2).stderr_has(&["error: no parlog data folder", "run `parlog init`"]);
    t.run_env(t.data(), &["log"], &en).code(2).stderr_has(&["error: no parlog data folder"]);
    // LC_ALL goes before LANG, and --lang before both.
    t.run_env(t.data(), &["log"], &[("LANG", "en_US.UTF-8"), ("LC_ALL", "nl_NL.UTF-8")])
        .code(2)
        .stderr_has(&["fout: geen parlog-datamap"]);
    t.run_env(t.data(), &["--lang", "nl", "log"], &en).code(2).stderr_has(&["fout:"]);
    t.run_env(t.data(), &["log"], &[("LC_MESSAGES", "en_GB.UTF-8"), ("LANG", "nl_NL.UTF-8")])
        .code(2)
        .stderr_has(&["error:"]);
    t.run(&["--lang", "de", "log"]).code(2).stderr_has(&["--lang: expected nl or en, got \"de\""]);
    // Confirmations and tables.
    t.run(&["init"]).success().stdout_has(&["datamap gemaakt"]);
    t.run_env(t.data(), &["init"], &en).success().stdout_has(&["is a data folder already; nothing changed"]);
    t.ok(&["study", "create", "proef", "--name", "Proef"]);
    t.run(&["token", "list"]).success().stdout_has(&["nog geen tokens", "parlog token create"]);
    t.run_env(t.data(), &["token", "list"], &en).success().stdout_has(&["no tokens yet", "parlog token create"]);
    t.run(&["study", "list"])
        .success()
        .stdout_has(&["studie\tnaam\tgemeente\tstand\tbestanden", "proef\tProef\t\tactief"]);
    t.run(&["--lang", "en", "study", "list"])
        .success()
        .stdout_has(&["study\tname\tmunicipality\tstate\tfiles", "\tactive"]);
}

#[test]
fn views_and_reports_follow_the_command_line_language_and_json_does_not_change() {
    let t = setup_demo();
    let en = [("LANG", "en_US.UTF-8")];
    let nl_text = t.ok(&["project", "initiatives"]);
    assert!(nl_text.contains("route: kans"), "{nl_text}");
    let en_text = t.run_env(t.data(), &["project", "initiatives"], &en).success().stdout;
    assert!(en_text.contains("route: opportunity"), "the locale chooses the view's language too:\n{en_text}");
    // JSON is for scripts: the locale of whoever runs them does not change it; --lang does.
    let json = t.ok(&["project", "initiatives", "--json"]);
    assert_eq!(t.run_env(t.data(), &["project", "initiatives", "--json"], &en).success().stdout, json);
    let asked: Value = serde_json::from_str(&t.ok(&["project", "initiatives", "--json", "--lang", "en"])).unwrap();
    assert_ne!(asked, serde_json::from_str::<Value>(&json).unwrap(), "--lang en gives English labels in JSON");
    let retro = t.run_env(t.data(), &["retrospective"], &en).success().stdout;
    let nl_retro = t.ok(&["retrospective"]);
    assert_ne!(retro, nl_retro, "the retrospective follows the locale");
    assert_eq!(t.ok(&["retrospective", "--lang", "en"]), retro);
    // The statistics' labels are the command line's; their JSON is not.
    t.run(&["stats"]).success().stdout_has(&["gebeurtenissen:", "per soort:"]);
    t.run_env(t.data(), &["stats"], &en).success().stdout_has(&["events:", "by kind:"]);
    assert_eq!(t.run_env(t.data(), &["stats", "--json"], &en).success().stdout, t.ok(&["stats", "--json"]));
}
