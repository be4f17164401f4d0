//! The files every page needs and praden serves itself: the Thai web font. Without it Thai
//! shows as empty boxes on a machine with no Thai font installed (a fresh office PC image, a
//! server's own browser), and the pages may not fetch one from the internet (the CSP allows
//! `'self'` only).

use crate::extract::Path;
use crate::ApiError;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

/// Sarabun (SIL Open Font License 1.1, `assets/fonts/OFL.txt`), the face Thai government
/// documents are set in, as the Thai and Latin subsets of its regular and bold weights
/// (about 42 kB in all): a page loads only the subsets its text uses.
const FONTS: &[(&str, &[u8])] = &[
    (
        "sarabun-thai-400.woff2",
        include_bytes!("../assets/fonts/sarabun-thai-400.woff2"),
    ),
    (
        "sarabun-thai-700.woff2",
        include_bytes!("../assets/fonts/sarabun-thai-700.woff2"),
    ),
    (
        "sarabun-latin-400.woff2",
        include_bytes!("../assets/fonts/sarabun-latin-400.woff2"),
    ),
    (
        "sarabun-latin-700.woff2",
        include_bytes!("../assets/fonts/sarabun-latin-700.woff2"),
    ),
];

/// The path prefix of the font files. It carries the font's version: the files are cached
/// for a year as immutable, so a new font must come under a new path.
const FONT_PATH: &str = "/assets/fonts/5.3.0";

/// The `@font-face` rules every page's `<style>` starts with, and the body's font. The
/// installed Thai fonts are tried first, so a machine that has them does not wait for a
/// download; `font-display: swap` shows text at once in a fallback either way.
pub(crate) fn font_css() -> &'static str {
    static CSS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CSS.get_or_init(|| {
        let mut css = String::new();
        for (subset, range) in [
            ("thai", "U+0E01-0E5B,U+200C-200D,U+25CC"),
            (
                "latin",
                "U+0000-00FF,U+0131,U+0152-0153,U+02BB-02BC,U+02C6,U+02DA,U+02DC,\
                 U+2000-206F,U+20AC,U+2122,U+2212",
            ),
        ] {
            for weight in [400, 700] {
                css.push_str(&format!(
                    "@font-face{{font-family:\"Sarabun\";font-style:normal;font-weight:{weight};\
                     font-display:swap;src:url({FONT_PATH}/sarabun-{subset}-{weight}.woff2) \
                     format(\"woff2\");unicode-range:{range}}}\n"
                ));
            }
        }
        css.push_str(
            "body{font-family:\"Sarabun\",\"Noto Sans Thai\",\"Loma\",\"Garuda\",sans-serif}\n",
        );
        css
    })
}

/// `GET /assets/fonts/5.3.0/{file}`: one of the font files, cached by browsers and proxies for
/// a year (the security headers leave a handler's own `Cache-Control` alone).
pub(crate) async fn font(Path(file): Path<String>) -> Result<Response, ApiError> {
    let Some((_, bytes)) = FONTS.iter().find(|(name, _)| *name == file) else {
        return Err(ApiError::NotFound(format!("no font file {file}")));
    };
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("font/woff2")),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        *bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_font_the_css_names_is_served() {
        let css = font_css();
        let mut named = 0;
        for url in css.split("url(").skip(1) {
            let path = url.split(')').next().unwrap();
            let file = path.strip_prefix(&format!("{FONT_PATH}/")).unwrap();
            assert!(
                FONTS.iter().any(|(name, _)| *name == file),
                "{file} is named by the CSS but not served"
            );
            named += 1;
        }
        assert_eq!(named, FONTS.len());
        let route = format!("{FONT_PATH}/{{file}}");
        assert!(
            crate::route_table().iter().any(|r| r.path == route),
            "the fonts are not mounted at {route}"
        );
        for (name, bytes) in FONTS {
            assert_eq!(&bytes[..4], b"wOF2", "{name} is not WOFF2");
        }
    }
}
