//! `praden tokenize` as an example: UTF-8 lines on stdin, `|`-joined tokens on stdout.
//!
//! cargo run --release --example tokenize < ../../../shared/data/thai-seg/tud-dev.txt > hyp.label
fn main() -> std::io::Result<()> {
    let user_dict = std::env::args().nth(1);
    let segmenter = match user_dict {
        Some(path) => praden_thai::Segmenter::with_user_dict(path).unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(2)
        }),
        None => praden_thai::Segmenter::new(),
    };
    let stats = praden_thai::tokenize_stream(
        &segmenter,
        std::io::stdin().lock(),
        std::io::stdout().lock(),
        std::io::stderr().lock(),
    )?;
    if stats.invalid_lines > 0 {
        eprintln!("{} line(s) had invalid UTF-8", stats.invalid_lines);
    }
    Ok(())
}
