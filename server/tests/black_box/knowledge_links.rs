//! The knowledge bases say only what exists (issue 21): every link of every
//! answer of the demo's sites, under it or inside its text, leads to a page
//! that is there, on the site it answers for, or to a public body's site
//! over https; and no answer offers a service its site's configuration
//! does not (appointments, the live chat, the booking e-mail).

use std::path::{Path, PathBuf};
use varco_engine::KnowledgeBase;
use varco_server::config::Config;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The public bodies' sites the answers may send a visitor to. A new one is
/// added here on purpose, after checking that it is the body's own.
const PUBLIC_SITES: &[&str] = &[
    "www.registroimprese.it",
    "www.poliziadistato.it",
    "www.inps.it",
    "www.inail.it",
    "www.anagrafenazionale.interno.it",
    "www.agenziaentrate.gov.it",
    "www.ilportaledellautomobilista.it",
    "www.regione.lombardia.it",
    "www.impresainungiorno.gov.it",
    "dirittoannuale.camcom.it",
    "www.trenord.it",
    "www.albonazionalegestoriambientali.it",
    "www.cartaidentita.interno.gov.it",
    "www.giustizia.it",
    "www.adm.gov.it",
    "www.ispettorato.gov.it",
    "www.arpalombardia.it",
    "www.comune.milano.it",
    "impresa.italia.it",
    "www.indicepa.gov.it",
    "www.interno.gov.it",
    "www.prefettura.it",
    "www.cittametropolitana.mi.it",
    "www.provincia.cremona.it",
    "www.agenziaentrateriscossione.gov.it",
    "www.istruzione.it",
    "www.spid.gov.it",
    "vistoperitalia.esteri.it",
    "www.arera.it",
    "www.notariato.it",
    "www.poste.it",
    "www.ats-valpadana.it",
    "www.agcom.it",
    "www.esteri.it",
    "www.vigilfuoco.it",
    "www.cultura.gov.it",
    "www.agenziapo.it",
    "www.parcoogliosud.it",
    "www.bancaditalia.it",
    "www.garanteprivacy.it",
    "www.agcm.it",
    "www.enac.gov.it",
    "www.gdf.gov.it",
    "www.ivass.it",
    "www.siae.it",
];

/// The targets of the markdown links `[text](target)` in `text`.
fn markdown_targets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        let end = rest.find(')').unwrap_or(rest.len());
        let target = rest[..end].split_whitespace().next().unwrap_or("");
        out.push(target.to_owned());
        rest = &rest[end..];
    }
    out
}

/// What is wrong with `url` in an answer of `site`, if anything.
fn problem(site: &str, url: &str) -> Option<String> {
    if let Some(address) = url.strip_prefix("mailto:") {
        return varco_core::booking::check_email(address)
            .err()
            .map(|_| format!("{url}: not an e-mail address"));
    }
    if url.starts_with("tel:") {
        return None;
    }
    if let Some(rest) = url.strip_prefix("https://") {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        return (!PUBLIC_SITES.contains(&host))
            .then(|| format!("{url}: {host} is not among the public bodies' sites"));
    }
    if url.starts_with("http://") {
        return Some(format!("{url}: not https"));
    }
    let path = url.split(['?', '#']).next().unwrap_or("");
    let own = format!("/demo-site/{site}/");
    if !path.starts_with(&own) {
        return Some(format!("{url}: not a page of this site ({own}...)"));
    }
    let file = root().join(path.trim_start_matches('/'));
    (!file.is_file()).then(|| format!("{url}: {} does not exist", file.display()))
}

#[test]
fn every_answer_links_only_to_what_exists_and_offers_only_what_its_site_has() {
    let config = Config::load(&root().join("server/varco.toml")).unwrap();
    let mut problems = Vec::new();
    let mut links = 0;
    for site in &config.sites {
        let Some(dir) = &site.kb else { continue };
        let kb = KnowledgeBase::load(dir).unwrap_or_else(|e| panic!("{}: {e:?}", dir.display()));
        // Each answer as Italian and as English visitors read it.
        for entry in kb.entries().iter().chain(kb.english_entries()) {
            let mut targets: Vec<String> = entry.links.iter().map(|l| l.url.clone()).collect();
            targets.extend(markdown_targets(&entry.answer));
            for url in targets {
                links += 1;
                if let Some(p) = problem(&site.id, &url) {
                    problems.push(format!("{}/{}: {p}", site.id, entry.id));
                }
            }
            let text = entry.answer.to_lowercase();
            let offers = [
                (
                    site.appointments.is_none() && entry.topic == "appuntamenti",
                    "answers about booking, which the site does not take",
                ),
                (
                    site.live_chat.is_none()
                        && (text.contains("parla con un operatore")
                            || text.contains("talk to an operator")),
                    "offers the live chat, which the site does not have",
                ),
                (
                    config.mail.is_none()
                        && (text.contains("e-mail di conferma")
                            || text.contains("confirmation e-mail")),
                    "promises an e-mail, which the server does not send",
                ),
            ];
            for (wrong, what) in offers {
                if wrong {
                    problems.push(format!("{}/{}: {what}", site.id, entry.id));
                }
            }
        }
    }
    assert!(
        links > 100,
        "only {links} links read: is the knowledge base there?"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_finds_what_does_not_exist() {
    assert_eq!(problem("milomb", "/demo-site/milomb/index.html"), None);
    assert!(problem("milomb", "/demo-site/milomb/non-esiste.html").is_some());
    assert!(problem("milomb", "/demo-site/calvatone/index.html").is_some());
    assert!(problem("milomb", "http://www.inps.it").is_some());
    assert!(problem("milomb", "https://www.inps.example/").is_some());
    assert_eq!(problem("milomb", "https://www.inps.it/prestazioni"), None);
    assert!(problem("milomb", "mailto:urp").is_some());
    assert_eq!(
        markdown_targets("Vedi [la pagina](/a.html) e [questa](https://x.it \"t\")."),
        ["/a.html", "https://x.it"]
    );
}
