//! The rules of each client profile, as data: what the client refuses and where that is written
//! down. `docs/profiles.md` is the same table for people; a unit test keeps the two in step.

use super::Profile;

/// One thing a client refuses in a tool definition.
#[derive(Debug)]
pub struct Rule {
    /// Stable diagnostic code, `mcpgen::profile::<profile>::<rule>`.
    pub code: &'static str,
    /// The profile the rule belongs to.
    pub profile: Profile,
    /// What the client refuses, one clause (reads after "tools break: ").
    pub summary: &'static str,
    /// Where the rule is written: the provider's page and section, or the reports it rests on.
    pub source: &'static str,
    /// `false` when no provider page states it and it rests on reported rejections.
    pub documented: bool,
}

const OPENAI_SO: &str = "https://platform.openai.com/docs/guides/structured-outputs#supported-schemas";
const OPENAI_FN: &str = "https://platform.openai.com/docs/api-reference/chat/create#chat-create-tools (function.name)";
const GEMINI_SCHEMA: &str = "https://ai.google.dev/api/caching#Schema";
const GEMINI_FN: &str = "https://ai.google.dev/api/caching#FunctionDeclaration";
const VERTEX_FN: &str =
    "https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1beta1/FunctionDeclaration";
const ANTHROPIC_TOOLS: &str = "https://platform.claude.com/docs/en/agents-and-tools/tool-use/define-tools";
const ANTHROPIC_API: &str =
    "https://platform.claude.com/docs/en/api/messages (tools[].input_schema: `type` is the constant \"object\")";

/// The openai rule `root` (see its `summary`).
pub static OPENAI_ROOT: Rule = Rule {
    code: "mcpgen::profile::openai_strict::root",
    profile: Profile::OpenaiStrict,
    summary: "the root schema must be an object and not `anyOf`",
    source: OPENAI_SO,
    documented: true,
};
/// The openai rule `required` (see its `summary`).
pub static OPENAI_REQUIRED: Rule = Rule {
    code: "mcpgen::profile::openai_strict::required",
    profile: Profile::OpenaiStrict,
    summary: "every property must be listed in `required` (optional ones as nullable)",
    source: OPENAI_SO,
    documented: true,
};
/// The openai rule `additional` (see its `summary`).
pub static OPENAI_ADDITIONAL: Rule = Rule {
    code: "mcpgen::profile::openai_strict::additional_properties",
    profile: Profile::OpenaiStrict,
    summary: "every object must set `additionalProperties: false`",
    source: OPENAI_SO,
    documented: true,
};
/// The openai rule `keyword` (see its `summary`).
pub static OPENAI_KEYWORD: Rule = Rule {
    code: "mcpgen::profile::openai_strict::keyword",
    profile: Profile::OpenaiStrict,
    summary: "`allOf`, `oneOf`, `not`, `if`/`then`/`else`, `dependentRequired`, `dependentSchemas` are not supported",
    source: OPENAI_SO,
    documented: true,
};
/// The openai rule `limits` (see its `summary`).
pub static OPENAI_LIMITS: Rule = Rule {
    code: "mcpgen::profile::openai_strict::limits",
    profile: Profile::OpenaiStrict,
    summary: "over a size limit (5,000 properties, 10 levels of nesting, 1,000 enum values, 120,000 characters)",
    source: OPENAI_SO,
    documented: true,
};
/// The openai rule `name` (see its `summary`).
pub static OPENAI_NAME: Rule = Rule {
    code: "mcpgen::profile::openai_strict::name",
    profile: Profile::OpenaiStrict,
    summary: "the function name must be a-z, A-Z, 0-9, `_` or `-`, at most 64 characters",
    source: OPENAI_FN,
    documented: true,
};

/// The gemini rule `name` (see its `summary`).
pub static GEMINI_NAME: Rule = Rule {
    code: "mcpgen::profile::gemini::name",
    profile: Profile::Gemini,
    summary: "the function name must start with a letter or `_` and hold only a-z, A-Z, 0-9, `_`, `.`, `-` \
              (at most 64 characters)",
    source: GEMINI_FN,
    documented: true,
};
/// The gemini rule `parameter_name` (see its `summary`).
pub static GEMINI_PARAMETER_NAME: Rule = Rule {
    code: "mcpgen::profile::gemini::parameter_name",
    profile: Profile::Gemini,
    summary: "parameter names must start with a letter or `_` and hold only a-z, A-Z, 0-9, `_` (at most 64)",
    source: VERTEX_FN,
    documented: true,
};
/// The gemini rule `ref` (see its `summary`).
pub static GEMINI_REF: Rule = Rule {
    code: "mcpgen::profile::gemini::ref",
    profile: Profile::Gemini,
    summary: "`$ref`, `$defs` and `definitions` are no fields of `Schema` (references must be inlined)",
    source: GEMINI_SCHEMA,
    documented: true,
};
/// The gemini rule `additional` (see its `summary`).
pub static GEMINI_ADDITIONAL: Rule = Rule {
    code: "mcpgen::profile::gemini::additional_properties",
    profile: Profile::Gemini,
    summary: "`additionalProperties` is no field of `Schema`",
    source: GEMINI_SCHEMA,
    documented: true,
};
/// The gemini rule `composition` (see its `summary`).
pub static GEMINI_COMPOSITION: Rule = Rule {
    code: "mcpgen::profile::gemini::composition",
    profile: Profile::Gemini,
    summary: "`oneOf`, `allOf`, `not`, `if`/`then`/`else` are no fields of `Schema` (only `anyOf` is)",
    source: GEMINI_SCHEMA,
    documented: true,
};
/// The gemini rule `type` (see its `summary`).
pub static GEMINI_TYPE: Rule = Rule {
    code: "mcpgen::profile::gemini::type",
    profile: Profile::Gemini,
    summary: "`type` is one `Type` value, not a list (`nullable: true` stands for `null`)",
    source: GEMINI_SCHEMA,
    documented: true,
};
/// The gemini rule `enum` (see its `summary`).
pub static GEMINI_ENUM: Rule = Rule {
    code: "mcpgen::profile::gemini::enum",
    profile: Profile::Gemini,
    summary: "`enum` holds strings only",
    source: GEMINI_SCHEMA,
    documented: true,
};
/// The gemini rule `keyword` (see its `summary`).
pub static GEMINI_KEYWORD: Rule = Rule {
    code: "mcpgen::profile::gemini::keyword",
    profile: Profile::Gemini,
    summary: "keywords outside `Schema`'s fields (`examples`, `const`, `readOnly`, …) and `true`/`false` schemas",
    source: GEMINI_SCHEMA,
    documented: true,
};

/// The anthropic rule `name` (see its `summary`).
pub static ANTHROPIC_NAME: Rule = Rule {
    code: "mcpgen::profile::anthropic::name",
    profile: Profile::Anthropic,
    summary: "the tool name must match `^[a-zA-Z0-9_-]{1,64}$`",
    source: ANTHROPIC_TOOLS,
    documented: true,
};
/// The anthropic rule `root` (see its `summary`).
pub static ANTHROPIC_ROOT: Rule = Rule {
    code: "mcpgen::profile::anthropic::root",
    profile: Profile::Anthropic,
    summary: "`input_schema` must have `type: object`",
    source: ANTHROPIC_API,
    documented: true,
};
/// The anthropic rule `composition` (see its `summary`).
pub static ANTHROPIC_COMPOSITION: Rule = Rule {
    code: "mcpgen::profile::anthropic::composition",
    profile: Profile::Anthropic,
    summary: "`oneOf`, `allOf` or `anyOf` at the top level of `input_schema` (the API answers 400; Claude Code \
              drops the tool)",
    source: "reported: the Messages API error \"input_schema does not support oneOf, allOf, or anyOf at the top \
             level\" (https://github.com/anthropics/claude-code/issues/4886, \
             https://github.com/anthropics/claude-code/issues/45106)",
    documented: false,
};

/// The cursor rule `name_length` (see its `summary`).
pub static CURSOR_NAME_LENGTH: Rule = Rule {
    code: "mcpgen::profile::cursor::name_length",
    profile: Profile::Cursor,
    summary: "server name + tool name of 60 characters or more are filtered out",
    source: "reported: Cursor's warning \"Combined server and tool name length (60) exceeds 60 characters\" \
             (https://github.com/ComposioHQ/composio/issues/2788, https://github.com/awslabs/mcp/issues/1283)",
    documented: false,
};

/// The portable rule `name` (see its `summary`).
pub static PORTABLE_NAME: Rule = Rule {
    code: "mcpgen::profile::portable::name",
    profile: Profile::Portable,
    summary: "the tool name must be a-z, A-Z, 0-9, `_` or `-`, start with a letter or `_`, at most 64 characters",
    source: "the name rules of openai-strict, gemini and anthropic together (see their rows)",
    documented: true,
};
/// The portable rule `root` (see its `summary`).
pub static PORTABLE_ROOT: Rule = Rule {
    code: "mcpgen::profile::portable::root",
    profile: Profile::Portable,
    summary: "the input schema must be `type: object` without `anyOf`/`oneOf`/`allOf` at the top level",
    source: "https://modelcontextprotocol.io/specification/2025-11-25/server/tools#tool (inputSchema: type \
             object), with the root rules of openai-strict, gemini and anthropic",
    documented: true,
};

/// Every rule, in the order `docs/profiles.md` lists them.
pub static RULES: &[&Rule] = &[
    &OPENAI_ROOT,
    &OPENAI_REQUIRED,
    &OPENAI_ADDITIONAL,
    &OPENAI_KEYWORD,
    &OPENAI_LIMITS,
    &OPENAI_NAME,
    &GEMINI_NAME,
    &GEMINI_PARAMETER_NAME,
    &GEMINI_REF,
    &GEMINI_ADDITIONAL,
    &GEMINI_COMPOSITION,
    &GEMINI_TYPE,
    &GEMINI_ENUM,
    &GEMINI_KEYWORD,
    &ANTHROPIC_NAME,
    &ANTHROPIC_ROOT,
    &ANTHROPIC_COMPOSITION,
    &CURSOR_NAME_LENGTH,
    &PORTABLE_NAME,
    &PORTABLE_ROOT,
];
