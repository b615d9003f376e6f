//! Ships the stylesheets without their comments and without the whitespace
//! a browser does not need: `src/light.css` is compiled into both modules
//! (every visit downloads it), `src/app.css` into the app alone.

use std::path::Path;

fn main() {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    for name in ["light", "app"] {
        let source = format!("src/{name}.css");
        println!("cargo::rerun-if-changed={source}");
        let css = std::fs::read_to_string(&source)
            .unwrap_or_else(|e| panic!("reading first-paint/{source}: {e}"));
        std::fs::write(
            Path::new(&out).join(format!("{name}.min.css")),
            minify(&css),
        )
        .expect("writing the minified stylesheet");
    }
}

/// Drops `/* … */` comments, makes each run of whitespace one space, and
/// drops the spaces next to `{`, `}`, `;`, `,` and `>` and after `:`,
/// where CSS never needs them, the space before `!important` and the last
/// `;` of each block. (Spaces elsewhere can matter: `a :focus` is not
/// `a:focus`, `calc(1em - 2px)` needs both.) The stylesheet has no strings
/// that hold any of these.
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
    out.replace(";}", "}").replace(" !important", "!important")
}
