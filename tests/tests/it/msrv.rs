//! The workspace's `rust-version` is the true minimum: no locked dependency declares a newer one.
//!
//! Only one Rust toolchain is at hand where the suite runs (none other can be fetched), so the
//! declared versions are the honest check: each package in Cargo.lock says in its manifest which
//! Rust it needs (`rust-version`), and the workspace must declare at least the highest of them. Our
//! own code is held to the declared version by clippy's `incompatible_msrv` lint (on by default,
//! and `-D warnings` in scripts/test.sh), which names any standard library item stabilised after
//! it; the members inherit it (`rust-version.workspace = true`) so that the lint sees it.

use std::process::Command;

use serde_json::Value;

use super::cli_support::workspace;

/// `1.89`, `1.89.0` → (1, 89, 0).
fn version(v: &str) -> (u64, u64, u64) {
    let mut parts = v.split('.').map(|p| p.parse::<u64>().unwrap_or_else(|_| panic!("not a Rust version: {v:?}")));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

#[test]
fn no_locked_dependency_declares_a_newer_rust_than_the_workspace() {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(workspace())
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "cargo metadata failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata gives JSON");
    let members: Vec<&str> =
        meta["workspace_members"].as_array().expect("workspace members").iter().filter_map(Value::as_str).collect();
    let packages = meta["packages"].as_array().expect("packages");
    let (ours, locked): (Vec<&Value>, Vec<&Value>) =
        packages.iter().partition(|p| members.contains(&p["id"].as_str().unwrap_or("")));
    let declared: Vec<(&str, Option<&str>)> =
        ours.iter().map(|p| (p["name"].as_str().unwrap(), p["rust_version"].as_str())).collect();
    let Some((_, Some(workspace_version))) = declared.first().copied() else {
        panic!("the workspace declares no rust-version: {declared:?}")
    };
    for (name, v) in &declared {
        assert_eq!(
            *v,
            Some(workspace_version),
            "{name} inherits the workspace's rust-version (rust-version.workspace = true)"
        );
    }
    let newer: Vec<String> = locked
        .iter()
        .filter_map(|p| {
            let v = p["rust_version"].as_str()?;
            (version(v) > version(workspace_version)).then(|| format!("{} {} needs Rust {v}", p["name"], p["version"]))
        })
        .collect();
    assert!(
        newer.is_empty(),
        "Cargo.toml declares rust-version = \"{workspace_version}\", but locked dependencies need more: {newer:#?}; \
         raise rust-version to the highest of them"
    );
    // And no lower than needed: the highest a dependency declares is the workspace's.
    let highest = locked.iter().filter_map(|p| p["rust_version"].as_str()).max_by_key(|v| version(v)).unwrap_or("0");
    assert_eq!(
        version(highest),
        version(workspace_version),
        "rust-version {workspace_version} is higher than any locked dependency needs ({highest}); say why in Cargo.toml, or lower it"
    );
}
