//! A tool's response-shaping plan: the part of the tool table that says how a result is cut
//! down after the upstream call (projection, item cap, size budget) and how its next page is
//! asked for. The generator derives it from the spec and the manifest; the runtime applies it.
//! Shared by both sides like the rest of the table (see docs/response-shaping.md).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// How one tool's results are shaped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ShapingDefinition {
    /// Most bytes of a result's JSON text (and its shaping note) returned; over it, list items
    /// (else the largest members) are left out, at JSON boundaries, with a note.
    pub max_result_bytes: u64,
    /// Most items of the list array returned per call (`None`: no cap besides the budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u32>,
    /// Dotted path of the list array in the response: `""` for a response that is an array,
    /// `data` for `{"data": [...]}`; `None`: not a list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<String>,
    /// Dotted path of the response member holding the total number of items, when the spec has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<String>,
    /// The projection argument, when the tool offers one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<FieldsDefinition>,
    /// The continuation argument and how the next page is found, when the tool pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paging: Option<PagingDefinition>,
    /// Members the response schema requires, as dotted paths from the response (arrays looked
    /// through, each checked where its parent is present), sorted. The declared output schema of
    /// a shaped tool has no `required` (a projection leaves members out), so the upstream's
    /// contract is checked against these before shaping.
    #[serde(default, skip_serializing_if = "PathList::is_empty")]
    pub required: PathList,
}

impl ShapingDefinition {
    /// The plan's path lists, each with what it is: the projection's paths (`fields`) and open
    /// paths (`open`), and the required paths (`required`); in the order of [`Self::lists_mut`].
    pub fn lists(&self) -> impl Iterator<Item = (&'static str, &PathList)> {
        let fields = self.fields.as_ref().into_iter().flat_map(|f| [("fields", &f.paths), ("open", &f.open)]);
        fields.chain(std::iter::once(("required", &self.required)))
    }

    /// The plan's path lists: the projection's paths and open paths, and the required paths.
    pub fn lists_mut(&mut self) -> impl Iterator<Item = &mut PathList> {
        let fields = self.fields.as_mut().into_iter().flat_map(|f| [&mut f.paths, &mut f.open]);
        fields.chain(std::iter::once(&mut self.required))
    }

    /// Puts back every list the table writes as a shared entry's name, from `lookup` (name →
    /// list, or why not).
    pub fn resolve_lists(
        &mut self,
        mut lookup: impl FnMut(&str) -> Result<Arc<[String]>, String>,
    ) -> Result<(), String> {
        for list in self.lists_mut() {
            if let Some(name) = list.shared() {
                let paths = lookup(name)?;
                list.resolve(paths);
            }
        }
        Ok(())
    }
}

/// The projection argument: a comma-separated list of dotted paths, relative to each list item
/// (list tools) or to the response (others).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FieldsDefinition {
    /// Name of the argument (`fields`, or `mcp_fields` when the operation has a `fields` of its own).
    pub arg: String,
    /// Every path the response schema defines, sorted; deeper paths below a path marked here as
    /// the depth limit are accepted too (see [`FieldsDefinition::open`]).
    pub paths: PathList,
    /// Paths at the depth limit whose values are objects: their members are not listed, and any
    /// path below them is accepted.
    #[serde(default, skip_serializing_if = "PathList::is_empty")]
    pub open: PathList,
}

/// A sorted list of dotted paths. Tools that return the same resource have the same lists, so
/// the table writes a list that several tools of an API have once, in the API's `{api}:paths`
/// table, and at each tool the entry's name instead of the array (issue 13: Microsoft Graph's
/// projection paths are 17.8 MB written per tool, 1.1 MB written once). Loading the table puts
/// the lists back ([`PathList::shared`], [`PathList::resolve`]); tools with the same list then
/// share it in memory too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathList {
    /// Name of the shared entry the table writes, until the list is resolved.
    shared: Option<String>,
    paths: Arc<[String]>,
}

impl PathList {
    /// Name of the shared entry standing for the list, while it is not resolved.
    pub fn shared(&self) -> Option<&str> {
        self.shared.as_deref()
    }

    /// Puts the shared entry's list in place of its name.
    pub fn resolve(&mut self, paths: Arc<[String]>) {
        self.shared = None;
        self.paths = paths;
    }

    /// Writes `name` in place of the list (the generator, for a list in the shared table).
    pub fn share(&mut self, name: String) {
        self.shared = Some(name);
        self.paths = Arc::from([]);
    }

    /// Whether it has no paths and stands for no shared list.
    pub fn is_empty(&self) -> bool {
        self.shared.is_none() && self.paths.is_empty()
    }
}

impl From<Vec<String>> for PathList {
    fn from(paths: Vec<String>) -> Self {
        Self { shared: None, paths: paths.into() }
    }
}

impl std::ops::Deref for PathList {
    type Target = [String];

    fn deref(&self) -> &[String] {
        &self.paths
    }
}

/// How the table writes a [`PathList`]: the paths, or the name of a shared entry.
#[derive(Deserialize)]
#[serde(untagged)]
enum PathListForm {
    Shared(String),
    Inline(Vec<String>),
}

impl Serialize for PathList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.shared {
            Some(name) => serializer.serialize_str(name),
            None => self.paths.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for PathList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match PathListForm::deserialize(deserializer)? {
            PathListForm::Shared(name) => Self { shared: Some(name), paths: Arc::from([]) },
            PathListForm::Inline(paths) => paths.into(),
        })
    }
}

/// Paging of a list tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PagingDefinition {
    /// Name of the argument taking a continuation handle (`continuation`, or `mcp_continuation`).
    pub arg: String,
    /// How the spec pages.
    pub style: PagingStyle,
}

/// The paging styles detected in specs. In every style a `Link: <…>; rel="next"` header in the
/// response, when present, is followed first (its query parameters become the next call's
/// arguments), because it is the API's own statement of the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "style", rename_all = "camelCase", deny_unknown_fields)]
pub enum PagingStyle {
    /// The next page starts after the last item's id (Stripe's `starting_after`), while the
    /// `has_more` member (if the response has one) is true.
    AfterLast {
        /// Argument taking the id.
        param: String,
        /// Path of the id in an item.
        id: String,
        /// Path of the boolean saying whether more items follow.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        has_more: Option<String>,
    },
    /// The response carries an opaque token (`next_cursor`, `nextPageToken`) the argument takes.
    Cursor {
        /// Argument taking the token.
        param: String,
        /// Path of the token in the response.
        token: String,
    },
    /// The response carries the next page's URL; its query parameters become arguments.
    NextUrl {
        /// Path of the URL in the response.
        next: String,
    },
    /// Numbered pages (`page` and `per_page`).
    Page {
        /// Argument taking the page number.
        param: String,
        /// Argument taking the page size, when the operation has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        size: Option<String>,
    },
    /// An offset into the whole list (`offset` and `limit`).
    Offset {
        /// Argument taking the offset.
        param: String,
        /// Argument taking the page size, when the operation has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<String>,
    },
    /// Only a `Link` header (declared by the response) says where the next page is.
    Link,
}
