//! What `cargo xtask release` ships for the sysadmin holds together.

#[test]
fn the_release_archives_example_configuration_is_valid() {
    let file =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/varco.example.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let config = varco_server::config::Config::parse(&text, std::path::Path::new("/etc/varco"))
        .unwrap_or_else(|e| panic!("{}: {e:#}", file.display()));
    assert_eq!(
        config.server.database,
        varco_server::config::Database::Sqlite("/var/lib/varco/varco.db".into())
    );
    assert_eq!(config.server.trusted_proxies, ["127.0.0.1"]);
}
