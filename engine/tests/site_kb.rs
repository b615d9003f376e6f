//! The real knowledge bases in `kb/` must load. Answer quality is measured
//! with `cargo xtask bench` (or `cargo run -p varco-engine --example kb --
//! bench kb/<site>`), not asserted here.

use std::path::Path;
use varco_engine::KnowledgeBase;

#[test]
fn site_knowledge_bases_load() {
    for site in ["milomb", "calvatone"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../kb")
            .join(site);
        if !dir.join("topics.toml").exists() {
            println!("note: {} is absent, skipping", dir.display());
            continue;
        }
        match KnowledgeBase::load(&dir) {
            Ok(kb) => {
                assert!(!kb.entries().is_empty());
                // Every answer carries a topic of this knowledge base.
                let a = kb.answer("buongiorno");
                assert!(kb.topics().iter().any(|t| t.id == a.topic), "{site}: {a:?}");
            }
            Err(errors) => {
                let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                panic!(
                    "kb/{site} has {} problem(s):\n{}",
                    list.len(),
                    list.join("\n")
                );
            }
        }
    }
}
