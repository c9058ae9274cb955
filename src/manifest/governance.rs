//! Manifest sections about governance: tool ownership and lifecycle, approval (default-deny and
//! destructive tools), and roles. See `docs/governance.md`.

use indexmap::IndexMap;
use serde::Deserialize;

use super::Manifest;
use crate::diagnostics::Problem;
use crate::document::Document;
use crate::source_map::escape_token;

/// `governance:`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GovernanceSection {
    /// `allow` (default): every selected operation is a tool; `deny`: only `approved: true` ones.
    #[serde(default)]
    pub default: Option<DefaultPolicy>,
    /// Extra conditions for destructive tools.
    #[serde(default)]
    pub destructive: Option<DestructiveSection>,
    /// Roles → the tools they may see and call (RBAC over HTTP with inbound auth).
    #[serde(default)]
    pub roles: IndexMap<String, RoleSection>,
    /// Token claim listing the caller's roles (default `roles`).
    #[serde(default)]
    pub roles_claim: Option<String>,
}

/// What happens to operations the manifest does not approve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DefaultPolicy {
    /// Exposed.
    Allow,
    /// Not generated.
    Deny,
}

/// `governance.destructive:`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DestructiveSection {
    /// Destructive tools are generated only when `approved: true`.
    #[serde(default)]
    pub require_approval: bool,
    /// An inbound scope every destructive tool requires on top of its own.
    #[serde(default)]
    pub scope: Option<String>,
}

/// `governance.roles.<role>:`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSection {
    /// Tool names, or `*` for all.
    #[serde(default)]
    pub tools: Vec<String>,
    /// Also every read-only tool.
    #[serde(default)]
    pub read_only: bool,
    /// Also every tool of these toolsets (resolved when generating).
    #[serde(default)]
    pub toolsets: Vec<String>,
}

/// A tool's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// In service.
    Active,
    /// Still served, but say so, log its use, and retire it at `sunset`.
    Deprecated,
    /// Not generated.
    Disabled,
}

/// Checks governance values that need no spec; adds to `problems`.
pub(super) fn check(doc: &Document, manifest: &Manifest, problems: &mut Vec<Problem>) {
    let mut bad = |pointer: String, message: String, help: &str| {
        problems.push(doc.at_value(
            &pointer,
            Problem::error("mcpgen::manifest::governance", message).with_help(help.to_owned()),
            "here",
        ));
    };
    for (id, api) in &manifest.apis {
        for (key, tool) in &api.tools {
            let at = format!("/apis/{}/tools/{}", escape_token(id), escape_token(key));
            if let Some(sunset) = &tool.sunset
                && crate::definition::days_from_date(sunset).is_none()
            {
                bad(
                    format!("{at}/sunset"),
                    format!("`{sunset}` is not a date"),
                    "write it as YYYY-MM-DD, e.g. 2027-01-31",
                );
            }
            if (tool.sunset.is_some() || tool.replaced_by.is_some()) && tool.status != Some(Status::Deprecated) {
                bad(
                    format!("{at}/status"),
                    "`sunset` and `replaced_by` apply to deprecated tools".into(),
                    "add `status: deprecated`",
                );
            }
        }
    }
    if let Some(governance) = &manifest.governance {
        for (role, section) in &governance.roles {
            if section.tools.is_empty() && !section.read_only && section.toolsets.is_empty() {
                bad(
                    format!("/governance/roles/{}", escape_token(role)),
                    format!("role `{role}` grants no tool"),
                    "list tool names (or `*`) under `tools`, toolsets under `toolsets`, or set `read_only: true`",
                );
            }
            for (i, toolset) in section.toolsets.iter().enumerate() {
                if !manifest.toolsets.contains_key(toolset) {
                    let known: Vec<&str> = manifest.toolsets.keys().map(String::as_str).collect();
                    bad(
                        format!("/governance/roles/{}/toolsets/{i}", escape_token(role)),
                        format!("role `{role}` names the toolset `{toolset}`, which the manifest does not define"),
                        &if known.is_empty() {
                            "define it under the top-level `toolsets:` key".to_owned()
                        } else {
                            format!("use one of the manifest's toolsets: {}", known.join(", "))
                        },
                    );
                }
            }
        }
    }
}
