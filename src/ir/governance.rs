//! Governance in the IR: which tools exist (disabled, default-deny, destructive approval), their
//! owner and lifecycle, and the roles that may use them.

use std::collections::BTreeSet;

use super::{ServerIr, ToolIr};
use crate::definition::DeprecationDefinition;
use crate::diagnostics::{Problem, Problems};
use crate::document::Document;
use crate::manifest::{ApiSection, DefaultPolicy, GovernanceSection, Status, ToolOverride};
use crate::source_map::escape_token;

/// Applies the tool's lifecycle and approval; `false`: the tool is not generated.
pub(super) fn admit(
    governance: Option<&GovernanceSection>,
    section: &ApiSection,
    over: Option<&ToolOverride>,
    tool: &mut ToolIr,
) -> bool {
    let status =
        over.and_then(|o| o.status).unwrap_or(if tool.deprecated { Status::Deprecated } else { Status::Active });
    if status == Status::Disabled {
        return false;
    }
    let approved = over.and_then(|o| o.approved).unwrap_or(false);
    if governance.and_then(|g| g.default) == Some(DefaultPolicy::Deny) && !approved {
        return false;
    }
    let destructive = governance.and_then(|g| g.destructive.as_ref());
    if tool.annotations.destructive {
        if destructive.is_some_and(|d| d.require_approval) && !approved {
            return false;
        }
        if let Some(scope) = destructive.and_then(|d| d.scope.clone())
            && !tool.scopes.contains(&scope)
        {
            tool.scopes.push(scope);
            tool.scopes.sort();
        }
    }
    tool.owner = over.and_then(|o| o.owner.clone()).or_else(|| section.owner.clone());
    if status == Status::Deprecated {
        let deprecation = DeprecationDefinition {
            sunset: over.and_then(|o| o.sunset.clone()),
            replaced_by: over.and_then(|o| o.replaced_by.clone()),
        };
        tool.description = format!("{} {}", deprecation.note(), tool.description);
        tool.deprecated = true;
        tool.deprecation = Some(deprecation);
    }
    true
}

/// Roles → tools, and replacements that must exist; problems go to `problems`.
pub(super) fn finish(
    doc: &Document,
    governance: Option<&GovernanceSection>,
    ir: &mut ServerIr,
    problems: &mut Problems,
) {
    let names: BTreeSet<String> = ir.tools.iter().map(|t| t.name.clone()).collect();
    for tool in &ir.tools {
        if let Some(replacement) = tool.deprecation.as_ref().and_then(|d| d.replaced_by.as_ref())
            && !names.contains(replacement)
        {
            let problem = Problem::error(
                "mcpgen::governance::replacement",
                format!("`{}` is replaced by `{replacement}`, which is not a generated tool", tool.name),
            )
            .with_help("name a tool this server generates (see `mcpgen list`)");
            problems.push(match &tool.manifest_at {
                Some(at) => doc.at_value(&format!("{at}/replaced_by"), problem, "unknown tool"),
                None => problem,
            });
        }
    }
    let Some(governance) = governance.filter(|g| !g.roles.is_empty()) else { return };
    ir.roles_claim = Some(governance.roles_claim.clone().unwrap_or_else(|| "roles".to_owned()));
    for (role, section) in &governance.roles {
        for (i, name) in section.tools.iter().enumerate() {
            if name != "*" && !names.contains(name) {
                let at = format!("/governance/roles/{}/tools/{i}", escape_token(role));
                problems.push(
                    doc.at_value(
                        &at,
                        Problem::error(
                            "mcpgen::governance::role",
                            format!("role `{role}` names `{name}`, which is not a generated tool"),
                        )
                        .with_help("use tool names as `mcpgen list` shows them, or `*` for all"),
                        "unknown tool",
                    ),
                );
            }
        }
        for tool in &mut ir.tools {
            let granted = section.tools.iter().any(|t| t == "*" || *t == tool.name)
                || (section.read_only && tool.annotations.read_only)
                || section.toolsets.iter().any(|t| tool.toolsets.contains(t));
            if granted {
                tool.roles.push(role.clone());
            }
        }
    }
    for tool in &mut ir.tools {
        tool.roles.sort();
    }
}
