//! Seeded structural mutations of specs and manifests, shared by the mutation test
//! (`robustness::seeded_mutants_*`) and the slow-run budget (`benches/mutants.rs`).
//!
//! Deterministic on purpose: a failure names its seed and mutant number, so it can be replayed.
//! The mutations are the hostile inputs of issues 2 and 5–7 made general: wrong types, the path
//! keys that once passed silently, control characters, huge strings, deep nesting, broken and
//! cyclic references, duplicate keys, and values deleted.

use serde_json::{Map, Value, json};

/// Copies a fixture directory to `to`, without its `mcpgen.lock` (a generation there must not
/// depend on, or rewrite, the fixture's lock).
pub(crate) fn copy_fixture(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap();
        if path.is_dir() {
            copy_fixture(&path, &to.join(name));
        } else if name != "mcpgen.lock" {
            std::fs::copy(&path, to.join(name)).unwrap();
        }
    }
}

/// xorshift64*: tiny, deterministic, no dependency.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The path keys of issue 5, and a few more of their kind.
pub(crate) const HOSTILE_PATHS: &[&str] = &[
    "/../../admin",
    "/%2e%2e/admin",
    "/a?x=1",
    "/a#frag",
    "/x\r\nInjected: 1",
    "/x\u{0}y",
    "/{id",
    "/id}",
    "/{}",
    "//double",
    "/a b",
    "noslash",
    "",
    "/a\\..\\b",
    "/{a}/{a}",
];

/// Strings that have broken generators: control characters, bidi overrides, markup, secrets.
const HOSTILE_STRINGS: &[&str] = &[
    "a\u{0}b",
    "line\r\nInjected: 1",
    "\u{1b}[31mred",
    "evil\u{202e}txet",
    "\"quoted\" `ticks` <b>&amp;</b> | pipe",
    "http://user:secret@127.0.0.1:9/v1",
    "../../../../etc/passwd",
    "#/components/schemas/Missing",
    "#",
    "",
];

/// Every node of `value` by JSON pointer (the root is `""`).
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                pointers(child, format!("{at}/{}", key.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// A value nested `depth` levels deep, shaped like a schema so converters walk all of it.
fn deep(depth: usize) -> Value {
    (0..depth).fold(
        json!({"type": "string"}),
        |inner, _| json!({"type": "object", "properties": {"a": inner}, "items": {"allOf": [{"type": "object"}]}}),
    )
}

fn random_value(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(-1),
        3 => json!(1e300),
        4 => json!([]),
        5 => json!({}),
        6 => json!({"$ref": "#"}),
        _ => json!(HOSTILE_STRINGS[rng.below(HOSTILE_STRINGS.len())]),
    }
}

/// One mutant of a document's value: `text` is parsed as YAML/JSON and written back as JSON
/// (also valid YAML), except for the text-level mutations.
pub(crate) fn mutate(text: &str, rng: &mut Rng) -> String {
    let choice = rng.below(10);
    if choice == 0 {
        // Duplicate a line (duplicate keys in YAML), or splice a NUL byte into the raw text.
        let lines: Vec<&str> = text.lines().collect();
        let at = rng.below(lines.len());
        let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
        if rng.below(2) == 0 {
            out.insert(at, lines.get(at).copied().unwrap_or_default().to_owned());
        } else if let Some(line) = out.get_mut(at) {
            let cut = line.char_indices().map(|(i, _)| i).nth(rng.below(line.chars().count())).unwrap_or(0);
            line.insert(cut, '\u{0}');
        }
        return out.join("\n");
    }
    let Ok(doc) = mcpgen::document::Document::parse("mutant.yaml", text.to_owned()) else { return text.to_owned() };
    let mut value = doc.value.clone();
    let mut all = Vec::new();
    pointers(&value, String::new(), &mut all);
    let target = all[rng.below(all.len())].clone();
    match choice {
        1 | 2 => {
            // A value of another type (or a hostile string) in place of any node.
            let replacement = random_value(rng);
            set(&mut value, &target, replacement);
        }
        3 => {
            // A hostile path key, holding a copy of an existing path item.
            let item = value.pointer("/paths").and_then(Value::as_object).and_then(|p| p.values().next().cloned());
            if let Some(Value::Object(paths)) = value.get_mut("paths") {
                paths.insert(HOSTILE_PATHS[rng.below(HOSTILE_PATHS.len())].to_owned(), item.unwrap_or(json!({})));
            }
        }
        4 => {
            // Control characters, bidi overrides or markup inside an existing string (or a key).
            if let Some(Value::String(s)) = value.pointer_mut(&target) {
                s.insert_str(s.len() / 2, HOSTILE_STRINGS[rng.below(4)]);
            } else if let Some(Value::Object(map)) = value.pointer_mut(&target)
                && let Some(key) = map.keys().next().cloned()
            {
                let child = map.remove(&key).unwrap_or(Value::Null);
                map.insert(format!("{key}\u{0}\r\n"), child);
            }
        }
        5 => set(&mut value, &target, json!("x".repeat(200_000 + rng.below(100_000)))),
        6 => set(&mut value, &target, deep(64 + rng.below(192))),
        7 => {
            // Delete a node.
            if let Some((parent, key)) = target.rsplit_once('/') {
                match value.pointer_mut(parent) {
                    Some(Value::Object(map)) => {
                        map.remove(&key.replace("~1", "/").replace("~0", "~"));
                    }
                    Some(Value::Array(items)) => {
                        if let Ok(i) = key.parse::<usize>()
                            && i < items.len()
                        {
                            items.remove(i);
                        }
                    }
                    _ => {}
                }
            }
        }
        8 => {
            // A reference: dangling, to itself, to the root, or up a directory.
            let reference = ["#/components/schemas/Missing", "#", &format!("#{target}"), "../outside.yaml#/A"];
            set(&mut value, &target, json!({"$ref": reference[rng.below(reference.len())]}));
        }
        _ => {
            // Many keys at once (wide objects): a breadth counterpart of deep nesting.
            let wide: Map<String, Value> = (0..2000).map(|i| (format!("k{i}"), json!({"type": "string"}))).collect();
            set(&mut value, &target, json!({"type": "object", "properties": wide}));
        }
    }
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

fn set(value: &mut Value, pointer: &str, replacement: Value) {
    if let Some(slot) = value.pointer_mut(pointer) {
        *slot = replacement;
    }
}
