//! Ships `src/widget.css` without its comments and without the whitespace
//! a browser does not need: the stylesheet is compiled into both modules,
//! and every first visit downloads the first one before the banner.

use std::path::Path;

fn main() {
    let source = "src/widget.css";
    println!("cargo::rerun-if-changed={source}");
    let css = std::fs::read_to_string(source).expect("reading first-paint/src/widget.css");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out).join("widget.min.css"), minify(&css))
        .expect("writing the minified stylesheet");
}

/// Drops `/* … */` comments, makes each run of whitespace one space, and
/// drops the spaces next to `{`, `}`, `;`, `,` and `>` and after `:`,
/// where CSS never needs them. (Spaces elsewhere can matter: `a :focus` is
/// not `a:focus`, `calc(1em - 2px)` needs both.) The stylesheet has no
/// strings that hold any of these.
fn minify(css: &str) -> String {
    let mut text = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        text.push_str(&rest[..start]);
        text.push(' ');
        rest = match rest[start + 2..].find("*/") {
            Some(end) => &rest[start + 2 + end + 2..],
            None => "",
        };
    }
    text.push_str(rest);
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        let glued = out.chars().last().is_none_or(|c| "{};,>:".contains(c))
            || word.starts_with(|c| "{};,>".contains(c));
        if !glued {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}
