//! Plain text out of the HTML that feeds put in titles and descriptions.

use scraper::Html;

/// Nesting beyond which a fragment's tags are dropped rather than parsed (the parse
/// budget's depth).
const MAX_DEPTH: usize = 1024;

/// `html` with every `<…>` removed.
fn drop_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// The text of an HTML fragment: tags dropped, entities decoded, block elements and `<br>`
/// turned into line breaks, runs of spaces folded.
pub fn html_to_text(html: &str) -> String {
    if !html.contains(['<', '&']) {
        return fold_spaces(html);
    }
    // html5ever's tree building slows with the square of the depth (a JSON Feed item of
    // 100,000 nested divs held a parse for minutes); such a fragment is no article, and its
    // text is taken by dropping the tags, in one pass.
    if crate::budget::nesting_exceeds(html.as_bytes(), crate::budget::Markup::Html, MAX_DEPTH) {
        return fold_spaces(&drop_tags(html));
    }
    let fragment = Html::parse_fragment(html);
    let mut out = String::with_capacity(html.len());
    for node in fragment.root_element().descendants() {
        match node.value() {
            scraper::Node::Text(t) => {
                let in_code = node
                    .parent()
                    .and_then(|p| p.value().as_element())
                    .is_some_and(|e| {
                        matches!(
                            e.name(),
                            "script" | "style" | "noscript" | "audio" | "video" | "object"
                        )
                    });
                if !in_code {
                    out.push_str(t)
                }
            }
            scraper::Node::Element(e)
                if matches!(
                    e.name(),
                    "br" | "p" | "div" | "li" | "h1" | "h2" | "h3" | "h4" | "tr" | "figure"
                ) =>
            {
                out.push('\n')
            }
            _ => {}
        }
    }
    fold_spaces(&out)
}

fn fold_spaces(s: &str) -> String {
    s.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::html_to_text;

    #[test]
    fn strips_tags_and_decodes_entities() {
        assert_eq!(
            html_to_text("<p>นายกฯ &quot;ย้ำ&quot;</p><p>ประชาชน&nbsp;&amp; รัฐ</p>"),
            "นายกฯ \"ย้ำ\"\nประชาชน & รัฐ"
        );
        assert_eq!(html_to_text("  ข่าว   ด่วน "), "ข่าว ด่วน");
        assert_eq!(html_to_text("a<br/>b<script>x</script>"), "a\nb");
        // Too deep to parse: the tags are dropped instead.
        let deep = format!("{}ข่าว{}", "<div>".repeat(5_000), "</div>".repeat(5_000));
        assert_eq!(html_to_text(&deep), "ข่าว");
    }
}
