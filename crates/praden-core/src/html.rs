//! HTML escaping, shared by the pages, the brief and the search snippets.

/// `s` with `& < > " '` escaped, safe in element text and quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

/// Appends `s`, escaped as `escape` does, to `out`.
pub fn escape_into(out: &mut String, s: &str) {
    // Byte by byte, copying the runs between the characters to escape whole: they are
    // ASCII, which no byte of a multi-byte character is, so every cut is at a character
    // boundary (a Thai snippet is mostly three-byte letters and has none of them).
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let escaped = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&s[run..i]);
        out.push_str(escaped);
        run = i + 1;
    }
    out.push_str(&s[run..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_special_character_is_escaped_and_the_rest_kept() {
        assert_eq!(
            escape("<b>\"ครม.\" & 'สธ.'</b>"),
            "&lt;b&gt;&quot;ครม.&quot; &amp; &#39;สธ.&#39;&lt;/b&gt;"
        );
        assert_eq!(escape("น้ำท่วม"), "น้ำท่วม");
        assert_eq!(escape("&"), "&amp;");
        assert_eq!(escape(""), "");
        let mut out = String::from("ก");
        escape_into(&mut out, "ข<ค");
        assert_eq!(out, "กข&lt;ค");
    }
}
