//! The markdown subset of the assistant's answers, parsed into a tree that
//! the widget turns into DOM nodes. There is no HTML anywhere on this path:
//! `<b>` in an answer is text, and a link whose scheme is not allowed is
//! text too.
//!
//! Supported: paragraphs (blank-line separated), `**bold**`, `*italic*` and
//! `_italic_`, `-`/`*` bullet lists and `1.` numbered lists, `[text](url)`
//! links, hard line breaks inside a paragraph. Anything else is plain text.

/// A block of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Paragraph(Vec<Inline>),
    List {
        ordered: bool,
        items: Vec<Vec<Inline>>,
    },
}

/// Text inside a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Strong(Vec<Inline>),
    Emphasis(Vec<Inline>),
    /// `href` is an allowed URL (see [`safe_href`]).
    Link {
        href: String,
        children: Vec<Inline>,
    },
    LineBreak,
}

/// Parses an answer into blocks.
pub fn parse(source: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut list: Option<(bool, Vec<String>)> = None;

    fn flush_paragraph(paragraph: &mut Vec<&str>, blocks: &mut Vec<Block>) {
        if !paragraph.is_empty() {
            let mut inlines = Vec::new();
            for (i, line) in paragraph.iter().enumerate() {
                if i > 0 {
                    inlines.push(Inline::LineBreak);
                }
                inlines.extend(parse_inline(line.trim()));
            }
            blocks.push(Block::Paragraph(inlines));
            paragraph.clear();
        }
    }
    fn flush_list(list: &mut Option<(bool, Vec<String>)>, blocks: &mut Vec<Block>) {
        if let Some((ordered, items)) = list.take() {
            blocks.push(Block::List {
                ordered,
                items: items.iter().map(|i| parse_inline(i.trim())).collect(),
            });
        }
    }

    for line in source.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            flush_paragraph(&mut paragraph, &mut blocks);
            flush_list(&mut list, &mut blocks);
            continue;
        }
        if let Some((ordered, item)) = list_item(trimmed) {
            flush_paragraph(&mut paragraph, &mut blocks);
            match &mut list {
                Some((o, items)) if *o == ordered => items.push(item.to_owned()),
                _ => {
                    flush_list(&mut list, &mut blocks);
                    list = Some((ordered, vec![item.to_owned()]));
                }
            }
            continue;
        }
        match &mut list {
            // An indented line continues the list item.
            Some((_, items)) if line.starts_with([' ', '\t']) => {
                if let Some(last) = items.last_mut() {
                    last.push(' ');
                    last.push_str(trimmed);
                }
            }
            _ => {
                flush_list(&mut list, &mut blocks);
                paragraph.push(trimmed);
            }
        }
    }
    flush_paragraph(&mut paragraph, &mut blocks);
    flush_list(&mut list, &mut blocks);
    blocks
}

/// `- item`, `* item`, `1. item` → (ordered, item text).
fn list_item(line: &str) -> Option<(bool, &str)> {
    if let Some(rest) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
        return Some((false, rest));
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits <= 3 {
        let rest = &line[digits..];
        if let Some(item) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some((true, item));
        }
    }
    None
}

/// Parses emphasis, strong text and links in one line.
pub fn parse_inline(text: &str) -> Vec<Inline> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    parse_span(&chars, &mut out);
    out
}

fn push_text(out: &mut Vec<Inline>, s: &str) {
    if s.is_empty() {
        return;
    }
    if let Some(Inline::Text(prev)) = out.last_mut() {
        prev.push_str(s);
    } else {
        out.push(Inline::Text(s.to_owned()));
    }
}

fn find(chars: &[char], from: usize, pattern: &[char]) -> Option<usize> {
    (from..chars.len().saturating_sub(pattern.len() - 1)).find(|&i| chars[i..].starts_with(pattern))
}

fn parse_span(chars: &[char], out: &mut Vec<Inline>) {
    let mut i = 0;
    let mut text = String::new();
    while i < chars.len() {
        let c = chars[i];
        // **strong**
        if c == '*' && chars.get(i + 1) == Some(&'*') {
            if let Some(end) = find(chars, i + 2, &['*', '*']).filter(|&e| e > i + 2) {
                push_text(out, &std::mem::take(&mut text));
                let mut inner = Vec::new();
                parse_span(&chars[i + 2..end], &mut inner);
                out.push(Inline::Strong(inner));
                i = end + 2;
                continue;
            }
        }
        // *emphasis* or _emphasis_ (not inside a word for `_`, so that
        // snake_case stays text)
        if (c == '*' || (c == '_' && (i == 0 || !chars[i - 1].is_alphanumeric())))
            && chars.get(i + 1).is_some_and(|n| !n.is_whitespace())
        {
            if let Some(end) =
                find(chars, i + 1, &[c]).filter(|&e| e > i + 1 && !chars[e - 1].is_whitespace())
            {
                let closes_word =
                    c != '_' || chars.get(end + 1).is_none_or(|n| !n.is_alphanumeric());
                if closes_word {
                    push_text(out, &std::mem::take(&mut text));
                    let mut inner = Vec::new();
                    parse_span(&chars[i + 1..end], &mut inner);
                    out.push(Inline::Emphasis(inner));
                    i = end + 1;
                    continue;
                }
            }
        }
        // [text](url)
        if c == '[' {
            if let Some(close) = find(chars, i + 1, &[']']) {
                if chars.get(close + 1) == Some(&'(') {
                    if let Some(paren) = closing_paren(chars, close + 2) {
                        let href: String = chars[close + 2..paren].iter().collect();
                        let mut inner = Vec::new();
                        parse_span(&chars[i + 1..close], &mut inner);
                        push_text(out, &std::mem::take(&mut text));
                        match safe_href(href.trim()) {
                            Some(href) => out.push(Inline::Link {
                                href,
                                children: inner,
                            }),
                            // A refused link keeps its words, not its target.
                            None => out.extend(inner),
                        }
                        i = paren + 1;
                        continue;
                    }
                }
            }
        }
        text.push(c);
        i += 1;
    }
    push_text(out, &text);
}

/// The `)` that closes a link target starting at `from`, allowing balanced
/// parentheses inside it.
fn closing_paren(chars: &[char], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &c) in chars.iter().enumerate().skip(from) {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return Some(i),
            ')' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The link targets an answer may have: `https:`, `http:`, `mailto:`,
/// `tel:`, or a path on the same site (`/...`, not `//host`). Anything else
/// (`javascript:`, `data:`, other schemes, control characters) is refused.
pub fn safe_href(href: &str) -> Option<String> {
    if href.is_empty() || href.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return None;
    }
    if href.starts_with('/') {
        return (!href.starts_with("//") && !href.starts_with("/\\")).then(|| href.to_owned());
    }
    let scheme = href.split_once(':')?.0.to_ascii_lowercase();
    matches!(scheme.as_str(), "https" | "http" | "mailto" | "tel").then(|| href.to_owned())
}

/// The plain text of inlines (for accessible names and previews).
pub fn plain_text(inlines: &[Inline]) -> String {
    let mut s = String::new();
    for i in inlines {
        match i {
            Inline::Text(t) => s.push_str(t),
            Inline::Strong(c) | Inline::Emphasis(c) | Inline::Link { children: c, .. } => {
                s.push_str(&plain_text(c))
            }
            Inline::LineBreak => s.push(' '),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Inline {
        Inline::Text(s.to_owned())
    }

    #[test]
    fn paragraphs_lists_bold_italic_and_links() {
        let md = "La Camera rilascia **SPID** in *pochi minuti*.\n\nTi servono:\n- un documento\n- la tessera sanitaria\n\n1. prenota\n2. vieni allo sportello\n\nVedi [la pagina](/demo-site/milomb/spid.html).";
        let blocks = parse(md);
        assert_eq!(blocks.len(), 5, "{blocks:#?}");
        assert_eq!(
            blocks[0],
            Block::Paragraph(vec![
                text("La Camera rilascia "),
                Inline::Strong(vec![text("SPID")]),
                text(" in "),
                Inline::Emphasis(vec![text("pochi minuti")]),
                text("."),
            ])
        );
        assert_eq!(
            blocks[2],
            Block::List {
                ordered: false,
                items: vec![
                    vec![text("un documento")],
                    vec![text("la tessera sanitaria")]
                ]
            }
        );
        assert!(matches!(&blocks[3], Block::List { ordered: true, items } if items.len() == 2));
        assert_eq!(
            blocks[4],
            Block::Paragraph(vec![
                text("Vedi "),
                Inline::Link {
                    href: "/demo-site/milomb/spid.html".into(),
                    children: vec![text("la pagina")]
                },
                text("."),
            ])
        );
    }

    #[test]
    fn html_stays_text_and_bad_links_lose_their_target() {
        let blocks = parse("<img src=x onerror=alert(1)> [clic](javascript:alert(1)) [x](data:text/html,hi) [y](//evil.example)");
        let Block::Paragraph(inlines) = &blocks[0] else {
            panic!()
        };
        assert!(
            inlines.iter().all(|i| !matches!(i, Inline::Link { .. })),
            "{inlines:?}"
        );
        assert!(plain_text(inlines).starts_with("<img src=x onerror=alert(1)> clic x y"));
    }

    #[test]
    fn only_the_allowed_schemes_pass() {
        for ok in [
            "https://www.inps.it",
            "http://example.org/a",
            "mailto:RPD@mi.camcom.it",
            "tel:+390285151",
            "/demo-site/x.html",
        ] {
            assert_eq!(safe_href(ok).as_deref(), Some(ok));
        }
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "vbscript:x",
            "data:text/html,x",
            "//evil",
            "/\\evil",
            "ftp://x",
            "java\tscript:x",
            "",
            "relative.html",
        ] {
            assert_eq!(safe_href(bad), None, "{bad}");
        }
    }

    #[test]
    fn unbalanced_markers_and_snake_case_are_text() {
        assert_eq!(parse_inline("2 * 3 = 6"), vec![text("2 * 3 = 6")]);
        assert_eq!(parse_inline("**aperto"), vec![text("**aperto")]);
        assert_eq!(parse_inline("nome_file_x"), vec![text("nome_file_x")]);
        assert_eq!(parse_inline("[senza link]"), vec![text("[senza link]")]);
    }

    #[test]
    fn nested_emphasis_inside_a_link() {
        assert_eq!(
            parse_inline("[**Prenota**](https://x.it)"),
            vec![Inline::Link {
                href: "https://x.it".into(),
                children: vec![Inline::Strong(vec![text("Prenota")])]
            }]
        );
    }
}
