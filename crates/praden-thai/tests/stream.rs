//! The `praden tokenize` line contract.
use praden_thai::{tokenize_stream, Segmenter};

fn run(input: &[u8]) -> (String, String, praden_thai::Stats) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let stats = tokenize_stream(&Segmenter::new(), input, &mut out, &mut err).unwrap();
    (
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
        stats,
    )
}

#[test]
fn one_output_line_per_input_line_and_removing_bars_restores_it() {
    let input = "รัฐบาลแถลงข่าว เวลา 10.30 น.\n\nPM2.5 สูง\r\nไม่มีบรรทัดใหม่";
    let (out, err, stats) = run(input.as_bytes());
    assert!(err.is_empty());
    assert_eq!(stats.lines, 4);
    let in_lines: Vec<&str> = input.split('\n').collect();
    let out_lines: Vec<&str> = out.split('\n').collect();
    assert_eq!(in_lines.len(), out_lines.len());
    for (i, o) in in_lines.iter().zip(&out_lines) {
        assert_eq!(o.replace('|', ""), *i);
    }
    assert!(out_lines[0].contains("10.30"));
}

#[test]
fn invalid_utf8_is_replaced_and_reported_not_fatal() {
    let mut input = "ข่าว".as_bytes().to_vec();
    input.extend_from_slice(&[0xff, 0xfe]);
    input.extend_from_slice("ด่วน\nต่อไป\n".as_bytes());
    let (out, err, stats) = run(&input);
    assert_eq!(stats.invalid_lines, 1);
    assert!(err.contains("line 1"));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].replace('|', "").contains('\u{FFFD}'));
    assert_eq!(lines[1].replace('|', ""), "ต่อไป");
}
