//! Problems found in the inputs, rendered like compiler errors.
//!
//! Every stage collects [`Problem`]s instead of stopping at the first one, so a user fixes a spec or a
//! manifest in one pass. A problem points into a [`SourceFile`] by byte span; the span comes from the
//! [`SourceMap`](crate::source_map::SourceMap) of the file, looked up by JSON pointer.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, Severity, SourceSpan};

/// A loaded input file: its display name (relative as the user gave it) and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Name shown in diagnostics.
    pub name: String,
    /// Full text of the file.
    pub text: Arc<String>,
}

/// One problem with the inputs.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Stable code, e.g. `mcpgen::spec::unresolved_ref`.
    pub code: &'static str,
    /// What is wrong, one sentence.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Where it is, when known: file, span and label (boxed: problems travel in `Result`s).
    pub location: Option<Box<(SourceFile, SourceSpan, String)>>,
    /// Errors stop generation; warnings are reported and generation goes on.
    pub severity: Severity,
}

impl Problem {
    /// An error with a code and message.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), help: None, location: None, severity: Severity::Error }
    }

    /// A warning with a code and message.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, ..Self::error(code, message) }
    }

    /// Adds a hint on how to fix the problem.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Points the problem at a span of a file, with a short label.
    #[must_use]
    pub fn at(mut self, file: &SourceFile, span: SourceSpan, label: impl Into<String>) -> Self {
        self.location = Some(Box::new((file.clone(), span, label.into())));
        self
    }

    /// Whether this problem stops generation.
    pub fn is_error(&self) -> bool {
        matches!(self.severity, Severity::Error)
    }

    /// `file:line:col` of the problem, when it has a location (1-based, for editors and CI logs).
    pub fn position(&self) -> Option<String> {
        let (file, span, _) = self.location.as_deref()?;
        let before = file.text.get(..span.offset())?;
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Some(format!("{}:{line}:{col}", file.name))
    }
}

/// Longest source line drawn in a frame; minified JSON puts megabytes on one line.
const MAX_FRAME_LINE: usize = 400;

impl Problem {
    /// The location, when it can be drawn as a source frame (its line is not huge).
    fn framed(&self) -> Option<&(SourceFile, SourceSpan, String)> {
        let location = self.location.as_deref()?;
        let (file, span, _) = location;
        let text = file.text.as_str();
        let offset = span.offset().min(text.len());
        let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
        (end - start <= MAX_FRAME_LINE).then_some(location)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A framed position is shown by the frame (`╭─[file:line:col]`); otherwise say it here.
        match self.position().filter(|_| self.framed().is_none()) {
            Some(position) => write!(f, "{position}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Problem {}

impl Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        // miette asks for `&dyn SourceCode`, so the named source lives inside the location.
        self.framed().map(|(file, _, _)| file as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (_, span, label) = self.framed()?;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(Some(label.clone()), *span))))
    }
}

impl miette::SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self.text.read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// All problems found by a run; generation fails when any of them is an error.
#[derive(Debug, Clone, Default)]
pub struct Problems(pub Vec<Problem>);

/// How many warnings with the same code and advice [`Problems::render`] shows before counting the rest.
pub const SIMILAR_WARNINGS_SHOWN: usize = 3;

impl Problems {
    /// Adds a problem.
    pub fn push(&mut self, problem: Problem) {
        self.0.push(problem);
    }

    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Problem::is_error)
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|p| p.is_error()).count()
    }

    /// The warnings only.
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.0.iter().filter(|p| !p.is_error())
    }

    /// Moves every problem of `other` into `self`.
    pub fn extend(&mut self, other: Problems) {
        self.0.extend(other.0);
    }

    /// Renders every problem like a compiler does (no colour, fixed width when `width` is given).
    pub fn render(&self, width: Option<usize>, color: bool) -> String {
        let theme = if color { miette::GraphicalTheme::unicode() } else { miette::GraphicalTheme::unicode_nocolor() };
        let mut handler = miette::GraphicalReportHandler::new_themed(theme).with_links(false);
        if let Some(width) = width {
            handler = handler.with_width(width);
        }
        let mut out = String::new();
        // Warnings that say the same thing (code and advice) are shown a few times, then counted:
        // an AWS JSON spec has one fragment path per operation, and 80 identical warnings hide
        // everything else. Errors are all shown: each one needs fixing.
        let mut seen: std::collections::BTreeMap<(&str, Option<&str>), usize> = Default::default();
        for problem in &self.0 {
            if !problem.is_error() {
                let count = seen.entry((problem.code, problem.help.as_deref())).or_default();
                *count += 1;
                if *count > SIMILAR_WARNINGS_SHOWN {
                    continue;
                }
            }
            // Writing into a String cannot fail.
            let _ = handler.render_report(&mut out, problem);
            out.push('\n');
        }
        for ((code, _), count) in seen {
            if count > SIMILAR_WARNINGS_SHOWN {
                let more = count - SIMILAR_WARNINGS_SHOWN;
                out.push_str(&format!(
                    "… and {more} more `{code}` warning(s) like the ones above (`mcpgen validate --format json` lists every one)\n\n"
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: String) -> SourceFile {
        SourceFile { name: "f.json".into(), text: Arc::new(text) }
    }

    #[test]
    fn short_lines_get_a_frame() {
        let f = file("{\n  \"a\": 1\n}\n".into());
        let p = Problem::error("c", "bad").at(&f, SourceSpan::from((9, 1)), "here");
        let out = Problems(vec![p]).render(Some(80), false);
        assert!(out.contains("╭─[f.json:2:8]") && out.contains("× bad"), "{out}");
    }

    #[test]
    fn similar_warnings_are_shown_a_few_times_then_counted_and_errors_always_shown() {
        let warning = |n: usize| Problem::warning("w", format!("path {n} is odd")).with_help("same advice");
        let mut all: Vec<Problem> = (0..10).map(warning).collect();
        all.push(Problem::warning("w", "other advice").with_help("different"));
        all.extend((0..5).map(|n| Problem::error("e", format!("error {n}"))));
        let out = Problems(all).render(Some(80), false);
        assert!(out.contains("path 2 is odd") && !out.contains("path 3 is odd"), "{out}");
        assert!(out.contains("… and 7 more `w` warning(s)"), "{out}");
        assert!(out.contains("other advice"), "{out}");
        assert!((0..5).all(|n| out.contains(&format!("error {n}"))), "{out}");
    }

    #[test]
    fn huge_minified_lines_are_not_drawn_but_still_located() {
        let f = file(format!("{{\"a\": \"{}\", \"b\": 1}}", "x".repeat(3_000_000)));
        let p = Problem::error("c", "bad").at(&f, SourceSpan::from((3_000_010, 3)), "here");
        let out = Problems(vec![p]).render(Some(80), false);
        assert!(out.contains("f.json:1:3000011: bad"), "{}", &out[..out.len().min(300)]);
        assert!(out.len() < 1000);
    }
}
