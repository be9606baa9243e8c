//! clap in the command line's language: every command's and option's help from the Fluent
//! files, clap's headings and the notes it adds (defaults, environment variables, possible
//! values), and its parse errors.
//!
//! The texts are not in the derive attributes: a command's help is the message `cmd-<path>`
//! (`cmd-parlog` for the top, `cmd-token-create` for `parlog token create`), its long help the
//! attribute `.long`, and each option's help the attribute named after the option's id
//! (`cmd-token-create.participant`); options given to every command (`--data`, `--lang` …) are
//! those of `cmd-parlog`. `missing` lists what has no text, for the test that nothing does.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, Command};

use super::lang::{self, Lang};

/// The message id of the command at `path` (its names below `parlog`).
fn command_id(path: &[&str]) -> String {
    match path {
        [] => "cmd-parlog".into(),
        p => format!("cmd-{}", p.join("-")),
    }
}

/// The help of an option of the command `id`, in `lang`: its own, or for an option given to every
/// command, the top's; clap's `--help` and `--version` have one of their own.
fn arg_text(lang: Lang, id: &str, arg: &Arg) -> Option<String> {
    let name = arg.get_id().as_str();
    match name {
        "help" | "version" => lang::text_in(lang, &format!("arg-{name}"), None),
        _ => lang::text_in(lang, &format!("{id}.{name}"), None).or_else(|| {
            arg.is_global_set().then(|| lang::text_in(lang, &format!("cmd-parlog.{name}"), None)).flatten()
        }),
    }
}

/// The command tree with its texts in the command line's language. `cmd` is built
/// (`Command::build`), so that the options clap adds and those given to every command are there.
pub fn localise(cmd: Command) -> Command {
    localise_at(cmd, &mut Vec::new())
}

fn localise_at(mut cmd: Command, path: &mut Vec<String>) -> Command {
    let lang = lang::current();
    let names: Vec<&str> = path.iter().map(String::as_str).collect();
    let is_help = names.last() == Some(&"help");
    let id = if is_help { "cmd-help".to_string() } else { command_id(&names) };
    if let Some(about) = lang::text_in(lang, &id, None) {
        cmd = cmd.about(about);
    }
    cmd = match lang::text_in(lang, &format!("{id}.long"), None) {
        Some(long) => cmd.long_about(long),
        None => cmd.long_about(None),
    };
    cmd = cmd.subcommand_help_heading(t!("help-commands")).subcommand_value_name(t!("help-command-value"));
    cmd = cmd.mut_args(|a| localise_arg(a, lang, &id));
    // `parlog help …` holds a copy of the tree only to name commands; its texts are not shown.
    if is_help {
        return cmd;
    }
    cmd.mut_subcommands(|sub| {
        path.push(sub.get_name().to_string());
        let sub = localise_at(sub, path);
        path.pop();
        sub
    })
}

fn localise_arg(mut a: Arg, lang: Lang, id: &str) -> Arg {
    let mut help = arg_text(lang, id, &a).unwrap_or_default();
    let takes_value = a.get_action().takes_values();
    if let Some(env) = a.get_env().filter(|_| !a.is_hide_env_set()) {
        help += &format!(" {}", t!("help-env", name = env.to_string_lossy().into_owned()));
        a = a.hide_env(true);
    }
    let defaults: Vec<String> = a.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect();
    if takes_value && !defaults.is_empty() && !a.is_hide_default_value_set() {
        help += &format!(" {}", t!("help-default", value = defaults.join(", ")));
        a = a.hide_default_value(true);
    }
    let values: Vec<String> = a.get_possible_values().iter().map(|v| v.get_name().to_string()).collect();
    if takes_value && !values.is_empty() && !a.is_hide_possible_values_set() {
        help += &format!(" {}", t!("help-values", values = values.join(", ")));
        a = a.hide_possible_values(true);
    }
    let heading = if a.is_positional() { t!("help-arguments") } else { t!("help-options") };
    a.help(help).long_help(None).help_heading(heading)
}

/// The commands and options without a text in `lang` (by message id), over the whole tree.
pub fn missing(cmd: &Command, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    missing_at(cmd, lang, &mut Vec::new(), &mut out);
    out
}

fn missing_at(cmd: &Command, lang: Lang, path: &mut Vec<String>, out: &mut Vec<String>) {
    let names: Vec<&str> = path.iter().map(String::as_str).collect();
    let is_help = names.last() == Some(&"help");
    let id = if is_help { "cmd-help".to_string() } else { command_id(&names) };
    if lang::text_in(lang, &id, None).is_none() {
        out.push(id.clone());
    }
    for a in cmd.get_arguments() {
        if arg_text(lang, &id, a).is_none() {
            out.push(format!("{id}.{}", a.get_id()));
        }
    }
    if is_help {
        return;
    }
    for sub in cmd.get_subcommands() {
        path.push(sub.get_name().to_string());
        missing_at(sub, lang, path, out);
        path.pop();
    }
}

/// What clap wrote in English and the command line says in its language: the usage line's
/// heading and placeholders (in help and in errors).
fn localise_rendered(text: &str) -> String {
    text.replace("Usage:", &t!("help-usage")).replace("[OPTIONS]", &t!("help-options-value"))
}

/// Writes clap's answer (help, version, or a parse error in the command line's language) and
/// returns the exit code: 0 for help and version, 2 for bad usage.
pub fn report(e: &clap::Error) -> i32 {
    use std::io::Write;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let text = localise_rendered(&rendered(e));
            let _ = std::io::stdout().write_all(text.as_bytes());
            0
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let text = localise_rendered(&rendered(e));
            let _ = std::io::stderr().write_all(text.as_bytes());
            2
        }
        _ => {
            let _ = std::io::stderr().write_all(message(e).as_bytes());
            if e.use_stderr() {
                2
            } else {
                0
            }
        }
    }
}

/// clap's own rendering, with colours when the stream it goes to is a terminal.
fn rendered(e: &clap::Error) -> String {
    let styled = e.render();
    let terminal = match e.use_stderr() {
        true => std::io::IsTerminal::is_terminal(&std::io::stderr()),
        false => std::io::IsTerminal::is_terminal(&std::io::stdout()),
    };
    match terminal {
        true => styled.ansi().to_string(),
        false => styled.to_string(),
    }
}

fn string(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => Some(v.join(", ")),
        Some(ContextValue::StyledStr(s)) => Some(s.to_string()),
        Some(ContextValue::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn strings(e: &clap::Error, kind: ContextKind) -> Vec<String> {
    match e.get(kind) {
        Some(ContextValue::Strings(v)) => v.clone(),
        Some(ContextValue::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// A parse error as the command line says it: what is wrong, a suggestion, the usage, where to
/// read more.
fn message(e: &clap::Error) -> String {
    let arg = || string(e, ContextKind::InvalidArg).unwrap_or_default();
    let value = || string(e, ContextKind::InvalidValue).unwrap_or_default();
    let what = match e.kind() {
        ErrorKind::InvalidValue if value().is_empty() => Some(t!("clap-value-missing", arg = arg())),
        ErrorKind::InvalidValue => {
            let mut m = t!("clap-value-invalid", value = value(), arg = arg());
            let valid = strings(e, ContextKind::ValidValue);
            if !valid.is_empty() {
                m += &t!("clap-values", values = valid.join(", "));
            }
            Some(m)
        }
        ErrorKind::ValueValidation => {
            let why = std::error::Error::source(e).map(|s| s.to_string()).unwrap_or_default();
            Some(t!("clap-value-refused", value = value(), arg = arg(), why = why))
        }
        ErrorKind::UnknownArgument => Some(t!("clap-unknown-argument", arg = arg())),
        ErrorKind::InvalidSubcommand => {
            Some(t!("clap-unknown-command", command = string(e, ContextKind::InvalidSubcommand).unwrap_or_default()))
        }
        ErrorKind::MissingRequiredArgument => {
            Some(t!("clap-missing", args = strings(e, ContextKind::InvalidArg).join(", ")))
        }
        ErrorKind::MissingSubcommand => Some(t!(
            "clap-missing-command",
            command = string(e, ContextKind::InvalidSubcommand).unwrap_or_default(),
            commands = strings(e, ContextKind::ValidSubcommand).join(", ")
        )),
        ErrorKind::ArgumentConflict => match string(e, ContextKind::PriorArg) {
            Some(prior) if prior != arg() => Some(t!("clap-conflict", arg = arg(), other = prior)),
            Some(_) => Some(t!("clap-repeated", arg = arg())),
            None => None,
        },
        ErrorKind::TooManyValues => Some(t!("clap-too-many", value = value(), arg = arg())),
        ErrorKind::NoEquals => Some(t!("clap-no-equals", arg = arg())),
        _ => None,
    };
    let Some(what) = what else {
        // A kind this file does not word: clap's English, under the command line's "error:".
        return localise_rendered(&e.render().to_string()).replacen("error:", &t!("error-prefix"), 1);
    };
    let mut out = format!("{} {what}\n", t!("error-prefix"));
    for kind in [ContextKind::SuggestedSubcommand, ContextKind::SuggestedArg, ContextKind::SuggestedValue] {
        let similar = strings(e, kind);
        if !similar.is_empty() {
            let quoted: Vec<String> = similar.iter().map(|s| format!("'{s}'")).collect();
            out += &format!("\n  {}\n", t!("clap-did-you-mean", similar = quoted.join(", ")));
        }
    }
    if let Some(usage) = string(e, ContextKind::Usage) {
        out += &format!("\n{}\n", localise_rendered(&usage));
    }
    out += &format!("\n{}\n", t!("clap-more", help = "--help"));
    out
}
