//! [`TopicTable`]: topics' top words as an HTML table for notebooks.
use super::{atomic_write, PlotError};
use std::fmt::Write as _;
use std::path::Path;

/// The top words of each topic, with an optional score per topic (e.g. its NPMI), as an HTML
/// table. Shows itself inline in evcxr (as `text/html`) when it is the last expression of a cell.
///
/// ```
/// let topics = vec![
///     vec!["god".to_string(), "jesus".into(), "bible".into()],
///     vec!["game".to_string(), "team".into(), "season".into()],
/// ];
/// let table = gcatm::plot::topic_table(&topics, Some(&[0.081, 0.064])).unwrap();
/// assert!(table.html().contains(">god jesus bible</td>"));
/// assert_eq!(table.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TopicTable {
    topics: Vec<Vec<String>>,
    scores: Option<Vec<f64>>,
    html: String,
}

/// Builds a [`TopicTable`]. `scores`, when given, must hold one value per topic.
pub fn topic_table<S: AsRef<str>>(
    topics: &[Vec<S>],
    scores: Option<&[f64]>,
) -> Result<TopicTable, PlotError> {
    if let Some(s) = scores {
        if s.len() != topics.len() {
            return Err(PlotError::Input(format!(
                "{} scores for {} topics",
                s.len(),
                topics.len()
            )));
        }
    }
    let topics: Vec<Vec<String>> = topics
        .iter()
        .map(|t| t.iter().map(|w| w.as_ref().to_string()).collect())
        .collect();
    let scores = scores.map(<[f64]>::to_vec);
    let html = render(&topics, scores.as_deref());
    Ok(TopicTable {
        topics,
        scores,
        html,
    })
}

/// Escapes the characters HTML gives a meaning to (topic words come from arbitrary corpora).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn render(topics: &[Vec<String>], scores: Option<&[f64]>) -> String {
    let mut header = vec!["topic"];
    if scores.is_some() {
        header.push("score");
    }
    header.push("top words");
    let rows: Vec<Vec<String>> = topics
        .iter()
        .enumerate()
        .map(|(k, words)| {
            let mut row = vec![k.to_string()];
            if let Some(s) = scores {
                row.push(format!("{:.4}", s[k]));
            }
            row.push(words.join(" "));
            row
        })
        .collect();
    // Every cell left-aligned, by inline style: the style sheets of nbconvert and JupyterLab
    // right-align table cells, and a <style> element may be stripped from untrusted output.
    html(&header, &rows, |_, _| "left", None)
}

/// Inline style of every cell: an inline attribute is kept by notebook sanitisers and beats the
/// front end's table CSS.
const CELL: &str = "padding:3px 10px;border-bottom:1px solid #ddd;vertical-align:top";

/// Whether a cell reads as a number: "0.142", "-0.05", "1e-6", "0.131 ± 0.024", "0.225 / 0.39".
fn is_number(text: &str) -> bool {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) if c.is_ascii_digit() => true,
        Some('-' | '+' | '−' | '.') => chars.next().is_some_and(|c| c.is_ascii_digit()),
        _ => false,
    }
}

/// The HTML of a table; `align(column, cell)` gives each cell's `text-align`.
fn html(
    header: &[&str],
    rows: &[Vec<String>],
    align: impl Fn(usize, &str) -> &'static str,
    note: Option<&str>,
) -> String {
    let mut h = String::from(
        "<table style=\"border-collapse:collapse;font-family:sans-serif;font-size:14px\">\n<thead><tr>",
    );
    for (c, name) in header.iter().enumerate() {
        let _ = write!(
            h,
            "<th style=\"{CELL};text-align:{};border-bottom:2px solid #999\">{}</th>",
            align(c, name),
            escape(name)
        );
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        h.push_str("<tr>");
        for (c, cell) in row.iter().enumerate() {
            // Leading spaces mark a sub-row (e.g. one seed under the mean): kept as an indent.
            let indent = cell.len() - cell.trim_start().len();
            let pad = if indent > 0 { ";padding-left:26px" } else { "" };
            // Numbers (right-aligned) stay on one line: "0.142 ± 0.004" must not wrap.
            let nowrap = if align(c, cell) == "right" {
                ";white-space:nowrap"
            } else {
                ""
            };
            let _ = write!(
                h,
                "<td style=\"{CELL};text-align:{}{pad}{nowrap}\">{}</td>",
                align(c, cell),
                escape(cell.trim_start())
            );
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>");
    if let Some(n) = note {
        let _ = write!(
            h,
            "\n<p style=\"font-family:sans-serif;font-size:14px;max-width:60em;text-align:left\">{}</p>",
            escape(n)
        );
    }
    h
}

/// A table of text cells as HTML, with an optional sentence under it: shows itself inline in evcxr
/// (`text/html`). Columns of numbers are right-aligned and do not wrap, columns of text left-aligned.
///
/// ```
/// use gcatm::plot::HtmlTable;
/// let t = HtmlTable::new(&["run", "NPMI"], vec![vec!["entry 7".into(), "0.142".into()]])
///     .note("entry 7 is below every baseline");
/// assert!(t.html().contains("text-align:right;white-space:nowrap\">0.142</td>"));
/// assert!(t.html().contains("text-align:left\">entry 7</td>"));
/// assert!(t.html().ends_with("entry 7 is below every baseline</p>"));
/// assert_eq!(t.to_markdown(), "| run | NPMI |\n|---|--:|\n| entry 7 | 0.142 |\n\nentry 7 is below every baseline\n");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct HtmlTable {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    note: Option<String>,
    html: String,
}

impl HtmlTable {
    /// A table with these column names and rows (each as long as the header).
    pub fn new<S: AsRef<str>>(header: &[S], rows: Vec<Vec<String>>) -> HtmlTable {
        let header: Vec<String> = header.iter().map(|h| h.as_ref().to_string()).collect();
        let mut t = HtmlTable {
            header,
            rows,
            note: None,
            html: String::new(),
        };
        t.render();
        t
    }

    /// Adds a sentence under the table (e.g. its verdict).
    pub fn note(mut self, text: impl Into<String>) -> HtmlTable {
        self.note = Some(text.into());
        self.render();
        self
    }

    /// Per column: whether every cell of it is a number (or the placeholder "–"), so that it is
    /// right-aligned; text columns are left-aligned.
    fn numeric_columns(&self) -> Vec<bool> {
        (0..self.header.len())
            .map(|c| {
                let cells = self.rows.iter().filter_map(|r| r.get(c));
                let mut any = false;
                for cell in cells {
                    match cell.trim() {
                        "–" | "-" | "" => {}
                        t if is_number(t) => any = true,
                        _ => return false,
                    }
                }
                any
            })
            .collect()
    }

    fn render(&mut self) {
        let header: Vec<&str> = self.header.iter().map(String::as_str).collect();
        let numeric = self.numeric_columns();
        let align = |c: usize, _: &str| if numeric[c] { "right" } else { "left" };
        self.html = html(&header, &self.rows, align, self.note.as_deref());
    }

    /// The HTML (a `<table>`, then the note as a `<p>`).
    pub fn html(&self) -> &str {
        &self.html
    }

    /// The rows.
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// The sentence under the table.
    pub fn note_text(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// The table as Markdown (for a README), the note as a paragraph after it.
    pub fn to_markdown(&self) -> String {
        let cell = |s: &str| s.trim().replace('|', "\\|");
        let mut m = format!(
            "| {} |\n|",
            self.header
                .iter()
                .map(|h| cell(h))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        for numeric in self.numeric_columns() {
            m.push_str(if numeric { "--:|" } else { "---|" });
        }
        m.push('\n');
        for row in &self.rows {
            let _ = writeln!(
                m,
                "| {} |",
                row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
            );
        }
        if let Some(n) = &self.note {
            let _ = write!(m, "\n{n}\n");
        }
        m
    }

    /// What [`HtmlTable::evcxr_display`] shows: its MIME type and content.
    pub fn display_content(&self) -> (&'static str, &str) {
        ("text/html", &self.html)
    }

    /// Shows the table inline in an evcxr notebook (called by evcxr on a cell's last value).
    pub fn evcxr_display(&self) {
        let (mime, content) = self.display_content();
        evcxr_runtime::mime_type(mime).text(content);
    }
}

impl TopicTable {
    /// The HTML `<table>` (every cell styled inline).
    pub fn html(&self) -> &str {
        &self.html
    }

    /// Number of topics (rows).
    pub fn len(&self) -> usize {
        self.topics.len()
    }

    /// True when there is no topic.
    pub fn is_empty(&self) -> bool {
        self.topics.is_empty()
    }

    /// The topics' words, row by row.
    pub fn topics(&self) -> &[Vec<String>] {
        &self.topics
    }

    /// The scores, when given.
    pub fn scores(&self) -> Option<&[f64]> {
        self.scores.as_deref()
    }

    /// The table as Markdown (for reports), one row per topic.
    ///
    /// ```
    /// let t = gcatm::plot::topic_table(&[vec!["a", "b"]], None).unwrap();
    /// assert_eq!(t.to_markdown(), "| topic | top words |\n|---|---|\n| 0 | a b |\n");
    /// ```
    pub fn to_markdown(&self) -> String {
        let mut m = String::new();
        match &self.scores {
            Some(_) => m.push_str("| topic | score | top words |\n|---|---|---|\n"),
            None => m.push_str("| topic | top words |\n|---|---|\n"),
        }
        for (k, words) in self.topics.iter().enumerate() {
            let words = words.join(" ").replace('|', "\\|");
            match &self.scores {
                Some(s) => {
                    let _ = writeln!(m, "| {k} | {:.4} | {words} |", s[k]);
                }
                None => {
                    let _ = writeln!(m, "| {k} | {words} |");
                }
            }
        }
        m
    }

    /// Writes a standalone HTML file (atomically).
    pub fn save_html(&self, path: impl AsRef<Path>) -> Result<(), PlotError> {
        let path = path.as_ref();
        let doc = format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>topics</title></head>\n\
             <body>\n{}\n</body></html>\n",
            self.html
        );
        atomic_write(path, |tmp| {
            std::fs::write(tmp, doc).map_err(|source| PlotError::Io {
                path: path.to_path_buf(),
                source,
            })
        })
    }

    /// What [`TopicTable::evcxr_display`] shows: its MIME type and content (the HTML table).
    pub fn display_content(&self) -> (&'static str, &str) {
        ("text/html", &self.html)
    }

    /// Shows the table inline in an evcxr notebook (called by evcxr on a cell's last value).
    pub fn evcxr_display(&self) {
        let (mime, content) = self.display_content();
        evcxr_runtime::mime_type(mime).text(content);
    }
}
