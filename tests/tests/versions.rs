//! One version: the Cargo workspace's. Every manifest that cannot read Cargo.toml (Maven,
//! Gradle, npm) and the changelog must say the same (`scripts/set-version.sh` writes them);
//! and the declared license is the one in LICENSE.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn workspace_version() -> String {
    let cargo = read("Cargo.toml");
    let section = cargo.split("[workspace.package]").nth(1).expect("[workspace.package]");
    let line = section.lines().find(|l| l.starts_with("version = ")).expect("a workspace version");
    line.trim_start_matches("version = ").trim_matches('"').to_owned()
}

/// The `<version>` right after `<artifactId>{artifact}</artifactId>` in a pom.
fn pom_version(pom: &str, artifact: &str) -> String {
    let text = read(pom);
    let after = text
        .split(&format!("<artifactId>{artifact}</artifactId>"))
        .nth(1)
        .unwrap_or_else(|| panic!("{pom}: no {artifact}"));
    let start = after.find("<version>").expect("a version") + "<version>".len();
    after[start..].split("</version>").next().unwrap().trim().to_owned()
}

#[test]
fn every_manifest_has_the_workspace_version() {
    let version = workspace_version();
    assert_eq!(env!("CARGO_PKG_VERSION"), version, "crates inherit the workspace version");
    assert_eq!(pom_version("bindings/kotlin/pom.xml", "authcloud"), version, "the Maven artifact");
    for consumer in ["examples/kotlin/pom.xml", "examples/web-kotlin/pom.xml", "examples/java/pom.xml"] {
        if repo().join(consumer).exists() {
            assert_eq!(pom_version(consumer, "authcloud"), version, "{consumer} depends on this version");
        }
    }
    assert!(read("bindings/kotlin/android/build.gradle.kts").contains(&format!("version = \"{version}\"")), "the AAR");
    assert!(read("web/package.json").contains(&format!("\"version\": \"{version}\"")), "the npm package");
    assert!(read("CHANGELOG.md").contains(&format!("## [{version}]")), "a changelog entry");
    assert!(read("bindings/swift/README.md").contains(&format!("Version {version} ")), "the Swift package docs");
    // The Python wheel's version is dynamic: maturin reads it from the Cargo manifest.
    assert!(read("bindings/python/pyproject.toml").contains("dynamic = [\"version\"]"));
}

#[test]
fn the_declared_license_is_the_one_shipped() {
    let license = read("LICENSE");
    assert!(license.contains("Apache License") && license.contains("Version 2.0, January 2004"));
    assert!(read("Cargo.toml").contains("license = \"Apache-2.0\""));
    assert!(read("bindings/python/pyproject.toml").contains("Apache-2.0"));
    assert!(read("web/package.json").contains("\"license\": \"Apache-2.0\""));
}
