//! The web interface's files: the page loads native ES modules, and the service worker must keep
//! every file the page needs, or the page does not open offline. These tests follow the page's
//! references from `/` (its `src` and `href`, then every module's imports) over HTTP, and compare
//! what they reach with the list the worker keeps. The page links its icons and its web app
//! manifest, and the manifest its icons: the worker keeps those too.

use std::collections::BTreeSet;

use parlog_server::http::Limits;

use crate::api_support::{setup_with, Api, Log, Req};

/// The list `sw.js` keeps, from its `const SHELL = [...];` line.
async fn worker_list(api: &Api) -> BTreeSet<String> {
    let worker = api.send(Req::get("/sw.js")).await;
    worker.expect(200);
    assert!(worker.content_type().starts_with("text/javascript"), "sw.js: {}", worker.content_type());
    let text = worker.text();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("const SHELL = "))
        .unwrap_or_else(|| panic!("no SHELL in sw.js:\n{text}"));
    let list: Vec<String> = serde_json::from_str(line.trim_end_matches(';')).expect("SHELL is a JSON list of paths");
    let set: BTreeSet<String> = list.iter().cloned().collect();
    assert_eq!(set.len(), list.len(), "no path twice in {list:?}");
    set
}

/// The quoted values after each `marker` in `text` (up to the closing `quote`).
fn quoted_after<'a>(text: &'a str, marker: &str, quote: char) -> Vec<&'a str> {
    text.match_indices(marker).filter_map(|(at, _)| text[at + marker.len()..].split(quote).next()).collect()
}

/// `spec` (`./x.js`, `../y.js`) resolved against the module at `from` (`/js/forms/note.js`).
fn resolve(from: &str, spec: &str) -> String {
    let mut parts: Vec<&str> = from.split('/').filter(|p| !p.is_empty()).collect();
    parts.pop(); // the module's own file name
    for part in spec.split('/') {
        match part {
            "." | "" => {}
            ".." => assert!(parts.pop().is_some(), "{spec} in {from} leaves the site"),
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// The files `path` refers to: for the page its scripts, stylesheets, icons and manifest, for a
/// module its imports and re-exports (all relative: the page loads nothing from elsewhere), for
/// the manifest its icons.
fn references(path: &str, text: &str) -> Vec<String> {
    if path.ends_with(".webmanifest") {
        let manifest: serde_json::Value = serde_json::from_str(text).expect("the manifest is JSON");
        let icons = manifest["icons"].as_array().expect("the manifest lists icons");
        icons.iter().map(|i| i["src"].as_str().expect("an icon's src").to_string()).collect()
    } else if path.ends_with(".js") {
        let specs = [quoted_after(text, "from '", '\''), quoted_after(text, "import '", '\'')].concat();
        specs
            .into_iter()
            .map(|spec| {
                assert!(
                    spec.starts_with("./") || spec.starts_with("../"),
                    "{path} imports {spec:?}, not a file of this site"
                );
                resolve(path, spec)
            })
            .collect()
    } else if [".css", ".png", ".svg", ".ico"].iter().any(|ext| path.ends_with(ext)) {
        Vec::new()
    } else {
        [quoted_after(text, "src=\"", '"'), quoted_after(text, "href=\"", '"')]
            .concat()
            .into_iter()
            .filter(|r| r.starts_with('/'))
            .map(str::to_string)
            .collect()
    }
}

/// Every path the page reaches from `/`, each fetched once and checked for its type.
async fn reachable(api: &Api) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec!["/".to_string()];
    while let Some(path) = todo.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let resp = api.send(Req::get(&path)).await;
        resp.expect(200);
        let ty = match path.rsplit_once('.').map(|(_, ext)| ext) {
            Some("js") => "text/javascript",
            Some("css") => "text/css",
            Some("webmanifest") => "application/manifest+json",
            Some("png") => "image/png",
            Some("svg") => "image/svg+xml",
            Some("ico") => "image/x-icon",
            _ => "text/html",
        };
        assert!(resp.content_type().starts_with(ty), "{path}: {} is not {ty}", resp.content_type());
        assert!(!resp.body.is_empty(), "{path} is empty");
        todo.extend(references(&path, &resp.text()));
    }
    seen
}

#[tokio::test]
async fn the_service_worker_keeps_exactly_the_files_the_page_loads() {
    let api = setup_with(Log::Small, Limits::default());
    let page = api.send(Req::get("/")).await;
    assert!(
        page.text().contains(r#"<script type="module" src="/js/main.js">"#),
        "the page starts its modules: {}",
        page.text()
    );
    let reached = reachable(&api).await;
    assert!(reached.len() > 10, "the page is made of modules: {reached:?}");
    let kept = worker_list(&api).await;
    let missing: Vec<_> = reached.difference(&kept).collect();
    let extra: Vec<_> = kept.difference(&reached).collect();
    assert!(
        missing.is_empty(),
        "the page loads files the service worker does not keep (offline it breaks): {missing:?}"
    );
    assert!(extra.is_empty(), "the service worker keeps files the page does not load: {extra:?}");
}

/// `/favicon.ico` was a 404, and without a manifest a phone could not add the page to its home
/// screen as an app: the icon, the manifest's fields a browser needs for that, and its icons
/// (PNG of the sizes it says, one maskable) are served.
#[tokio::test]
async fn the_page_can_be_added_to_a_home_screen() {
    let api = setup_with(Log::Small, Limits::default());
    let icon = api.send(Req::get("/favicon.ico")).await;
    icon.expect(200);
    assert_eq!(icon.content_type(), "image/x-icon");
    assert_eq!(&icon.body[..4], &[0, 0, 1, 0], "an ICO file's header");

    let page = api.send(Req::get("/")).await.text();
    for link in [
        r#"<link rel="manifest" href="/manifest.webmanifest">"#,
        r#"<link rel="icon" href="/favicon.ico""#,
        r#"<link rel="apple-touch-icon" href="/icons/apple-touch-icon.png">"#,
    ] {
        assert!(page.contains(link), "the page links {link}");
    }
    let resp = api.send(Req::get("/manifest.webmanifest")).await;
    resp.expect(200);
    let m = resp.json();
    for (field, want) in [("start_url", "/"), ("display", "standalone"), ("lang", "nl"), ("short_name", "parlog")] {
        assert_eq!(m[field], want, "manifest {field}: {m}");
    }
    assert!(m["name"].as_str().is_some_and(|n| n.starts_with("parlog")), "manifest name: {m}");
    assert!(page.contains(&format!(r#"<meta name="theme-color" content="{}">"#, m["theme_color"].as_str().unwrap())));
    let icons = m["icons"].as_array().expect("icons");
    assert!(icons.iter().any(|i| i["purpose"] == "maskable"), "a maskable icon: {icons:?}");
    for i in icons.iter().filter(|i| i["type"] == "image/png") {
        let src = i["src"].as_str().unwrap();
        let png = api.send(Req::get(src)).await;
        png.expect(200);
        assert_eq!(&png.body[..8], b"\x89PNG\r\n\x1a\n", "{src} is a PNG");
        let (w, h) = (
            u32::from_be_bytes(png.body[16..20].try_into().unwrap()),
            u32::from_be_bytes(png.body[20..24].try_into().unwrap()),
        );
        assert_eq!(i["sizes"].as_str().unwrap(), format!("{w}x{h}"), "{src}: the size the manifest says");
    }
    for size in [192, 512] {
        assert!(icons.iter().any(|i| i["sizes"] == format!("{size}x{size}")), "a {size} px icon: {icons:?}");
    }
}

#[tokio::test]
async fn a_file_outside_the_table_is_not_found() {
    let api = setup_with(Log::Small, Limits::default());
    for path in ["/app.js", "/js/nope.js", "/js/../index.html"] {
        let resp = api.send(Req::get(path)).await;
        assert_eq!(resp.status.as_u16(), 404, "{path}: {}", resp.what);
    }
}

#[test]
fn module_paths_resolve_like_a_browser() {
    for (from, spec, want) in [
        ("/js/main.js", "./state.js", "/js/state.js"),
        ("/js/forms/note.js", "../outbox.js", "/js/outbox.js"),
        ("/js/forms/index.js", "./note.js", "/js/forms/note.js"),
        ("/js/views/projection.js", "./parts.js", "/js/views/parts.js"),
    ] {
        assert_eq!(resolve(from, spec), want, "{spec} from {from}");
    }
}
