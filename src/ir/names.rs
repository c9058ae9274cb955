//! Tool and argument names: one place decides what is a valid, stable name.
//!
//! Tool names must satisfy `^[A-Za-z0-9_-]{1,64}$` (the MCP rule intersected with what LLM
//! providers accept). Argument names must be valid JSON Schema property names for the same
//! providers: `^[A-Za-z0-9_.-]{1,64}$`. Names derive only from the spec, so they are stable.

use heck::ToSnakeCase;

/// Longest tool or argument name.
pub(super) const MAX_NAME: usize = 64;

/// Derives a tool name from an operationId, or from the method and path when there is none.
pub(super) fn tool_name(prefix: &str, operation_id: Option<&str>, method: &str, path: &str) -> String {
    let base = match operation_id {
        Some(id) if !id.trim().is_empty() => id.to_snake_case(),
        _ => {
            let mut words = vec![method.to_ascii_lowercase()];
            for segment in path.split('/').filter(|s| !s.is_empty()) {
                match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(param) => words.push(format!("by_{}", param.to_snake_case())),
                    None => words.push(segment.to_snake_case()),
                }
            }
            words.join("_")
        }
    };
    let mut name = format!("{prefix}{}", clean(&base, false));
    // Gemini (and so the portable name rule) wants a letter or `_` first: an operationId such as
    // `4oD_feed` gets its method in front (`get_4o_d_feed`).
    if !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        name = format!("{}_{name}", method.to_ascii_lowercase());
    }
    shorten(if name.is_empty() { "tool".to_owned() } else { name })
}

/// Makes `name` a valid argument name, keeping it unchanged whenever it already is one.
pub(super) fn arg_name(name: &str) -> String {
    let cleaned = clean(name, true);
    shorten(if cleaned.is_empty() { "arg".to_owned() } else { cleaned })
}

/// Replaces characters outside the allowed set with `_`, squeezing and trimming runs of `_`.
fn clean(raw: &str, allow_dot: bool) -> String {
    if raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || (allow_dot && c == '.')) {
        return raw.to_owned();
    }
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        let keep = c.is_ascii_alphanumeric() || c == '-' || (allow_dot && c == '.');
        if keep {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

/// Cuts names longer than [`MAX_NAME`], keeping them unique with a hash of the full name.
fn shorten(name: String) -> String {
    if name.len() <= MAX_NAME {
        return name;
    }
    let hash = fnv1a(name.as_bytes());
    let keep = MAX_NAME - 9;
    let head = name[..keep].trim_end_matches(['_', '-']);
    format!("{head}_{:08x}", hash as u32)
}

/// FNV-1a: a fixed, platform-independent hash so shortened names never change between runs.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
}

/// Returns `name`, or `name_2`, `name_3`… — the first that `taken` does not contain.
pub(super) fn unique(name: String, taken: impl Fn(&str) -> bool) -> String {
    if !taken(&name) {
        return name;
    }
    (2..)
        .map(|n| {
            let suffix = format!("_{n}");
            let head = &name[..name.len().min(MAX_NAME - suffix.len())];
            format!("{head}{suffix}")
        })
        .find(|candidate| !taken(candidate))
        .unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_become_snake_case() {
        assert_eq!(tool_name("", Some("listPets"), "GET", "/pets"), "list_pets");
        assert_eq!(tool_name("", Some("pets.get-by id"), "GET", "/pets"), "pets_get_by_id");
        assert_eq!(tool_name("store_", Some("getInventory"), "GET", "/x"), "store_get_inventory");
        assert_eq!(tool_name("", Some("4oD_feed"), "GET", "/feed"), "get_4o_d_feed", "a letter first (Gemini)");
        assert_eq!(tool_name("", Some("2fa.enable"), "POST", "/x"), "post_2fa_enable");
    }

    #[test]
    fn missing_operation_ids_use_method_and_path() {
        assert_eq!(tool_name("", None, "GET", "/pets/{petId}/photos"), "get_pets_by_pet_id_photos");
        assert_eq!(tool_name("", Some("  "), "DELETE", "/"), "delete");
    }

    #[test]
    fn long_names_are_shortened_stably_and_distinctly() {
        let a = tool_name("", Some(&"very_long_operation_name_".repeat(4)), "GET", "/");
        let b = tool_name("", Some(&format!("{}x", "very_long_operation_name_".repeat(4))), "GET", "/");
        assert!(a.len() <= MAX_NAME && b.len() <= MAX_NAME);
        assert_ne!(a, b);
        assert_eq!(a, tool_name("", Some(&"very_long_operation_name_".repeat(4)), "GET", "/"));
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
    }

    #[test]
    fn argument_names_are_kept_when_valid() {
        assert_eq!(arg_name("X-Request-ID"), "X-Request-ID");
        assert_eq!(arg_name("page.size"), "page.size");
        assert_eq!(arg_name("filter[status]"), "filter_status");
        assert_eq!(arg_name("$$"), "arg");
    }

    #[test]
    fn unique_appends_the_first_free_suffix() {
        let taken = ["a", "a_2"];
        assert_eq!(unique("a".into(), |n| taken.contains(&n)), "a_3");
        assert_eq!(unique("b".into(), |n| taken.contains(&n)), "b");
    }
}
