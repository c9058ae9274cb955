//! The server definition: the data a generated crate embeds (`src/tools.json`) and the runtime executes.
//!
//! This is the contract between the generator and the runtime. The generator writes it as JSON, the
//! runtime reads it once at start-up. Keeping behaviour out of the generated code (and in this crate)
//! keeps generated servers small, fast to compile and testable here (see DESIGN.md decision 3).

use serde::{Deserialize, Serialize};

/// The whole generated server: identity, upstream APIs and the tool table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServerDefinition {
    /// Marker saying the file is generated; never read for behaviour.
    #[serde(rename = "@generated")]
    pub generated: String,
    /// Machine name of the server (MCP `serverInfo.name`).
    pub name: String,
    /// Human title of the server (MCP `serverInfo.title`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Version of the server (MCP `serverInfo.version`).
    pub version: String,
    /// What the server offers, sent to clients as `instructions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Upstream HTTP APIs, sorted by `id`.
    pub apis: Vec<ApiDefinition>,
    /// Tools, sorted by name; names are unique.
    pub tools: Vec<ToolDefinition>,
}

/// One upstream HTTP API the server calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApiDefinition {
    /// Identifier used by [`ToolDefinition::api`].
    pub id: String,
    /// Base URL from the manifest, e.g. `https://api.example.com/v1` (no trailing slash).
    pub base_url: String,
    /// Environment variable that overrides `base_url` at start-up, e.g. `PETSTORE_BASE_URL`.
    pub base_url_env: String,
}

/// One MCP tool and the HTTP operation it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ToolDefinition {
    /// The MCP tool exactly as listed to clients (`name`, `title`, `description`, `inputSchema`,
    /// `outputSchema`, `annotations`), in MCP wire JSON.
    pub tool: serde_json::Map<String, serde_json::Value>,
    /// Which [`ApiDefinition`] the operation belongs to.
    pub api: String,
    /// How tool arguments become an HTTP request.
    pub http: HttpMapping,
}

/// The HTTP side of a tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpMapping {
    /// Upper-case HTTP method, e.g. `GET`.
    pub method: String,
    /// Path template relative to the API base URL, e.g. `/pets/{petId}`.
    pub path: String,
    /// Parameters, in the order they appear in the spec.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<ParamMapping>,
    /// Request body, when the operation takes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<BodyMapping>,
}

/// Where a parameter goes in the HTTP request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamLocation {
    /// A `{name}` segment of the path template.
    Path,
    /// A query-string parameter.
    Query,
    /// A request header.
    Header,
    /// A cookie in the `Cookie` header.
    Cookie,
}

/// OpenAPI serialisation style of a parameter (only what changes the wire format).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ParamStyle {
    /// `form` (query, cookie default): `a=1&a=2` exploded, `a=1,2` otherwise.
    Form,
    /// `simple` (path, header default): `1,2`.
    Simple,
    /// `spaceDelimited` (query arrays): `a=1%202`.
    SpaceDelimited,
    /// `pipeDelimited` (query arrays): `a=1|2`.
    PipeDelimited,
    /// `label` (path): `.1.2` exploded, `.1,2` otherwise.
    Label,
    /// `matrix` (path): `;a=1;a=2` exploded, `;a=1,2` otherwise.
    Matrix,
    /// `deepObject` (query objects): `a[x]=1&a[y]=2`.
    DeepObject,
}

/// One parameter: tool argument `arg` → HTTP parameter `name` at `location`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ParamMapping {
    /// Property name in the tool's input schema.
    pub arg: String,
    /// Name on the wire (path placeholder, query key, header or cookie name).
    pub name: String,
    /// Where the parameter goes.
    pub location: ParamLocation,
    /// Whether the request cannot be made without it.
    pub required: bool,
    /// Serialisation style.
    pub style: ParamStyle,
    /// Whether arrays are exploded into repeated parameters.
    pub explode: bool,
}

/// The request body of a tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BodyMapping {
    /// Property name in the tool's input schema that holds the body (normally `body`).
    pub arg: String,
    /// Media type sent as `Content-Type`, e.g. `application/json`.
    pub content_type: String,
    /// Whether the body must be present.
    pub required: bool,
    /// How the argument is written on the wire.
    #[serde(default, skip_serializing_if = "BodyEncoding::is_json")]
    pub encoding: BodyEncoding,
    /// Per-property encoding of form and multipart bodies (OpenAPI `encoding`), by property name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldEncoding>,
}

/// How a body argument becomes bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BodyEncoding {
    /// The argument serialised as JSON.
    #[default]
    Json,
    /// An object, `application/x-www-form-urlencoded` (per-property styles from `fields`).
    Form,
    /// An object, `multipart/form-data`; binary fields arrive base64-encoded.
    Multipart,
    /// A string sent as it is (`text/plain`, XML, …).
    Text,
    /// A base64 string decoded to raw bytes (`application/octet-stream`, images, …).
    Binary,
}

impl BodyEncoding {
    /// Whether this is the default, JSON.
    pub fn is_json(&self) -> bool {
        *self == Self::Json
    }
}

/// Encoding of one property of a form or multipart body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FieldEncoding {
    /// Property name.
    pub name: String,
    /// Form style (default `form`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<ParamStyle>,
    /// Whether arrays and objects are exploded (default true for forms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explode: Option<bool>,
    /// Multipart: the value is a file, sent as bytes decoded from base64.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub binary: bool,
    /// Multipart: `Content-Type` of the part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}
