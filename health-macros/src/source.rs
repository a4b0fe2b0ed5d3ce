//! The source file around an attribute, read for what the attribute's tokens cannot tell:
//! whether the item sits directly in an `impl` or a `trait` block, and which other items
//! precede it in the same block or module.
//!
//! Read only when the compiler gives the attribute's file and position, and only believed
//! when the text found there is the attribute itself; otherwise `None`, and the caller
//! assumes nothing. The text is lexed just enough to follow nesting: comments, string and
//! character literals are skipped, and the delimiters build a tree.

use std::ops::Range;

/// A lexed token or a delimited group, with its byte range in the file.
#[derive(Debug, Clone)]
pub(crate) enum Tree {
    Ident(String, Range<usize>),
    /// A string literal's value, when it has no escapes; `None` for any other literal.
    Literal(Option<String>),
    Punct(char),
    Group(char, Vec<Tree>),
}

impl Tree {
    pub(crate) fn is_ident(&self, word: &str) -> bool {
        matches!(self, Tree::Ident(ident, _) if ident == word)
    }

    pub(crate) fn is_punct(&self, c: char) -> bool {
        matches!(self, Tree::Punct(p) if *p == c)
    }

    pub(crate) fn is_group(&self, delimiter: char) -> bool {
        matches!(self, Tree::Group(d, _) if *d == delimiter)
    }
}

/// What directly contains the attribute.
#[derive(Debug)]
pub(crate) enum Container {
    /// A module (a file or `mod m { ... }`), or a block such as a function body.
    Module,
    /// `impl Type` or `impl Trait for Type`: the block's header as written.
    Impl { header: String },
    /// `trait Name`: the block's header as written.
    Trait { header: String },
    /// Parentheses or brackets: inside a macro call, whose expansion is not known here.
    Macro,
}

/// The attribute's surroundings: its container and the items before it there, as trees.
#[derive(Debug)]
pub(crate) struct Surroundings {
    pub(crate) container: Container,
    pub(crate) before: Vec<Tree>,
    /// The file, for reading lines by number in messages.
    pub(crate) text: String,
}

impl Surroundings {
    /// The line (1-based) of a byte offset of the file.
    pub(crate) fn line_of(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }
}

/// The surroundings of the attribute being expanded, read from its file.
pub(crate) fn of_call_site() -> Option<Surroundings> {
    if !proc_macro::is_available() {
        return None;
    }
    let span = proc_macro::Span::call_site();
    let attribute = span.source_text()?;
    let text = std::fs::read_to_string(span.local_file()?).ok()?;
    let offset = offset_of(&text, span.line(), span.column())?;
    if !text[offset..].starts_with(&attribute) {
        return None;
    }
    let (container, before) = enclosing(&text, offset)?;
    Some(Surroundings {
        container,
        before,
        text,
    })
}

/// Every tree of `text`, for tests.
#[cfg(test)]
pub(crate) fn lex_all(text: &str) -> Vec<Tree> {
    enclosing(text, text.len()).expect("balanced delimiters").1
}

/// The byte offset of a 1-based line and character column.
fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let rest = &text[line_start..];
    let within = rest
        .char_indices()
        .nth(column.checked_sub(1)?)
        .map_or(rest.len(), |(i, _)| i);
    Some(line_start + within)
}

/// The container of `offset` and the trees before it in that container.
fn enclosing(text: &str, offset: usize) -> Option<(Container, Vec<Tree>)> {
    // Open groups, outermost first: (delimiter, start, trees so far).
    let mut stack: Vec<(char, usize, Vec<Tree>)> = vec![(' ', 0, Vec::new())];
    let mut lexer = Lexer { text, at: 0 };
    while let Some((token, range)) = lexer.next(offset) {
        match token {
            Token::Open(delimiter) => stack.push((delimiter, range.start, Vec::new())),
            Token::Close => {
                let (delimiter, _, trees) = stack.pop()?;
                stack.last_mut()?.2.push(Tree::Group(delimiter, trees));
            }
            Token::Tree(tree) => stack.last_mut()?.2.push(tree),
        }
    }
    let (delimiter, start, before) = stack.pop()?;
    let container = match delimiter {
        ' ' => Container::Module,
        '{' => block_kind(text, &stack.last()?.2, start),
        _ => Container::Macro,
    };
    Some((container, before))
}

/// What a block opened at `open` is, from the trees before it in its parent: its header.
fn block_kind(text: &str, parent: &[Tree], open: usize) -> Container {
    let header_start = parent
        .iter()
        .rposition(|tree| tree.is_punct(';') || tree.is_group('{'))
        .map_or(0, |i| i + 1);
    let header = &parent[header_start..];
    let mut words = header.iter().filter_map(|tree| match tree {
        Tree::Ident(word, range) => Some((word.as_str(), range.start)),
        _ => None,
    });
    // Attributes are groups, so the first word is the visibility, a qualifier or the kind.
    let Some((kind, start)) = words.find(|(word, _)| {
        !matches!(
            *word,
            "pub" | "crate" | "self" | "super" | "in" | "unsafe" | "default" | "auto"
        )
    }) else {
        return Container::Module;
    };
    let written = || {
        text[start..open]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    match kind {
        "impl" => Container::Impl { header: written() },
        "trait" => Container::Trait { header: written() },
        _ => Container::Module,
    }
}

enum Token {
    Open(char),
    Close,
    Tree(Tree),
}

struct Lexer<'t> {
    text: &'t str,
    at: usize,
}

impl Lexer<'_> {
    /// The next token starting before `end`.
    fn next(&mut self, end: usize) -> Option<(Token, Range<usize>)> {
        loop {
            self.skip_whitespace_and_comments(end);
            if self.at >= end {
                return None;
            }
            let start = self.at;
            let c = self.peek()?;
            let token = match c {
                '{' | '(' | '[' => {
                    self.at += 1;
                    Token::Open(c)
                }
                '}' | ')' | ']' => {
                    self.at += 1;
                    Token::Close
                }
                '"' => Token::Tree(Tree::Literal(self.string())),
                '\'' => match self.quote() {
                    Some(tree) => Token::Tree(tree),
                    None => continue,
                },
                c if c.is_alphanumeric() || c == '_' => self.word(),
                c => {
                    self.at += c.len_utf8();
                    Token::Tree(Tree::Punct(c))
                }
            };
            return Some((token, start..self.at));
        }
    }

    fn rest(&self) -> &str {
        &self.text[self.at.min(self.text.len())..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_whitespace_and_comments(&mut self, end: usize) {
        while self.at < end {
            let rest = self.rest();
            if rest.starts_with("//") {
                self.at += rest.find('\n').unwrap_or(rest.len());
            } else if rest.starts_with("/*") {
                self.block_comment();
            } else if let Some(c) = rest.chars().next().filter(|c| c.is_whitespace()) {
                self.at += c.len_utf8();
            } else {
                return;
            }
        }
    }

    /// A `/* ... */` comment, nested ones included.
    fn block_comment(&mut self) {
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            let rest = self.rest();
            if rest.starts_with("/*") {
                depth += 1;
                self.at += 2;
            } else if rest.starts_with("*/") {
                self.at += 2;
                depth -= 1;
                if depth == 0 {
                    return;
                }
            } else {
                self.at += c.len_utf8();
            }
        }
    }

    /// An identifier, a keyword, a number, or a prefixed literal (`r"..."`, `b'x'`,
    /// `br#"..."#`, `c"..."`).
    fn word(&mut self) -> Token {
        let start = self.at;
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let (word, after) = (rest[..len].to_owned(), rest[len..].to_owned());
        let word = word.as_str();
        let raw_string = matches!(word, "r" | "br" | "cr") && after.starts_with(['"', '#']);
        if raw_string && after.trim_start_matches('#').starts_with('"') {
            self.at += len;
            return Token::Tree(Tree::Literal(self.raw_string()));
        }
        if matches!(word, "b" | "c") && after.starts_with('"') {
            self.at += len;
            self.string();
            return Token::Tree(Tree::Literal(None));
        }
        if word == "b" && after.starts_with('\'') {
            self.at += len;
            self.quote();
            return Token::Tree(Tree::Literal(None));
        }
        if word == "r" && after.starts_with('#') {
            // A raw identifier: `r#fn`.
            self.at += len + 1;
            let rest = self.rest();
            let ident_len = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let ident = rest[..ident_len].to_owned();
            self.at += ident_len;
            return Token::Tree(Tree::Ident(ident, start..self.at));
        }
        self.at += len;
        if word.starts_with(|c: char| c.is_ascii_digit()) {
            return Token::Tree(Tree::Literal(None));
        }
        Token::Tree(Tree::Ident(word.to_owned(), start..self.at))
    }

    /// A `"..."` string, its value when it has no escape.
    fn string(&mut self) -> Option<String> {
        self.at += 1;
        let start = self.at;
        let mut escaped = false;
        while let Some(c) = self.peek() {
            self.at += c.len_utf8();
            match c {
                '\\' => {
                    escaped = true;
                    if let Some(next) = self.peek() {
                        self.at += next.len_utf8();
                    }
                }
                '"' => return (!escaped).then(|| self.text[start..self.at - 1].to_owned()),
                _ => {}
            }
        }
        None
    }

    /// `r#"..."#`, the `r` already read.
    fn raw_string(&mut self) -> Option<String> {
        let hashes = self.rest().len() - self.rest().trim_start_matches('#').len();
        self.at += hashes + 1;
        let close = format!("\"{}", "#".repeat(hashes));
        let len = self.rest().find(&close)?;
        let value = self.rest()[..len].to_owned();
        self.at += len + close.len();
        Some(value)
    }

    /// A character literal, or a lifetime or label (`'a`), which is an identifier here.
    fn quote(&mut self) -> Option<Tree> {
        self.at += 1;
        let rest = self.rest();
        let mut chars = rest.chars();
        let first = chars.next()?;
        if first == '\\' {
            // An escaped character: up to the closing quote.
            let close = rest[1..].find('\'').map_or(rest.len(), |i| i + 2);
            self.at += close;
            return Some(Tree::Literal(None));
        }
        if chars.next() == Some('\'') {
            self.at += first.len_utf8() + 1;
            return Some(Tree::Literal(None));
        }
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        self.at += len;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(text: &str) -> Container {
        let offset = text.find("#[health_check]").expect("a marker");
        enclosing(text, offset).expect("lexed").0
    }

    #[test]
    fn associated_functions_are_found_in_impls_and_traits() {
        let impl_block =
            container("struct P;\nimpl P {\n    #[health_check]\n    async fn ping() {}\n}");
        assert!(matches!(&impl_block, Container::Impl { header } if header == "impl P"));
        let trait_impl = container(
            "impl<T: Clone> Checks for Pool<T> where T: Send {\n #[health_check] async fn p() {} }",
        );
        assert!(
            matches!(&trait_impl, Container::Impl { header } if header == "impl<T: Clone> Checks for Pool<T> where T: Send")
        );
        let in_trait = container(
            "#[cfg(x)]\npub(crate) unsafe trait Checks: Sized {\n#[health_check] async fn p() {} }",
        );
        assert!(
            matches!(&in_trait, Container::Trait { header } if header == "trait Checks: Sized")
        );
    }

    #[test]
    fn functions_elsewhere_are_free() {
        for text in [
            "#[health_check]\nasync fn ping() {}",
            "mod checks {\n #[health_check] async fn ping() {} }",
            "impl P { fn f() { #[health_check] async fn ping() {} } }",
            "fn main() -> impl Sized { #[health_check] async fn ping() {} }",
            "impl P {}\n#[health_check] async fn ping() {}",
            "const S: &str = \"impl P {\"; /* impl Q { */ // impl R {\n#[health_check] async fn p() {}",
            "fn f<'a>(x: &'a str) -> char { let c = '{'; let d = '\\''; c }\n#[health_check] async fn p() {}",
            "const R: &str = r#\"impl P { \"#;\n#[health_check] async fn p() {}",
        ] {
            assert!(matches!(container(text), Container::Module), "{text}");
        }
    }

    #[test]
    fn macro_arguments_are_not_known() {
        assert!(matches!(
            container("wrap!(#[health_check] async fn p() {});"),
            Container::Macro
        ));
    }

    #[test]
    fn positions_are_lines_and_character_columns() {
        let text = "é\n  ab";
        assert_eq!(offset_of(text, 1, 1), Some(0));
        assert_eq!(offset_of(text, 2, 3), Some(text.find('a').unwrap()));
        assert_eq!(offset_of(text, 3, 1), None);
    }
}
