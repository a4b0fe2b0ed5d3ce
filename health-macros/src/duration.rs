//! What a timeout written in some other way than a plain number of milliseconds amounts to,
//! exactly, so that the message can say the number to write: `2s`, `1.5s`, `"500ms"`,
//! `2 * 1000`, `Duration::from_secs(2)`, or a number under an argument named in seconds.

use syn::{BinOp, Expr, Lit, UnOp};

use crate::value::literal;

const NANOS_PER_MS: i128 = 1_000_000;

/// A timeout expression, read as milliseconds.
#[derive(Debug, PartialEq)]
pub(crate) enum Millis {
    /// An unsuffixed integer literal: the one accepted spelling.
    Plain(u128),
    /// Another spelling of a whole number of milliseconds.
    Spelled(u128),
    /// A time that is not a whole number of milliseconds (`0.5ms`).
    Fraction,
    Negative,
    /// More than fits in 128 bits.
    Overflow,
    /// A constant or variable, which the macro cannot read.
    Named,
    /// Not a number of any kind (`"fast"`, `true`).
    NotANumber,
}

/// Reads `expr`, where a number without a unit counts `unit_nanos` nanoseconds (a
/// millisecond for `timeout_ms`, a second for an argument named `timeout_secs`).
pub(crate) fn read(expr: &Expr, unit_nanos: i128) -> Millis {
    let plain = match literal(expr) {
        Some(Lit::Int(int)) if int.suffix().is_empty() => int.base10_parse::<u128>().ok(),
        _ => None,
    };
    let count = match count(expr, unit_nanos) {
        Ok(count) => count,
        Err(why) => return why,
    };
    if count.num < 0 {
        return Millis::Negative;
    }
    let Some(nanos) = count.num.checked_mul(unit_nanos) else {
        return Millis::Overflow;
    };
    let den = count.den.saturating_mul(NANOS_PER_MS);
    if nanos % den != 0 {
        return Millis::Fraction;
    }
    let ms = (nanos / den) as u128;
    match plain {
        Some(_) if unit_nanos == NANOS_PER_MS => Millis::Plain(ms),
        _ => Millis::Spelled(ms),
    }
}

/// The nanoseconds of a unit written after a number, as `humantime` and people spell them.
pub(crate) fn unit_nanos(unit: &str) -> Option<i128> {
    Some(match unit {
        "ns" | "nanos" | "nanosecond" | "nanoseconds" => 1,
        "us" | "µs" | "micros" | "microsecond" | "microseconds" => 1_000,
        "ms" | "msec" | "msecs" | "millis" | "millisecond" | "milliseconds" => NANOS_PER_MS,
        "s" | "sec" | "secs" | "second" | "seconds" => 1_000 * NANOS_PER_MS,
        "m" | "min" | "mins" | "minute" | "minutes" => 60_000 * NANOS_PER_MS,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600_000 * NANOS_PER_MS,
        _ => return None,
    })
}

/// An exact fraction `num / den` of the unit, `den > 0`.
#[derive(Clone, Copy)]
struct Count {
    num: i128,
    den: i128,
}

impl Count {
    fn whole(num: i128) -> Self {
        Count { num, den: 1 }
    }

    fn reduced(num: i128, den: i128) -> Self {
        let divisor = gcd(num.unsigned_abs(), den.unsigned_abs()).max(1) as i128;
        let sign = if den < 0 { -1 } else { 1 };
        Count {
            num: sign * num / divisor,
            den: sign * den / divisor,
        }
    }

    /// `self` written in `from` units, as a count of `to` units.
    fn convert(self, from: i128, to: i128) -> Option<Self> {
        Some(Count::reduced(
            self.num.checked_mul(from)?,
            self.den.checked_mul(to)?,
        ))
    }
}

fn gcd(a: u128, b: u128) -> u128 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn count(expr: &Expr, unit: i128) -> Result<Count, Millis> {
    match expr {
        Expr::Group(group) => count(&group.expr, unit),
        Expr::Paren(paren) => count(&paren.expr, unit),
        Expr::Lit(lit) => literal_count(&lit.lit, unit),
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => {
            let inner = count(&unary.expr, unit)?;
            Ok(Count {
                num: -inner.num,
                den: inner.den,
            })
        }
        Expr::Binary(binary) => arithmetic(
            &binary.op,
            count(&binary.left, unit)?,
            count(&binary.right, unit)?,
        ),
        Expr::Call(call) => duration_constructor(call, unit),
        Expr::Path(_) => Err(Millis::Named),
        _ => Err(Millis::NotANumber),
    }
}

fn arithmetic(op: &BinOp, a: Count, b: Count) -> Result<Count, Millis> {
    let overflow = || Millis::Overflow;
    let (num, den) = match op {
        BinOp::Add(_) | BinOp::Sub(_) => {
            let left = a.num.checked_mul(b.den).ok_or_else(overflow)?;
            let right = b.num.checked_mul(a.den).ok_or_else(overflow)?;
            let num = if matches!(op, BinOp::Add(_)) {
                left.checked_add(right)
            } else {
                left.checked_sub(right)
            };
            (
                num.ok_or_else(overflow)?,
                a.den.checked_mul(b.den).ok_or_else(overflow)?,
            )
        }
        BinOp::Mul(_) => (
            a.num.checked_mul(b.num).ok_or_else(overflow)?,
            a.den.checked_mul(b.den).ok_or_else(overflow)?,
        ),
        BinOp::Div(_) if b.num != 0 => (
            a.num.checked_mul(b.den).ok_or_else(overflow)?,
            a.den.checked_mul(b.num).ok_or_else(overflow)?,
        ),
        _ => return Err(Millis::NotANumber),
    };
    Ok(Count::reduced(num, den))
}

fn literal_count(lit: &Lit, unit: i128) -> Result<Count, Millis> {
    let (digits, suffix) = match lit {
        Lit::Int(int) => (int.base10_digits().to_owned(), int.suffix().to_owned()),
        Lit::Float(float) => (float.base10_digits().to_owned(), float.suffix().to_owned()),
        Lit::Str(s) => return text_count(&s.value(), unit),
        _ => return Err(Millis::NotANumber),
    };
    let number = decimal(&digits).ok_or(Millis::Overflow)?;
    let is_type = matches!(suffix.as_str(), "" | "f32" | "f64")
        || suffix.starts_with('u')
        || suffix.starts_with('i');
    match unit_nanos(&suffix) {
        Some(nanos) => number.convert(nanos, unit).ok_or(Millis::Overflow),
        None if is_type => Ok(number),
        None => Err(Millis::NotANumber),
    }
}

/// `"2s"`, `"1.5 s"`, `"1m30s"`, `"2000"` (in `unit`).
fn text_count(text: &str, unit: i128) -> Result<Count, Millis> {
    let text = text.trim();
    let mut rest = text.strip_prefix('-').unwrap_or(text);
    let negative = rest.len() < text.len();
    let mut total = Count::whole(0);
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        let after = after.trim_start();
        let unit_len = after
            .find(|c: char| !c.is_alphabetic() && c != 'µ')
            .unwrap_or(after.len());
        let (suffix, after) = after.split_at(unit_len);
        let number = decimal(&number.replace('_', "")).ok_or(Millis::NotANumber)?;
        let nanos = if suffix.is_empty() {
            unit
        } else {
            unit_nanos(suffix).ok_or(Millis::NotANumber)?
        };
        let part = number.convert(nanos, unit).ok_or(Millis::Overflow)?;
        total = arithmetic(&BinOp::Add(Default::default()), total, part)?;
        rest = after.trim_start();
    }
    if text.is_empty() || rest.len() == text.len() {
        return Err(Millis::NotANumber);
    }
    Ok(if negative {
        Count {
            num: -total.num,
            den: total.den,
        }
    } else {
        total
    })
}

/// `Duration::from_secs(2)` and its siblings.
fn duration_constructor(call: &syn::ExprCall, unit: i128) -> Result<Count, Millis> {
    let Expr::Path(path) = &*call.func else {
        return Err(Millis::NotANumber);
    };
    let name = path
        .path
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default();
    let nanos = match name.trim_end_matches("_f32").trim_end_matches("_f64") {
        "from_nanos" => 1,
        "from_micros" => 1_000,
        "from_millis" => NANOS_PER_MS,
        "from_secs" => 1_000 * NANOS_PER_MS,
        "from_mins" => 60_000 * NANOS_PER_MS,
        "from_hours" => 3_600_000 * NANOS_PER_MS,
        _ => return Err(Millis::NotANumber),
    };
    let [arg] = call.args.iter().collect::<Vec<_>>()[..] else {
        return Err(Millis::NotANumber);
    };
    // The argument is a plain number of the constructor's unit.
    count(arg, nanos)?
        .convert(nanos, unit)
        .ok_or(Millis::Overflow)
}

/// `"1.5"`, `"2e3"`, `"15"` as an exact fraction.
fn decimal(digits: &str) -> Option<Count> {
    let (mantissa, exponent) = match digits.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().ok()?),
        None => (digits, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let num: i128 = format!("{whole}{fraction}").parse().ok()?;
    let scale = exponent - i32::try_from(fraction.len()).ok()?;
    let power = 10i128.checked_pow(scale.unsigned_abs())?;
    Some(if scale >= 0 {
        Count::whole(num.checked_mul(power)?)
    } else {
        Count::reduced(num, power)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(source: &str) -> Millis {
        read(&syn::parse_str(source).unwrap(), NANOS_PER_MS)
    }

    #[test]
    fn plain_numbers() {
        assert_eq!(ms("2000"), Millis::Plain(2000));
        assert_eq!(ms("2_000"), Millis::Plain(2000));
        assert_eq!(ms("0x10"), Millis::Plain(16));
        assert_eq!(ms("0"), Millis::Plain(0));
    }

    #[test]
    fn other_spellings_are_exact() {
        for (source, expected) in [
            ("2s", 2000),
            ("500ms", 500),
            ("1min", 60_000),
            ("1.5s", 1500),
            ("2000u64", 2000),
            ("2.0", 2),
            ("\"2s\"", 2000),
            ("\"1.5 s\"", 1500),
            ("\"1m30s\"", 90_000),
            ("\"250\"", 250),
            ("2 * 1000", 2000),
            ("(1 + 1) * 1000", 2000),
            ("Duration::from_secs(2)", 2000),
            ("std::time::Duration::from_millis(1500)", 1500),
            ("Duration::from_secs_f64(0.25)", 250),
            ("1e3", 1000),
            ("3000000us", 3000),
        ] {
            assert_eq!(ms(source), Millis::Spelled(expected), "{source}");
        }
    }

    #[test]
    fn what_cannot_be_written_in_milliseconds() {
        assert_eq!(ms("0.5ms"), Millis::Fraction);
        assert_eq!(ms("0.0001s"), Millis::Fraction);
        assert_eq!(ms("1000 / 3"), Millis::Fraction);
        assert_eq!(ms("-5"), Millis::Negative);
        assert_eq!(ms("-2s"), Millis::Negative);
        assert_eq!(ms("TIMEOUT"), Millis::Named);
        assert_eq!(ms("config::TIMEOUT"), Millis::Named);
        assert_eq!(ms("\"fast\""), Millis::NotANumber);
        assert_eq!(ms("true"), Millis::NotANumber);
        assert_eq!(ms("2pc"), Millis::NotANumber);
        assert_eq!(
            ms("340282366920938463463374607431768211456"),
            Millis::Overflow
        );
    }

    #[test]
    fn numbers_under_a_unit_named_argument() {
        let secs = |source: &str| read(&syn::parse_str(source).unwrap(), 1_000 * NANOS_PER_MS);
        assert_eq!(secs("2"), Millis::Spelled(2000));
        assert_eq!(secs("0.25"), Millis::Spelled(250));
        assert_eq!(secs("500ms"), Millis::Spelled(500));
    }
}
