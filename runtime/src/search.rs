//! Tool search for the discovery surface: how a tool becomes search terms, and how a query ranks
//! tools by them.
//!
//! The generator compiles this same file (`#[path]` in mcpgen's `lib.rs`) to write each tool's
//! terms into `tools.json`, and the runtime uses it to process queries, so documents and queries
//! are tokenised, stemmed and expanded by one piece of code and cannot drift apart.
//!
//! Ranking is BM25F in its common simplified form (one length normalisation over field-weighted
//! term frequencies, as in Robertson & Zaragoza, "The Probabilistic Relevance Framework", 2009):
//! a term in a tool's name counts `NAME` times, one in its description once, and so on. Field
//! weights are integers, so a document is just `term → weighted count`: small, readable JSON.
//! Why not the `bm25` crate: its scorer ignores query-term weights, stores one entry per token
//! occurrence and returns equal scores in hash order (results would change between runs); the
//! formula itself is the few lines of `Index::search`. Stemming is Snowball English
//! (`rust-stemmers`), so "pets", "pet" and "Pet" meet.

use std::collections::{BTreeMap, HashMap};

use rust_stemmers::{Algorithm, Stemmer};

/// A tool's search document: stemmed term → field-weighted count.
pub type Terms = BTreeMap<String, u32>;

/// Weight of a term in the tool name (usually the spec's operationId).
pub const NAME: u32 = 4;
/// Weight of a term in the title.
pub const TITLE: u32 = 3;
/// Weight of a tag.
pub const TAG: u32 = 3;
/// Weight of a term in the description's first sentence (the summary), on top of [`DESCRIPTION`].
pub const SUMMARY: u32 = 2;
/// Weight of a path segment (`/pets/{petId}` → pet, pet id).
pub const PATH: u32 = 2;
/// Weight of a task word suggested by the HTTP method ("remove" for DELETE).
pub const VERB: u32 = 2;
/// Weight of a parameter name.
pub const PARAM: u32 = 1;
/// Weight of a term anywhere in the description.
pub const DESCRIPTION: u32 = 1;

/// BM25 term-frequency saturation (the usual 1.2).
const K1: f32 = 1.2;
/// BM25 length normalisation (the usual 0.75).
const B: f32 = 0.75;

/// Words that say nothing about what a tool does.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "has", "have", "how", "i",
    "if", "in", "into", "is", "it", "its", "me", "my", "of", "on", "or", "that", "the", "their", "then", "there",
    "these", "this", "to", "was", "we", "were", "what", "when", "which", "will", "with", "you", "your",
];

/// What a tool is found by; every field comes from its definition.
#[derive(Debug, Clone, Default)]
pub struct Fields<'a> {
    /// Tool name, e.g. `list_pets`.
    pub name: &'a str,
    /// Human title.
    pub title: Option<&'a str>,
    /// Description (its first sentence is the summary).
    pub description: &'a str,
    /// The operation's tags.
    pub tags: &'a [String],
    /// Upper-case HTTP method.
    pub method: &'a str,
    /// Path template, e.g. `/pets/{petId}`.
    pub path: &'a str,
    /// Argument names (see [`param_names`]).
    pub params: Vec<String>,
}

impl Fields<'_> {
    /// The field-weighted terms of the tool.
    pub fn document(&self) -> Terms {
        let stemmer = Stemmer::create(Algorithm::English);
        let mut terms = Terms::new();
        let mut add = |text: &str, weight: u32| {
            for term in tokens(&stemmer, text) {
                *terms.entry(term).or_insert(0) += weight;
            }
        };
        add(self.name, NAME);
        add(self.title.unwrap_or_default(), TITLE);
        for tag in self.tags {
            add(tag, TAG);
        }
        add(summary(self.description), SUMMARY);
        add(self.description, DESCRIPTION);
        add(self.path, PATH);
        add(&verbs(self.method).join(" "), VERB);
        for param in &self.params {
            add(param, PARAM);
        }
        terms
    }
}

/// The task words an agent uses for what an HTTP method does: "remove an order" should find
/// `DELETE /orders/{id}` even when the spec only says "delete".
pub fn verbs(method: &str) -> &'static [&'static str] {
    match method {
        "GET" => &["get", "list", "fetch", "show", "read", "find", "retrieve"],
        "POST" => &["create", "add", "new", "send", "submit", "post"],
        "PUT" => &["update", "edit", "change", "set", "replace"],
        "PATCH" => &["update", "edit", "change", "set", "modify"],
        "DELETE" => &["delete", "remove", "cancel", "destroy"],
        "HEAD" => &["check", "exists"],
        _ => &[],
    }
}

/// The first sentence of `description` (up to the first `. `, line break or end).
pub fn summary(description: &str) -> &str {
    let line = description.trim_start().lines().next().unwrap_or_default();
    match line.find(". ") {
        Some(end) => &line[..=end],
        None => line,
    }
    .trim()
}

/// Argument names of a tool's input schema: its top-level properties, and those of an inline
/// object `body` (a `$ref`ed body contributes its argument name only).
pub fn param_names(input_schema: &serde_json::Map<String, serde_json::Value>) -> Vec<String> {
    let mut names = Vec::new();
    let properties = |schema: &serde_json::Value| {
        schema.get("properties").and_then(|p| p.as_object()).map(|p| p.keys().cloned().collect::<Vec<_>>())
    };
    if let Some(top) = input_schema.get("properties").and_then(|p| p.as_object()) {
        for (name, schema) in top {
            names.push(name.clone());
            if name == "body" {
                names.extend(properties(schema).unwrap_or_default());
            }
        }
    }
    names
}

/// Splits `text` into lower-case words at every non-alphanumeric character and at case changes
/// (`listPets`, `list_pets`, `list-pets` and `ListPETs` all give `list`, `pets`), drops stop words
/// and stems the rest.
fn tokens<'s>(stemmer: &'s Stemmer, text: &'s str) -> impl Iterator<Item = String> + 's {
    text.split(|c: char| !c.is_alphanumeric())
        .flat_map(split_case)
        .map(str::to_lowercase)
        .filter(|w| (w.len() > 1 || w.chars().all(|c| c.is_ascii_digit())) && !STOP_WORDS.contains(&w.as_str()))
        .map(|w| stemmer.stem(&w).into_owned())
}

/// Splits an identifier at lower→upper changes and before the last capital of a run of capitals
/// followed by a lower-case letter (`HTTPServer` → `HTTP`, `Server`).
fn split_case(word: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    let mut parts = Vec::new();
    let mut start = 0;
    for i in 1..chars.len() {
        let (at, c) = chars[i];
        let prev = chars[i - 1].1;
        let next_lower = chars.get(i + 1).is_some_and(|(_, n)| n.is_lowercase());
        let boundary = (prev.is_lowercase() && c.is_uppercase())
            || (prev.is_uppercase() && c.is_uppercase() && next_lower)
            || (prev.is_alphabetic() && c.is_ascii_digit() && i > 1);
        if boundary {
            parts.push(&word[start..at]);
            start = at;
        }
    }
    if start < word.len() {
        parts.push(&word[start..]);
    }
    parts
}

/// The query's distinct terms, processed exactly as documents are.
pub fn query_terms(query: &str) -> Vec<String> {
    let stemmer = Stemmer::create(Algorithm::English);
    let mut terms: Vec<String> = Vec::new();
    for term in tokens(&stemmer, query) {
        if !terms.contains(&term) {
            terms.push(term);
        }
    }
    terms
}

/// One ranked document.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Position of the document in the order it was indexed.
    pub doc: usize,
    /// BM25F score (higher is better; only comparable within one query).
    pub score: f32,
}

/// An inverted index over documents, built once at start-up.
#[derive(Debug, Default)]
pub struct Index {
    /// Term → (document, weighted count), documents ascending.
    postings: HashMap<String, Vec<(u32, f32)>>,
    /// Weighted length of each document.
    lengths: Vec<f32>,
    /// Mean of `lengths`.
    average: f32,
}

impl Index {
    /// Indexes `documents`; hits refer to them by position.
    pub fn new<'a>(documents: impl IntoIterator<Item = &'a Terms>) -> Self {
        let mut index = Index::default();
        for (doc, terms) in documents.into_iter().enumerate() {
            let mut length = 0.0;
            for (term, &count) in terms {
                index.postings.entry(term.clone()).or_default().push((doc as u32, count as f32));
                length += count as f32;
            }
            index.lengths.push(length);
        }
        let total: f32 = index.lengths.iter().sum();
        index.average = if index.lengths.is_empty() { 1.0 } else { (total / index.lengths.len() as f32).max(1.0) };
        index
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    /// Whether there are no documents.
    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// The best `limit` documents for `query` among those `keep` accepts, best first; equal
    /// scores keep document order, so results are the same on every run and replica.
    pub fn search(&self, query: &str, mut keep: impl FnMut(usize) -> bool, limit: usize) -> Vec<Hit> {
        let n = self.lengths.len() as f32;
        let mut scores = vec![0.0f32; self.lengths.len()];
        let mut touched = Vec::new();
        for term in query_terms(query) {
            let Some(postings) = self.postings.get(&term) else { continue };
            // Robertson–Spärck Jones IDF, +1 inside the log so common terms never count against.
            let df = postings.len() as f32;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            for &(doc, tf) in postings {
                let norm = K1 * (1.0 - B + B * self.lengths[doc as usize] / self.average);
                let slot = &mut scores[doc as usize];
                if *slot == 0.0 {
                    touched.push(doc as usize);
                }
                *slot += idf * tf * (K1 + 1.0) / (tf + norm);
            }
        }
        let mut hits: Vec<Hit> =
            touched.into_iter().filter(|&doc| keep(doc)).map(|doc| Hit { doc, score: scores[doc] }).collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
        hits.truncate(limit);
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(name: &str, method: &str, path: &str, description: &str, tags: &[&str]) -> Terms {
        let tags: Vec<String> = tags.iter().map(|t| (*t).to_owned()).collect();
        Fields { name, title: None, description, tags: &tags, method, path, params: vec![] }.document()
    }

    #[test]
    fn identifiers_split_into_stemmed_words() {
        assert_eq!(
            query_terms("listPets HTTPServer get-user_ids v2 the"),
            ["list", "pet", "http", "server", "get", "user", "id", "v2"]
        );
    }

    #[test]
    fn an_agent_phrasing_finds_the_operation() {
        let docs = [
            doc("list_pets", "GET", "/pets", "List all pets.", &["pets"]),
            doc("create_pet", "POST", "/pets", "Create a pet.", &["pets"]),
            doc("delete_pet", "DELETE", "/pets/{petId}", "Deletes a pet.", &["pets"]),
            doc("get_inventory", "GET", "/store/inventory", "Returns pet inventories by status.", &["store"]),
            doc("cancel_order", "DELETE", "/store/order/{orderId}", "Delete purchase order by ID.", &["store"]),
        ];
        let index = Index::new(&docs);
        let best = |q: &str| index.search(q, |_| true, 3).first().map(|h| h.doc);
        assert_eq!(best("remove a pet"), Some(2), "DELETE suggests remove");
        assert_eq!(best("add new pets"), Some(1), "POST suggests add/new, stemming joins pets/pet");
        assert_eq!(best("show every pet"), Some(0));
        assert_eq!(best("cancel my order"), Some(4));
        assert_eq!(best("stock inventory"), Some(3));
        assert!(index.search("zebra", |_| true, 3).is_empty());
        let filtered = index.search("pet", |d| d != 0 && d != 1, 5);
        assert!(filtered.iter().all(|h| h.doc >= 2) && !filtered.is_empty(), "{filtered:?}");
    }

    #[test]
    fn equal_scores_keep_document_order() {
        let docs = [doc("b", "GET", "/xyz", "", &[]), doc("a", "GET", "/xyz", "", &[])];
        let hits = Index::new(&docs).search("xyz", |_| true, 5);
        assert_eq!(hits.iter().map(|h| h.doc).collect::<Vec<_>>(), [0, 1]);
    }

    #[test]
    fn summary_is_the_first_sentence() {
        assert_eq!(summary("Find pets. Returns many.\nMore."), "Find pets.");
        assert_eq!(summary("  One line\nTwo"), "One line");
    }
}
