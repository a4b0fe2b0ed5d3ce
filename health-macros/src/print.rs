//! Tokens printed as a person writes Rust (`std::sync::Arc<dyn Cache + Send>`), not with a
//! space between every token as `TokenStream`'s `Display` does. Used in every message that
//! shows the user's code or the code to write instead.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::ToTokens;

pub(crate) fn rust(tokens: impl ToTokens) -> String {
    let mut printer = Printer {
        out: String::new(),
        last: Last::Start,
    };
    printer.stream(tokens.into_token_stream());
    printer.out
}

/// What was printed last, which decides the space before the next token.
#[derive(Clone, Copy, PartialEq)]
enum Last {
    Start,
    Word,
    Group,
    /// An operator followed by its space (`,`, `=`, `->`).
    SpacedOp,
    /// An operator glued to what follows (`::`, `&`, `'`, `<`).
    GluedOp,
}

struct Printer {
    out: String,
    last: Last,
}

impl Printer {
    fn stream(&mut self, stream: TokenStream) {
        let mut tokens = stream.into_iter().peekable();
        while let Some(token) = tokens.next() {
            match token {
                TokenTree::Ident(ident) => self.word(&ident.to_string()),
                TokenTree::Literal(literal) => self.word(&literal.to_string()),
                TokenTree::Group(group) => self.group(group.delimiter(), group.stream()),
                TokenTree::Punct(punct) => {
                    let mut op = String::from(punct.as_char());
                    let mut spacing = punct.spacing();
                    while spacing == Spacing::Joint && punct.as_char() != '\'' {
                        match tokens.peek() {
                            Some(TokenTree::Punct(next)) => {
                                op.push(next.as_char());
                                spacing = next.spacing();
                                tokens.next();
                            }
                            _ => break,
                        }
                    }
                    self.op(&op);
                }
            }
        }
    }

    fn word(&mut self, text: &str) {
        if matches!(self.last, Last::Word | Last::Group) {
            self.out.push(' ');
        }
        self.out.push_str(text);
        self.last = Last::Word;
    }

    fn group(&mut self, delimiter: Delimiter, inner: TokenStream) {
        let (open, close) = match delimiter {
            Delimiter::Parenthesis => ("(", ")"),
            Delimiter::Bracket => ("[", "]"),
            Delimiter::Brace => ("{ ", " }"),
            Delimiter::None => ("", ""),
        };
        if delimiter == Delimiter::Brace && matches!(self.last, Last::Word | Last::Group) {
            self.out.push(' ');
        }
        self.out.push_str(open);
        let outer = std::mem::replace(&mut self.last, Last::Start);
        self.stream(inner);
        self.last = outer;
        if delimiter == Delimiter::Brace && self.out.ends_with("{ ") {
            self.out.truncate(self.out.len() - 1);
            self.out.push('}');
        } else {
            self.out.push_str(close);
        }
        self.last = if delimiter == Delimiter::None {
            Last::Word
        } else {
            Last::Group
        };
    }

    fn op(&mut self, op: &str) {
        let after_operand = matches!(self.last, Last::Word | Last::Group);
        let (space_before, space_after) = match op {
            "::" | "." | ".." | "..=" | "$" => (false, false),
            "," | ";" | ":" => (false, true),
            "'" => (self.last == Last::Word, false),
            "#" => (false, false),
            "?" => (false, false),
            // Generic brackets, however many close at once (`Vec<Vec<u8>>`).
            op if op.chars().all(|c| matches!(c, '<' | '>')) => (false, false),
            "!" if after_operand => (false, false),
            // Unary in types and before an operand (`&T`, `*const T`, `-5`), binary after one.
            "&" | "&&" | "*" | "-" | "!" => (after_operand, after_operand),
            _ => (true, true),
        };
        if space_before && !self.out.ends_with(' ') && self.last != Last::Start {
            self.out.push(' ');
        }
        self.out.push_str(op);
        if space_after {
            self.out.push(' ');
            self.last = Last::SpacedOp;
        } else {
            self.last = Last::GluedOp;
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::rust;

    #[test]
    fn types_read_as_written() {
        let cases = [
            (quote!(std::sync::Arc<PgPool>), "std::sync::Arc<PgPool>"),
            (quote!(&'static str), "&'static str"),
            (quote!(&mut Vec<u8>), "&mut Vec<u8>"),
            (
                quote!(Arc<dyn Cache + Send + Sync>),
                "Arc<dyn Cache + Send + Sync>",
            ),
            (
                quote!(HashMap<String, Vec<(u8, bool)>>),
                "HashMap<String, Vec<(u8, bool)>>",
            ),
            (quote!([u8; 4]), "[u8; 4]"),
            (quote!(Cow<'_, str>), "Cow<'_, str>"),
            (quote!(impl Fn(&u8) -> bool), "impl Fn(&u8) -> bool"),
            (quote!(*const T), "*const T"),
            (quote!(Box<dyn Fn() + 'static>), "Box<dyn Fn() + 'static>"),
            (quote!(<T as Trait>::Out), "<T as Trait>::Out"),
        ];
        for (tokens, expected) in cases {
            assert_eq!(rust(tokens), expected);
        }
    }

    #[test]
    fn expressions_and_arguments() {
        let cases = [
            (quote!(timeout_ms = 2 * 1000), "timeout_ms = 2 * 1000"),
            (quote!(-5), "-5"),
            (quote!(Duration::from_secs(2)), "Duration::from_secs(2)"),
            (
                quote!(probe = ["startup", "readiness"]),
                "probe = [\"startup\", \"readiness\"]",
            ),
            (quote!(crate::db::postgres), "crate::db::postgres"),
            (quote!(concat!("a", "b")), "concat!(\"a\", \"b\")"),
            (quote!(x: &T), "x: &T"),
            (quote!(a && b), "a && b"),
            (quote!(S {}), "S {}"),
        ];
        for (tokens, expected) in cases {
            assert_eq!(rust(tokens), expected);
        }
    }
}
