//! The desktop app's security settings, checked from its own config files:
//! customer text is hostile, so the page may load nothing remote, run no
//! inline script, and reach no more IPC than the capability files grant.
//! Loosening any of these fails this test on purpose.

use std::collections::BTreeMap;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn json(path: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `directive -> sources` of a CSP string.
fn csp(policy: &str) -> BTreeMap<String, Vec<String>> {
    policy
        .split(';')
        .filter_map(|d| {
            let mut parts = d.split_whitespace();
            let name = parts.next()?.to_ascii_lowercase();
            Some((name, parts.map(str::to_owned).collect()))
        })
        .collect()
}

#[test]
fn the_content_security_policy_is_strict() {
    let conf = json("tauri.conf.json");
    let policy = conf["app"]["security"]["csp"]
        .as_str()
        .expect("a CSP string is set (Tauri then injects nonces for its own scripts)");
    let csp = csp(policy);
    assert_eq!(csp.get("default-src"), Some(&vec!["'self'".to_owned()]));
    assert_eq!(csp.get("script-src"), Some(&vec!["'self'".to_owned()]));
    assert_eq!(csp.get("object-src"), Some(&vec!["'none'".to_owned()]));
    assert_eq!(csp.get("frame-ancestors"), Some(&vec!["'none'".to_owned()]));
    for (directive, sources) in &csp {
        for s in sources {
            assert!(
                !s.contains("unsafe-inline") && !s.contains("unsafe-eval") && s != "*",
                "{directive} allows {s}"
            );
            let remote = s.starts_with("http:")
                || s.starts_with("https:")
                || s.starts_with("ws:")
                || s.starts_with("wss:");
            assert!(
                !remote || s == "http://ipc.localhost",
                "{directive} allows the remote origin {s}: the page talks to the server only through the Rust core"
            );
        }
    }
}

#[test]
fn the_page_gets_no_global_api_and_only_granted_capabilities() {
    let conf = json("tauri.conf.json");
    assert_eq!(
        conf["app"]["withGlobalTauri"],
        serde_json::Value::Bool(false)
    );
    assert_eq!(
        conf["build"]["frontendDist"], "ui/dist",
        "the built UI is embedded"
    );
    assert!(
        conf["build"].get("devUrl").is_none(),
        "no dev server URL: every build embeds ui/dist"
    );
    let dir = root().join("src-tauri/capabilities");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("capabilities folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        let cap: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).expect("read"))
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(
            cap["windows"],
            serde_json::json!(["main"]),
            "{}",
            file.display()
        );
        assert!(
            cap.get("remote").is_none(),
            "{}: no remote origin gets IPC",
            file.display()
        );
        for p in cap["permissions"].as_array().expect("permissions") {
            let p = p.as_str().unwrap_or_default();
            // Listening to the core's events and the app's own commands, one
            // by one: no window/webview/path APIs, no shell, fs, http,
            // opener or deep-link plugin commands for a page that renders
            // customer text.
            assert!(
                p == "core:event:allow-listen"
                    || p == "core:event:allow-unlisten"
                    || (p.starts_with("allow-") && !p.contains(':')),
                "{}: unexpected permission {p}",
                file.display()
            );
        }
    }
}
