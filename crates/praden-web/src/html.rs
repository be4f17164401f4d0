//! What every HTML page shares: escaping, URL encoding and the page shell (Thai, no
//! JavaScript, visible keyboard focus).

use std::fmt::Write;

pub(crate) fn esc(s: &str) -> String {
    praden_core::html::escape(s)
}

pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// A whole page: `title` (already plain text), the navigation, then `body` (HTML).
pub(crate) fn shell(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="th"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · praden</title>
<style>
body{{font-family:"Noto Sans Thai","Sarabun",sans-serif;margin:0 auto;max-width:72rem;padding:1rem;color:#1a1a1a}}
nav{{display:flex;gap:1rem;margin-bottom:1rem;font-size:.9rem}}
table{{border-collapse:collapse;width:100%}} th,td{{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}}
.badge{{display:inline-block;font-size:.75rem;padding:.05rem .4rem;margin:.1rem;border-radius:.6rem;background:#e8eefc;color:#123a8a}}
.badge.warn{{background:#fde8e8;color:#8a1212}}
.meta{{color:#555;font-size:.85rem}} .notice{{padding:.6rem;background:#fff7d6;border:1px solid #e5c85a;margin:.6rem 0}}
.conflict{{padding:.8rem;background:#fde8e8;border:1px solid #d88;margin:.6rem 0}}
form.action{{border:1px solid #ccc;padding:.6rem;margin:.6rem 0}} form.action h3{{margin:.1rem 0 .5rem;font-size:1rem}}
label{{display:block;margin:.3rem 0;font-size:.9rem}} input,select,button,textarea{{font:inherit;padding:.3rem}}
input[type=text],textarea,select{{width:100%;box-sizing:border-box}}
a:focus,input:focus,select:focus,button:focus,textarea:focus{{outline:2px solid #2060c0}}
</style></head>
<body>
<nav aria-label="เมนูหลัก"><a href="/queue">คิวประเด็น</a><a href="/search">ค้นหาข่าว</a><a href="/audit">บันทึกการดำเนินการ</a></nav>
{body}
</body></html>"#,
        title = esc(title),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<script>\"x\" & 'y'"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;"
        );
        assert_eq!(url_encode("ไข่ a/b"), "%E0%B9%84%E0%B8%82%E0%B9%88%20a%2Fb");
    }
}
