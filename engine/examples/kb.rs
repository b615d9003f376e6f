//! Tuning helper for the answering engine.
//!
//! ```text
//! cargo run -p varco-engine --example kb -- check kb/milomb
//! cargo run -p varco-engine --example kb -- ask kb/milomb "come faccio lo spid"
//! cargo run -p varco-engine --example kb -- bench kb/milomb [--misses]
//! cargo run -p varco-engine --example kb -- time kb/milomb
//! ```
//!
//! `bench` reads the site's `questions.jsonl` and prints the
//! [`bench::Report`] figures (with `--misses`, every wrong answer and the
//! best entries' signals); `ask` prints the answer and its explanation.

use std::path::Path;
use std::process::ExitCode;
use varco_engine::{bench, KnowledgeBase};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(command), Some(dir)) = (args.first(), args.get(1)) else {
        eprintln!("usage: kb check|ask|bench|time DIR [[--en] QUESTION|--misses]");
        return ExitCode::FAILURE;
    };
    let kb = match KnowledgeBase::load(Path::new(dir)) {
        Ok(kb) => kb,
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            return ExitCode::FAILURE;
        }
    };
    match command.as_str() {
        "check" => println!(
            "ok: {} topics, {} entries",
            kb.topics().len(),
            kb.entries().len()
        ),
        "time" => {
            // Per-question timing of a few typical shapes.
            for q in [
                "spid",
                "come faccio ad avere lo spid",
                "fimra digitale",
                "ricetta della carbonara",
                "sono camionista e la mia carta scade il mese prossimo",
            ] {
                // The fastest of several rounds: the machine is shared, and
                // the slow rounds measure the neighbours.
                let best = (0..20)
                    .map(|_| {
                        let started = std::time::Instant::now();
                        for _ in 0..10 {
                            std::hint::black_box(kb.answer(q));
                        }
                        started.elapsed().as_secs_f64() * 100.0
                    })
                    .fold(f64::MAX, f64::min);
                println!("{best:8.3} ms  {q}");
            }
        }
        "ask" => {
            // `ask DIR [--en] QUESTION`: with `--en`, as asked from an English page.
            let english = args.get(2).is_some_and(|a| a == "--en");
            let question = args[2 + usize::from(english)..].join(" ");
            let answer = if english {
                kb.answer_in(&question, "en")
            } else {
                kb.answer(&question)
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&answer).expect("serialisable")
            );
            println!(
                "{}",
                serde_json::to_string_pretty(&kb.explain(&question, 5)).expect("serialisable")
            );
        }
        "bench" => {
            // `bench DIR [FILE] [--en] [--misses]`: the site's questions.jsonl by default.
            let path = args.get(2).filter(|a| !a.starts_with("--")).map_or_else(
                || Path::new(dir).join("questions.jsonl"),
                |f| Path::new(f).to_owned(),
            );
            let language = if args.iter().any(|a| a == "--en") {
                "en"
            } else {
                "it"
            };
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) => {
                    eprintln!("{}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
            };
            let questions = match bench::read_jsonl(&text) {
                Ok(q) => q,
                Err(e) => {
                    eprintln!("{}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
            };
            let started = std::time::Instant::now();
            let report = bench::score_in(&kb, &questions, language);
            let elapsed = started.elapsed();
            if args.iter().any(|a| a == "--misses") {
                for m in &report.misses {
                    let top = kb.explain(&m.q, 3);
                    let best: Vec<String> = top
                        .top
                        .iter()
                        .map(|s| {
                            format!(
                                "{}({:.2}: l{:.2} q{:.2} t{:.2})",
                                s.entry_id, s.score, s.lexical, s.question, s.trigram
                            )
                        })
                        .collect();
                    println!(
                        "{:<18} -> {:<18} {:.2}  {}\n      {}  {:?}",
                        m.expected,
                        m.got,
                        m.confidence,
                        m.q,
                        best.join(" "),
                        top.corrections
                    );
                }
            }
            // How well `confident` separates right from wrong answers.
            let mut table = [[0usize; 2]; 2];
            for item in &questions {
                let a = kb.answer_in(&item.q, language);
                table[usize::from(a.confident)][usize::from(a.topic == item.topic)] += 1;
            }
            println!(
                "confident: {} right, {} wrong; not confident: {} right, {} wrong",
                table[1][1], table[1][0], table[0][1], table[0][0]
            );
            println!(
                "total {}  top1 {:.3}  oos precision {:.3}  oos recall {:.3}  ({:.3} ms/question)",
                report.total,
                report.top1_accuracy,
                report.out_of_scope_precision,
                report.out_of_scope_recall,
                elapsed.as_secs_f64() * 1000.0 / report.total.max(1) as f64
            );
        }
        other => {
            eprintln!("unknown command {other}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
