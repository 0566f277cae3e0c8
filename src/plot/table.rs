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
/// assert!(table.html().contains("<td>god jesus bible</td>"));
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
    let mut h = String::new();
    // A class-scoped style block keeps each cell's markup short (tables of 100 topics).
    h.push_str(
        "<style>.gcatm-topics td,.gcatm-topics th{padding:3px 10px;text-align:left;\
         border-bottom:1px solid #ddd}</style>\n\
         <table class=\"gcatm-topics\" style=\"border-collapse:collapse;font-family:sans-serif;\
         font-size:14px\">\n<thead><tr><th>topic</th>",
    );
    if scores.is_some() {
        h.push_str("<th>score</th>");
    }
    h.push_str("<th>top words</th></tr></thead>\n<tbody>\n");
    for (k, words) in topics.iter().enumerate() {
        let _ = write!(h, "<tr><td>{k}</td>");
        if let Some(s) = scores {
            let _ = write!(h, "<td>{:.4}</td>", s[k]);
        }
        let words: Vec<String> = words.iter().map(|w| escape(w)).collect();
        let _ = writeln!(h, "<td>{}</td></tr>", words.join(" "));
    }
    h.push_str("</tbody>\n</table>");
    h
}

impl TopicTable {
    /// The HTML: a `<style>` element for the table's class, then the `<table>`.
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
