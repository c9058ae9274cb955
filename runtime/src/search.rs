//! Tool search for the discovery surface: how a query ranks tools by their search terms (which
//! `search_terms` makes of a tool).
//!
//! The generator compiles this same file (`#[path]` in mcpgen's `lib.rs`) to write each tool's
//! terms into `tools.json`, and the runtime uses it to process queries, so documents and queries
//! are tokenised, stemmed and expanded by one piece of code and cannot drift apart.
//!
//! Ranking is BM25F (Robertson, Zaragoza & Taylor, "Simple BM25 extension to multiple weighted
//! fields", 2004): each field's term counts are normalised by that field's length against its
//! average over the table, weighted, summed, then saturated once per term. Per-field
//! normalisation is what keeps a long description or parameter list from outweighing a match in
//! a short name. Two document priors follow, both read from the spec: a shallow path (the
//! collection `/users` rather than `/users/{id}/calendars/{id}/events`), as URL depth is a prior
//! in web search (Kraaij, Westerveld & Hiemstra, SIGIR 2002), and a description that says more
//! than the title (in generated-from-code specs such as Microsoft Graph's, the operations people
//! documented are the ones meant for use; the thousands of navigation stubs repeat their title).
//! The table ships raw counts per field; weights and normalisation live here, so they can change
//! without regenerating a server.
//!
//! Why not the `bm25` crate: its scorer ignores query-term weights and fields, stores one entry
//! per token occurrence and returns equal scores in hash order (results would change between
//! runs); the formula itself is the few lines of `Index::search`. Stemming is Snowball English
//! (`rust-stemmers`), stop words are NLTK's English list (`stop-words`), so "pets", "pet" and
//! "Pet" meet, and "list all customers" ranks on "list" and "customers".

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

pub use super::search_terms::{Field, Fields, Terms, param_names, summary, verbs};
use rust_stemmers::{Algorithm, Stemmer};

/// BM25 term-frequency saturation (the usual 1.2).
const K1: f32 = 1.2;
/// BM25 length normalisation, every field (the usual 0.75).
const B: f32 = 0.75;
/// Score divisor per path segment: `1 + DEPTH_PRIOR × depth`.
const DEPTH_PRIOR: f32 = 0.1;
/// Score factor of a tool whose description says more than its title.
const DESCRIBED_PRIOR: f32 = 1.5;
/// Score factor of a tool that does none of the actions the query asks for: "delete an email"
/// wants a DELETE (or an operation named *delete*), not `POST /me/authentication/emailMethods`,
/// however well *email* matches. The actions are the task words of [`verbs`]; a tool does one
/// when its method suggests it or its name or title says it (Graph's `POST …/cancel` cancels).
const ACTION_MISMATCH: f32 = 0.5;
/// Score factor, at most `1 + RESOURCE_MATCH`, by the share of a tool's resource the query's own
/// words name: "list all users in the organization" wants `GET /users`, whose resource is all
/// *users*, rather than a tool whose rarer words the context matches. IDF alone cannot say this
/// in a large API, where *user* is in thousands of paths and so weighs little. Tuned on the
/// evaluation sets (0.3: Graph recall@5 72.7 → 76.4 %, Stripe unchanged) and kept because the
/// held-out sets agreed (GitHub, Jira and Zoom +2–3 points, Box −2.7); 0.5 and more helped Graph
/// further but cost Zoom and Stripe.
const RESOURCE_MATCH: f32 = 0.3;
/// Score factor, `1 + PARENT_MATCH`, of a tool whose resource belongs to something the query
/// names: "add a member to a group" wants `/groups/{id}/members` more than
/// `/groups/{id}/team/members`, though both paths say *group*. Measured at 0.1, 0.15 and 0.3 on
/// every set: 0.1 kept every set's recall@5 on the evaluation sets and raised Box and Jira by a
/// task, and @1 on four sets (Jira +3 tasks); 0.15 and 0.3 lost Graph one and three tasks.
const PARENT_MATCH: f32 = 0.1;
/// Weight of a query word that follows a preposition, against 1 for the others: in "list the
/// files in a folder of a drive" the agent wants files; the folder and the drive say where (in a
/// tool, the path prefix rather than the resource). A query that starts with a preposition has
/// all its words at this weight, which ranks as if none were.
const CONTEXT_WEIGHT: f32 = 0.5;
/// Prepositions that introduce such context.
const PREPOSITIONS: &[&str] = &[
    "about", "across", "among", "at", "between", "by", "for", "from", "in", "inside", "into", "of", "on", "over",
    "per", "through", "to", "under", "via", "with", "within",
];
/// Weight of a term a query gets from the manifest's synonyms, against 1 for its own words: the
/// words the agent typed still decide between tools that match a synonym.
const SYNONYM_WEIGHT: f32 = 0.8;
/// Weight of a term a query gets from the built-in API vocabulary ([`super::lexicon`]): below the
/// manifest's synonyms, which name this API's own words.
const LEXICON_WEIGHT: f32 = 0.5;
/// Shortest part a compound is split into: shorter ones (`in` + `voice`) split ordinary words.
const COMPOUND_PART: usize = 3;

/// The task words of every method ([`verbs`]), stemmed: the actions a query can ask for.
static ACTIONS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let stemmer = Stemmer::create(Algorithm::English);
    let mut actions: Vec<String> = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
        .into_iter()
        .flat_map(verbs)
        .map(|verb| stemmer.stem(verb).into_owned())
        .collect();
    actions.sort();
    actions.dedup();
    assert!(actions.len() <= 32, "the actions are bits of a u32");
    actions
});

/// The bit of `term` among [`ACTIONS`] (0: not an action).
fn action_bit(term: &str) -> u32 {
    ACTIONS.iter().position(|a| a == term).map_or(0, |at| 1 << at)
}

/// Splits `text` into lower-case words at every non-alphanumeric character and at case changes
/// (`listPets`, `list_pets`, `list-pets` and `ListPETs` all give `list`, `pets`), drops stop words
/// and stems the rest. A hyphenated word with a short part (a prefix or particle of at most two
/// letters) also gives its parts joined (`to-do` → `todo`, `e-mail` → `email`, `re-run` →
/// `rerun`, `sign-in` → `signin`), the way specs often spell it; `get-user` stays two words.
pub(crate) fn tokens(stemmer: &Stemmer, text: &str, keep_stop_words: bool) -> Vec<String> {
    let mut words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .flat_map(split_case)
        .map(str::to_lowercase)
        .filter(|w| w.len() > 1 || w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    for run in text.split(|c: char| !c.is_alphanumeric() && c != '-') {
        let parts: Vec<&str> = run.split('-').collect();
        let alphabetic = parts.iter().all(|p| !p.is_empty() && p.chars().all(char::is_alphabetic));
        if parts.len() > 1 && alphabetic && parts.iter().any(|p| p.len() <= 2) {
            words.push(parts.concat().to_lowercase());
        }
    }
    words.into_iter().filter(|w| keep_stop_words || !is_stop_word(w)).map(|w| stemmer.stem(&w).into_owned()).collect()
}

/// Whether `word` (lower case) is an English stop word.
fn is_stop_word(word: &str) -> bool {
    static STOP_WORDS: LazyLock<HashSet<&'static str>> =
        LazyLock::new(|| stop_words::get("en").iter().copied().collect());
    STOP_WORDS.contains(word)
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
    for term in tokens(&stemmer, query, false) {
        if !terms.contains(&term) {
            terms.push(term);
        }
    }
    terms
}

/// Lower-case stemmed words of `text`, stop words kept: how [`super::lexicon`] phrases and a
/// query are compared ("log in", "who am I").
fn phrase_words(stemmer: &Stemmer, text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .flat_map(split_case)
        .map(|w| stemmer.stem(&w.to_lowercase()).into_owned())
        .collect()
}

/// A term a query looks for.
#[derive(Debug, Clone, PartialEq)]
struct QueryTerm {
    /// The stemmed term.
    term: String,
    /// How much a match counts (1 for the query's own words).
    weight: f32,
}

/// Adds `term` to `terms` unless the query already looks for it.
fn push_term(terms: &mut Vec<QueryTerm>, term: &str, weight: f32) {
    if !terms.iter().any(|t| t.term == term) {
        terms.push(QueryTerm { term: term.to_owned(), weight });
    }
}

/// A rule of the built-in API vocabulary, processed for matching.
struct LexiconRule {
    /// The phrase's words ([`phrase_words`]).
    phrase: Vec<String>,
    /// The phrase's own search terms (stop words dropped, [`query_terms`]).
    words: Vec<String>,
    /// The terms it adds to a query containing it.
    terms: Vec<String>,
    /// Whether the phrase means something else than its words (its terms replace theirs).
    idiom: bool,
}

/// Stemmed words of a lexicon expansion. Stop words are kept: `me` is the resource of
/// `GET /me`, and path literals are indexed with theirs ([`Fields::document`]).
fn expansion_terms(stemmer: &Stemmer, text: &str) -> Vec<String> {
    text.split_whitespace().map(|w| stemmer.stem(&w.to_lowercase()).into_owned()).collect()
}

/// [`super::lexicon::RULES`], processed once.
static LEXICON: LazyLock<Vec<LexiconRule>> = LazyLock::new(|| {
    let stemmer = Stemmer::create(Algorithm::English);
    super::lexicon::RULES
        .iter()
        .map(|(phrase, terms)| {
            let (idiom, terms) = match terms.strip_prefix('=') {
                Some(terms) => (true, terms),
                None => (false, *terms),
            };
            LexiconRule {
                phrase: phrase_words(&stemmer, phrase),
                words: query_terms(phrase),
                terms: expansion_terms(&stemmer, terms),
                idiom,
            }
        })
        .filter(|rule| !rule.phrase.is_empty())
        .collect()
});

/// One ranked document.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Position of the document in the order it was indexed.
    pub doc: usize,
    /// BM25F score with the priors (higher is better; only comparable within one query).
    pub score: f32,
}

/// An inverted index over documents, built once at start-up.
#[derive(Debug, Default)]
pub struct Index {
    /// Term → (document, field-weighted length-normalised count), documents ascending.
    postings: HashMap<String, Vec<(u32, f32)>>,
    /// Each document's prior factor.
    priors: Vec<f32>,
    /// Per document, the actions ([`ACTIONS`]) it does, as bits.
    actions: Vec<u32>,
    /// Per document, the terms of its resource ([`Field::Resource`]).
    resources: Vec<Box<[String]>>,
    /// Per document, the last term of the path literal before its resource: what the resource
    /// belongs to (`/groups/{id}/members` → group).
    parents: Vec<Option<String>>,
    /// Stemmed query term → the stemmed terms its synonyms add.
    synonyms: HashMap<String, Vec<String>>,
}

impl Index {
    /// Indexes `documents`; hits refer to them by position.
    pub fn new<'a>(documents: impl IntoIterator<Item = &'a Terms>) -> Self {
        let documents: Vec<&Terms> = documents.into_iter().collect();
        let length = |doc: &Terms, field: Field| -> f32 {
            doc.fields.get(&field).map_or(0, |terms| terms.split(' ').count()) as f32
        };
        let mut average: BTreeMap<Field, f32> = BTreeMap::new();
        for field in Field::ALL {
            let total: f32 = documents.iter().map(|d| length(d, field)).sum();
            average.insert(field, (total / documents.len().max(1) as f32).max(f32::MIN_POSITIVE));
        }
        let mut index = Index::default();
        for (doc, terms) in documents.iter().enumerate() {
            let mut weighted: BTreeMap<&str, f32> = BTreeMap::new();
            for (&field, text) in &terms.fields {
                let norm = 1.0 - B + B * length(terms, field) / average[&field];
                for term in text.split(' ') {
                    *weighted.entry(term).or_insert(0.0) += field.weight() / norm;
                }
            }
            for (term, tf) in weighted {
                index.postings.entry(term.to_owned()).or_default().push((doc as u32, tf));
            }
            let described = if terms.described { DESCRIBED_PRIOR } else { 1.0 };
            index.priors.push(described / (1.0 + DEPTH_PRIOR * terms.depth as f32));
            let said = [Field::Verb, Field::Name, Field::Title].into_iter().filter_map(|f| terms.fields.get(&f));
            index.actions.push(said.flat_map(|text| text.split(' ')).map(action_bit).fold(0, |bits, bit| bits | bit));
            let resource = terms.fields.get(&Field::Resource).map(String::as_str).unwrap_or_default();
            let resource: Box<[String]> = resource.split(' ').filter(|t| !t.is_empty()).map(str::to_owned).collect();
            let path: Vec<&str> = terms.fields.get(&Field::Path).map(|p| p.split(' ').collect()).unwrap_or_default();
            let at = (!resource.is_empty() && path.len() >= resource.len())
                .then(|| (0..=path.len() - resource.len()).rev().find(|&i| path[i..i + resource.len()] == resource[..]))
                .flatten();
            index.parents.push(at.filter(|&i| i > 0).map(|i| path[i - 1].to_owned()));
            index.resources.push(resource);
        }
        index.split_compounds();
        index
    }

    /// Makes a word the API writes as one compound of two of its own words (`worklog`,
    /// `changelog`, `voicemail`, `webhook`) also count as each of its parts, so
    /// "log time" and "voice mail" find them. Both parts must be terms of the index, which is
    /// what keeps ordinary words whole: the spec itself says which words it combines.
    fn split_compounds(&mut self) {
        let stemmer = Stemmer::create(Algorithm::English);
        let mut added: BTreeMap<String, BTreeMap<u32, f32>> = BTreeMap::new();
        for (term, postings) in &self.postings {
            let Some((left, right)) = self.compound_parts(&stemmer, term) else { continue };
            for part in [left, right] {
                let slots = added.entry(part).or_default();
                for &(doc, tf) in postings {
                    *slots.entry(doc).or_insert(0.0) += tf;
                }
            }
        }
        for (part, slots) in added {
            let postings = self.postings.entry(part).or_default();
            for (doc, tf) in slots {
                match postings.binary_search_by_key(&doc, |&(d, _)| d) {
                    Ok(at) => postings[at].1 += tf,
                    Err(at) => postings.insert(at, (doc, tf)),
                }
            }
        }
    }

    /// The index terms `term` is a compound of (the left part as its stem), if any: the split
    /// with the shortest left part of at least [`COMPOUND_PART`] letters.
    fn compound_parts(&self, stemmer: &Stemmer, term: &str) -> Option<(String, String)> {
        if term.len() < 2 * COMPOUND_PART || !term.bytes().all(|b| b.is_ascii_lowercase()) {
            return None;
        }
        (COMPOUND_PART..=term.len() - COMPOUND_PART).find_map(|at| {
            let (left, right) = term.split_at(at);
            if !self.postings.contains_key(right) {
                return None;
            }
            let stem = if self.postings.contains_key(left) { left.to_owned() } else { stemmer.stem(left).into_owned() };
            self.postings.contains_key(&stem).then(|| (stem, right.to_owned()))
        })
    }

    /// Makes queries with a word of `synonyms` (word → the API's words for it) also look for
    /// its synonyms; words and synonyms are tokenised and stemmed as documents are.
    pub fn with_synonyms(mut self, synonyms: &BTreeMap<String, Vec<String>>) -> Self {
        for (word, alternatives) in synonyms {
            for term in query_terms(word) {
                let added = self.synonyms.entry(term).or_default();
                for alternative in alternatives {
                    for synonym in query_terms(alternative) {
                        if !added.contains(&synonym) {
                            added.push(synonym);
                        }
                    }
                }
            }
        }
        self
    }

    /// The query's terms: its own words — those after a preposition count as context, at
    /// [`CONTEXT_WEIGHT`] — then what their synonyms add, then what the built-in vocabulary's
    /// phrases found in the query add.
    fn weighted_terms(&self, query: &str) -> Vec<QueryTerm> {
        let stemmer = Stemmer::create(Algorithm::English);
        let mut own: Vec<QueryTerm> = Vec::new();
        // Every word, stemmed, stop words kept, with its weight: what lexicon phrases match.
        let mut sequence: Vec<(String, f32)> = Vec::new();
        let mut context = false;
        for word in query.split(|c: char| !c.is_alphanumeric() && c != '-') {
            let preposition = PREPOSITIONS.contains(&word.to_lowercase().as_str());
            context |= preposition;
            let weight = if context { CONTEXT_WEIGHT } else { 1.0 };
            sequence.extend(phrase_words(&stemmer, word).into_iter().map(|w| (w, weight)));
            if !preposition {
                for term in tokens(&stemmer, word, false) {
                    push_term(&mut own, &term, weight);
                }
            }
        }
        let mut terms = own.clone();
        for own in &own {
            for synonym in self.synonyms.get(&own.term).into_iter().flatten() {
                push_term(&mut terms, synonym, own.weight * SYNONYM_WEIGHT);
            }
        }
        let words: Vec<&str> = sequence.iter().map(|(w, _)| w.as_str()).collect();
        for rule in LEXICON.iter() {
            for (at, window) in words.windows(rule.phrase.len()).enumerate() {
                if window != rule.phrase.as_slice() {
                    continue;
                }
                if rule.idiom {
                    // "logged in" is not about logs: the phrase's own words stop counting.
                    terms.retain(|t| !rule.words.contains(&t.term));
                }
                for term in &rule.terms {
                    push_term(&mut terms, term, sequence[at].1 * LEXICON_WEIGHT);
                }
            }
        }
        terms
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.priors.len()
    }

    /// Whether there are no documents.
    pub fn is_empty(&self) -> bool {
        self.priors.is_empty()
    }

    /// The best `limit` documents for `query` among those `keep` accepts, best first; equal
    /// scores keep document order, so results are the same on every run and replica.
    pub fn search(&self, query: &str, mut keep: impl FnMut(usize) -> bool, limit: usize) -> Vec<Hit> {
        let n = self.priors.len() as f32;
        let mut scores = vec![0.0f32; self.priors.len()];
        let mut touched = Vec::new();
        let terms = self.weighted_terms(query);
        // The actions the query's own words ask for (not context, synonyms or vocabulary).
        let asked = terms.iter().filter(|t| t.weight >= 1.0).map(|t| action_bit(&t.term)).fold(0, |b, bit| b | bit);
        let named: Vec<String> = terms.iter().filter(|t| t.weight >= 1.0).map(|t| t.term.clone()).collect();
        let own = query_terms(query);
        let resource_factor = |doc: usize| {
            let resource = &self.resources[doc];
            let matched = resource.iter().filter(|t| named.contains(t)).count();
            let parent = self.parents[doc].as_ref().is_some_and(|p| own.contains(p) && !resource.contains(p));
            (1.0 + RESOURCE_MATCH * matched as f32 / resource.len().max(1) as f32)
                * if parent { 1.0 + PARENT_MATCH } else { 1.0 }
        };
        for term in terms {
            let Some(postings) = self.postings.get(&term.term) else { continue };
            // Robertson–Spärck Jones IDF, +1 inside the log so common terms never count against.
            let df = postings.len() as f32;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            for &(doc, tf) in postings {
                let slot = &mut scores[doc as usize];
                if *slot == 0.0 {
                    touched.push(doc as usize);
                }
                *slot += term.weight * idf * tf * (K1 + 1.0) / (tf + K1);
            }
        }
        let mut hits: Vec<Hit> = touched
            .into_iter()
            .filter(|&doc| keep(doc))
            .map(|doc| {
                let agrees = asked == 0 || self.actions[doc] & asked != 0;
                let action = if agrees { 1.0 } else { ACTION_MISMATCH };
                Hit { doc, score: scores[doc] * self.priors[doc] * action * resource_factor(doc) }
            })
            .collect();
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
        assert_eq!(query_terms("my to-do list, re-run an e-mail"), ["list", "run", "mail", "todo", "rerun", "email"]);
        assert_eq!(query_terms("list all of the customers"), ["list", "custom"], "NLTK stop words");
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
    fn a_short_field_match_outweighs_repetition_in_a_long_one() {
        let long = "Returns a list of invoices. Each comes with its customer, the customer's address, the \
                    customer's tax ids and the invoice lines, paginated by customer.";
        let docs = [
            doc("get_invoices", "GET", "/v1/invoices", long, &[]),
            doc("get_customers", "GET", "/v1/customers", "Returns your customers.", &[]),
        ];
        let index = Index::new(&docs);
        assert_eq!(index.search("list customers", |_| true, 2)[0].doc, 1, "the resource and name say customers");
    }

    #[test]
    fn a_tool_that_does_none_of_the_asked_actions_ranks_below_one_that_does() {
        let docs = [
            doc("create_email_methods", "POST", "/me/authentication/emailMethods", "Create an email method.", &[]),
            doc("list_email_methods", "GET", "/me/authentication/emailMethods", "List email methods.", &[]),
            doc("delete_messages", "DELETE", "/me/messages/{id}", "Delete navigation property messages for me.", &[]),
            // POST, but its name says what it does.
            doc("cancel_event", "POST", "/me/events/{id}/cancel", "Cancel an event.", &[]),
            doc("get_event", "GET", "/me/events/{id}", "Get an event.", &[]),
        ];
        // Deleting is common in an API; email methods are rare, so *email* weighs more than *delete*.
        let others: Vec<Terms> = ["users", "groups", "drives", "sites", "teams", "chats"]
            .iter()
            .map(|r| doc(&format!("delete_{r}"), "DELETE", &format!("/{r}/{{id}}"), "Delete it.", &[]))
            .collect();
        let index = Index::new(docs.iter().chain(&others));
        assert_eq!(index.search("delete an email", |_| true, 3)[0].doc, 2);
        assert_eq!(index.search("cancel the event", |_| true, 3)[0].doc, 3);
        // No action asked: the email methods rank as before.
        assert!(index.search("email methods", |_| true, 3)[0].doc < 2);
    }

    #[test]
    fn a_tool_whose_resource_the_query_names_outranks_one_only_its_context_matches() {
        let docs = [
            doc("list_organization", "GET", "/organization", "List organization.", &[]),
            doc("list_users", "GET", "/users", "List users.", &[]),
        ];
        // *user* is in every path of a large API, so it weighs little against *organization*.
        let nested: Vec<Terms> = (0..24)
            .map(|r| {
                let path = if r % 4 == 0 { format!("/users/{{id}}/r{r}") } else { format!("/sites/{{id}}/r{r}") };
                doc(&format!("list_r{r}"), "GET", &path, "List them.", &[])
            })
            .collect();
        let index = Index::new(docs.iter().chain(&nested));
        let hits = index.search("list all users in the organization", |_| true, 3);
        assert_eq!(hits[0].doc, 1);
    }

    #[test]
    fn a_tool_whose_resource_belongs_to_what_the_query_names_ranks_first() {
        let docs = [
            doc("create_members", "POST", "/groups/{id}/team/members", "Add a member.", &[]),
            doc("create_members", "POST", "/teams/{id}/groups/members", "Add a member.", &[]),
        ];
        let index = Index::new(&docs);
        assert_eq!(index.parents, [Some("team".to_owned()), Some("group".to_owned())]);
        assert_eq!(index.search("add a member to a group", |_| true, 2)[0].doc, 1, "the group's members");
        assert_eq!(index.search("add a member to a team", |_| true, 2)[0].doc, 0, "the team's members");
    }

    #[test]
    fn odata_system_segments_and_qualified_functions_do_not_name_the_resource() {
        let resource = |path: &str| doc("x", "POST", path, "", &[]).fields[&Field::Resource].clone();
        assert_eq!(resource("/groups/{id}/members/$ref"), "member");
        assert_eq!(resource("/groups/{id}/microsoft.graph.validateProperties"), "valid properti");
        assert_eq!(resource("/$batch"), "batch");
    }

    #[test]
    fn priors_prefer_shallow_and_documented_operations() {
        let docs = [
            doc("users_user_list_user", "GET", "/users/{id}/manager/users", "List users.", &[]),
            doc("list_users", "GET", "/users", "List users.", &[]),
        ];
        assert_eq!(Index::new(&docs).search("users", |_| true, 2)[0].doc, 1, "the shallower path");
        let stub = Fields {
            name: "list_groups",
            title: Some("List groups"),
            description: "List groups",
            method: "GET",
            path: "/groups",
            ..Default::default()
        };
        let documented = Fields { description: "List all the groups of an organization.", ..stub.clone() };
        let (stub, documented) = (stub.document(), documented.document());
        assert!(!stub.described && documented.described);
        assert_eq!(Index::new([&stub, &documented]).search("groups", |_| true, 2)[0].doc, 1, "the documented one");
    }

    #[test]
    fn manifest_synonyms_bring_the_apis_words_into_a_query() {
        let docs = [
            doc("get_manager", "GET", "/me/manager", "Returns the user's manager.", &[]),
            doc("get_photo", "GET", "/me/photo", "Returns the user's photo.", &[]),
        ];
        assert!(Index::new(&docs).search("who is my chief", |_| true, 2).is_empty());
        let synonyms = BTreeMap::from([("chief".to_owned(), vec!["manager".to_owned(), "line manager".to_owned()])]);
        let index = Index::new(&docs).with_synonyms(&synonyms);
        assert_eq!(index.search("who is my chief", |_| true, 2).iter().map(|h| h.doc).collect::<Vec<_>>(), [0]);
        let terms = |query: &str| -> Vec<(String, f32)> {
            index.weighted_terms(query).into_iter().map(|t| (t.term, t.weight)).collect()
        };
        assert_eq!(terms("chiefs"), [("chief".to_owned(), 1.0), ("manag".to_owned(), 0.8), ("line".to_owned(), 0.8)]);
        assert_eq!(
            terms("count of the chief"),
            [("count".to_owned(), 1.0), ("chief".to_owned(), 0.5), ("manag".to_owned(), 0.4), ("line".to_owned(), 0.4)],
            "words after a preposition are context"
        );
    }

    #[test]
    fn the_built_in_vocabulary_maps_how_people_ask_to_api_words() {
        let docs = [
            doc("get_manager", "GET", "/me/manager", "Returns the user's manager.", &[]),
            doc("get_me", "GET", "/me", "Returns the signed-in user.", &[]),
            doc("list_audit_logs", "GET", "/audit/logs", "Lists audit logs.", &[]),
            doc("delete_message", "DELETE", "/me/messages/{id}", "Deletes a message.", &[]),
            doc("get_mail_tips", "POST", "/me/getMailTips", "Returns mail tips.", &[]),
        ];
        let index = Index::new(&docs);
        let best = |q: &str| index.search(q, |_| true, 1).first().map(|h| h.doc);
        assert_eq!(best("who is my boss"), Some(0), "boss → manager");
        assert_eq!(best("who am I logged in as"), Some(1), "an idiom: `me`, not logs");
        assert_eq!(best("remove an email"), Some(3), "email → message; not `send` on every POST");
        let people = [
            doc("list_member_of", "GET", "/me/memberOf", "Groups the user is a member of.", &[]),
            doc("list_users", "GET", "/users", "List users.", &[]),
        ];
        let people = Index::new(&people);
        assert_eq!(people.search("who works here", |_| true, 1)[0].doc, 1, "the users, not memberships");
        let terms: Vec<(String, f32)> =
            index.weighted_terms("show me the boss").into_iter().map(|t| (t.term, t.weight)).collect();
        assert!(terms.contains(&("boss".to_owned(), 1.0)) && terms.contains(&("manag".to_owned(), LEXICON_WEIGHT)));
    }

    #[test]
    fn a_day_asks_for_a_calendar_view() {
        let docs = [
            doc("get_schedule", "POST", "/me/calendar/getSchedule", "Get the free/busy schedule of users.", &[]),
            doc("list_calendar_view", "GET", "/me/calendarView", "The calendar view of the calendar.", &[]),
            doc("list_past_meetings", "GET", "/past_meetings", "List past meetings.", &[]),
            doc("list_meetings", "GET", "/meetings", "List meetings.", &[]),
        ];
        let index = Index::new(&docs);
        let best = |q: &str| index.search(q, |_| true, 1).first().map(|h| h.doc);
        assert_eq!(best("what is on my agenda tomorrow"), Some(1));
        assert_eq!(best("meetings I had yesterday"), Some(2));
    }

    #[test]
    fn compounds_of_the_apis_own_words_also_count_as_their_parts() {
        let docs = [
            doc("add_worklog", "POST", "/issue/{id}/worklog", "Adds a worklog.", &[]),
            doc("list_work_items", "GET", "/work/items", "Lists work items.", &[]),
            doc("get_log", "GET", "/log", "Returns the log.", &[]),
            doc("get_invoice", "GET", "/invoices/{id}", "Returns an invoice.", &[]),
            doc("get_voice", "GET", "/voice", "Returns a voice.", &[]),
        ];
        let index = Index::new(&docs);
        let hits = |q: &str| index.search(q, |_| true, 5).iter().map(|h| h.doc).collect::<Vec<_>>();
        assert!(hits("log my work").contains(&0), "worklog = work + log, both the API's words");
        assert!(!hits("voice").contains(&3), "parts shorter than three letters (in + voice) stay whole");
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
