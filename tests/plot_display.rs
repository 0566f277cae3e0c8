//! What figures and topic tables show in evcxr, and topic tables themselves.
use gcatm::plot;

/// The HTML without its inline style attributes.
fn plain(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find(" style=\"") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 8..];
        rest = &after[after.find('"').map_or(after.len(), |j| j + 1)..];
    }
    out.push_str(rest);
    out
}

#[test]
fn figure_displays_as_svg() {
    let fig = plot::info_nce(&[(0.0, 3.0), (1.0, 2.0)], "epoch").unwrap();
    let (mime, body) = fig.display_content();
    assert_eq!(mime, "image/svg+xml");
    assert_eq!(body, fig.svg());
    assert!(body.starts_with("<svg"));
}

#[test]
fn topic_table_displays_as_html() {
    let topics = vec![
        vec!["god", "jesus", "bible"],
        vec!["game", "team", "season"],
    ];
    let t = plot::topic_table(&topics, Some(&[0.0812, -0.0031])).unwrap();
    let (mime, body) = t.display_content();
    assert_eq!(mime, "text/html");
    assert_eq!(body, t.html());
    assert!(body.contains("<table"));
    let text = plain(body);
    assert!(text.contains("<th>score</th>"));
    assert!(text.contains("<tr><td>0</td><td>0.0812</td><td>god jesus bible</td></tr>"));
    assert!(text.contains("<tr><td>1</td><td>-0.0031</td><td>game team season</td></tr>"));
    assert_eq!(text.matches("<tr>").count(), 3, "header + 2 rows");
    // Left-aligned under any notebook CSS: every cell says so inline.
    let cells = body.matches("<td ").count() + body.matches("<th ").count();
    assert_eq!(cells, 9);
    assert_eq!(body.matches("text-align:left").count(), cells);
}

#[test]
fn topic_table_without_scores_escapes_words() {
    let t = plot::topic_table(&[vec!["<b>", "at&t"]], None).unwrap();
    assert!(!plain(t.html()).contains("<th>score</th>"));
    assert!(plain(t.html()).contains("<td>&lt;b&gt; at&amp;t</td>"));
    assert_eq!(t.scores(), None);
    assert_eq!(t.topics(), &[vec!["<b>".to_string(), "at&t".to_string()]]);
}

#[test]
fn topic_table_rejects_a_score_count_mismatch() {
    let err = plot::topic_table(&[vec!["a"], vec!["b"]], Some(&[0.1])).unwrap_err();
    assert!(err.to_string().contains("1 scores for 2 topics"), "{err}");
}

#[test]
fn topic_table_markdown_and_html_file() {
    let t = plot::topic_table(&[vec!["a|b", "c"]], Some(&[0.5])).unwrap();
    assert_eq!(
        t.to_markdown(),
        "| topic | score | top words |\n|---|---|---|\n| 0 | 0.5000 | a\\|b c |\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("topics.html");
    t.save_html(&path).unwrap();
    let doc = std::fs::read_to_string(&path).unwrap();
    assert!(doc.starts_with("<!DOCTYPE html>") && doc.contains(t.html()));
}
