//! The fast path of [`super::parse_documents`]: our [`Node`] tree built straight from the
//! parser's events, without serde-saphyr's deserializer layer (a `Spanned` per node and
//! key, key nodes recorded and replayed for its duplicate and merge-key checks), which
//! was half of a desired file's parse.
//!
//! It reads the same events serde-saphyr reads (the same `granit_parser` with the same
//! options) and accepts only a subset whose result it can show equal to serde-saphyr's:
//!
//! - block and flow mappings and sequences, nested at most [`MAX_DEPTH`] deep;
//! - mapping keys that are quoted scalars, or plain scalars that are plainly strings
//!   (see [`plain`]), each key once in its mapping;
//! - quoted and block scalars (strings), and plain scalars that are null (`~`, `null`,
//!   `Null`, `NULL`, nothing), `true`/`false` in their three spellings, decimal integers
//!   without a sign or leading zero (or with `-`) that fit 64 bits, decimals like `20.5`,
//!   and text that no YAML 1.2 number can be.
//!
//! Anything else answers `None`, "not sure", and the caller parses the whole text again
//! through serde-saphyr, which stays the reference: any parser error (so that messages and
//! positions stay its own), an anchor, alias, tag or `%YAML` directive, a merge key `<<`,
//! a key that is a collection or a null, boolean or number, a key twice in one mapping, any
//! other plain scalar (`0x1F`, `1e3`, `+1`, `.5`, `0755`, `.inf`, a huge integer...), and a
//! stream that comes near a limit of serde-saphyr's budget. A plain scalar read here as
//! something serde-saphyr would read differently is silent drift, so each rule below names
//! the serde-saphyr code it follows (`deserialize_any` and `parse_scalars` in 2.2).

use super::{Key, Node, NodeKind, Pos};
use serde_saphyr::granit_parser::{Event, Options, Parser, ScalarStyle, Span, StrInput};

/// Deeper nesting is left to serde-saphyr (its budget stops at 64): the tree is built
/// without recursion, but its `Drop` and every later walk of it recurse.
pub(super) const MAX_DEPTH: usize = 32;

/// A quarter of serde-saphyr's budget for each count it keeps: a stream near a limit is
/// left to serde-saphyr, which then reports the breach (or not) itself.
struct Limits {
    events: usize,
    nodes: usize,
    documents: usize,
    scalar_bytes: usize,
}

/// The parser as serde-saphyr 2.2 sets it up (`Options::parser_options` and
/// `Budget::parser_options`, comments off): the same events, the same errors.
fn parser_options(options: &serde_saphyr::Options) -> Option<(Options, Limits)> {
    let budget = options.budget.as_ref()?;
    let mut parser = Options::default();
    parser.simple_key_max_lookahead = budget.simple_key_max_lookahead;
    parser.flow_nesting_limit = budget.flow_nesting_limit;
    parser.block_nesting_limit = parser
        .block_nesting_limit
        .max(budget.max_depth.saturating_add(1));
    parser.emit_comments = false;
    parser.strict_indentation = options.strict_indentation;
    parser.bom_inside_document_as_content = options.bom_inside_document_as_content;
    let limits = Limits {
        events: budget.max_events / 4,
        nodes: budget.max_nodes / 4,
        documents: budget.max_documents / 4,
        scalar_bytes: budget.max_total_scalar_bytes / 4,
    };
    // The resolution rules below are those of these settings only.
    let supported = options.strict_booleans
        && options.leading_zero_numbers_as_strings
        && !options.legacy_octal_numbers
        && !options.no_schema
        && !options.null_as_string
        && matches!(
            options.duplicate_keys,
            serde_saphyr::DuplicateKeyPolicy::Error
        )
        && budget.max_depth > MAX_DEPTH;
    supported.then_some((parser, limits))
}

/// A collection being read.
enum Open {
    Seq(Pos, Vec<Node>),
    /// The entries so far, and the key read whose value comes next.
    Map(Pos, Vec<(Key, Node)>, Option<Key>),
}

/// The documents of `text`, empty and null ones skipped, or `None` when the text is
/// outside the subset this path can show equal to serde-saphyr's reading.
pub(super) fn parse(text: &str, options: &serde_saphyr::Options) -> Option<Vec<Node>> {
    let (parser_options, limits) = parser_options(options)?;
    let mut parser = Parser::with_options(StrInput::new(text), parser_options);
    let (mut events, mut nodes, mut documents, mut scalar_bytes) = (0usize, 0usize, 0usize, 0);
    let mut docs = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    while let Some(item) = parser.next_event() {
        let (event, span) = item.ok()?;
        events += 1;
        if events > limits.events {
            return None;
        }
        let done = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => continue,
            Event::DocumentStart(_, version) => {
                documents += 1;
                if version.is_some() || documents > limits.documents {
                    return None;
                }
                continue;
            }
            Event::Scalar(value, style, anchor, tag) => {
                nodes += 1;
                scalar_bytes += value.len();
                if anchor != 0 || tag.is_some() || nodes > limits.nodes {
                    return None;
                }
                if scalar_bytes > limits.scalar_bytes {
                    return None;
                }
                let pos = pos_of(&span);
                if let Some(Open::Map(_, entries, key @ None)) = open.last_mut() {
                    let name = key_name(value.as_ref(), style)?;
                    if is_repeated(entries, &name) {
                        return None;
                    }
                    *key = Some(Key { pos, name });
                    continue;
                }
                let kind = scalar(value.as_ref(), style)?;
                if open.is_empty() && kind == NodeKind::Null {
                    // A null document is skipped, as serde-saphyr's `from_multiple` does.
                    continue;
                }
                Node { pos, kind }
            }
            Event::SequenceStart(_, anchor, tag) | Event::MappingStart(_, anchor, tag)
                if anchor != 0 || tag.is_some() =>
            {
                return None;
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                nodes += 1;
                // A collection as a mapping key: serde-saphyr fingerprints it; not here.
                let is_key = matches!(open.last(), Some(Open::Map(_, _, None)));
                if is_key || nodes > limits.nodes || open.len() >= MAX_DEPTH {
                    return None;
                }
                let pos = pos_of(&span);
                open.push(match event {
                    Event::SequenceStart(..) => Open::Seq(pos, Vec::new()),
                    _ => Open::Map(pos, Vec::new(), None),
                });
                continue;
            }
            Event::SequenceEnd => match open.pop()? {
                Open::Seq(pos, items) => Node {
                    pos,
                    kind: NodeKind::Seq(items),
                },
                Open::Map(..) => return None,
            },
            Event::MappingEnd => match open.pop()? {
                Open::Map(pos, entries, None) => Node {
                    pos,
                    kind: NodeKind::Map(entries),
                },
                _ => return None,
            },
            // Aliases, anchor and comment events (not asked for), and whatever a later
            // parser adds.
            _ => return None,
        };
        match open.last_mut() {
            None => docs.push(done),
            Some(Open::Seq(_, items)) => items.push(done),
            Some(Open::Map(_, entries, key)) => entries.push((key.take()?, done)),
        }
    }
    open.is_empty().then_some(docs)
}

/// serde-saphyr's `Location`: the event's first character, line and column 1-based
/// (saturating at `u32::MAX`, as `Location::new` does).
fn pos_of(span: &Span) -> Pos {
    let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Pos {
        line: clamp(span.start.line()),
        column: clamp(span.start.col().saturating_add(1)),
    }
}

/// Most keys a mapping may have here: the duplicate check is a scan of the keys so far,
/// which stays cheap below this; a longer mapping is left to serde-saphyr.
const MAX_KEYS: usize = 256;

fn is_repeated(entries: &[(Key, Node)], name: &str) -> bool {
    entries.len() >= MAX_KEYS || entries.iter().any(|(key, _)| key.name == name)
}

/// A mapping key's name, when serde-saphyr's would be the scalar's text and its
/// duplicate-key fingerprint that text as a string (`KeyNode::fingerprint`): a quoted
/// key, or a plain one that is plainly a string and no integer in any radix. A plain key that reads as a number
/// (fingerprinted as that integer: `1` and `0x1` are the same key), a null (its
/// `deserialize_string` refuses it) or a boolean is left to serde-saphyr, and so is
/// `<<` in any style (a merge key when plain).
fn key_name(text: &str, style: ScalarStyle) -> Option<String> {
    if text == "<<" {
        return None;
    }
    match style {
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Some(text.to_owned()),
        // `0X1F` is a string as a value but the integer 31 as a key (its fingerprint
        // parses every radix): `0X1F` and `0X1f` are the same key there.
        ScalarStyle::Plain if matches!(text.as_bytes(), [b'0', b'X' | b'O' | b'B', ..]) => None,
        ScalarStyle::Plain => match plain(text)? {
            NodeKind::String(name) => Some(name),
            _ => None,
        },
        ScalarStyle::Literal | ScalarStyle::Folded => None,
    }
}

/// A value scalar as serde-saphyr's `deserialize_any` resolves an untagged one: every
/// style but plain is a string as written.
fn scalar(text: &str, style: ScalarStyle) -> Option<NodeKind> {
    match style {
        ScalarStyle::Plain => plain(text),
        ScalarStyle::SingleQuoted
        | ScalarStyle::DoubleQuoted
        | ScalarStyle::Literal
        | ScalarStyle::Folded => Some(NodeKind::String(text.to_owned())),
    }
}

/// An untagged plain scalar under our options (`strict_booleans`,
/// `leading_zero_numbers_as_strings`), or `None` when not sure. serde-saphyr's order:
/// null (`scalar_is_nullish`, exact text), booleans (`parse_yaml12_bool`, trimmed), the
/// spellings kept as strings (uppercase radix, signed `.nan`, leading zero), integers
/// (`parse_int_unsigned::<u64>`, or `parse_int_signed::<i64>` after `-`), floats
/// (`str::parse::<f64>` and the `.inf`/`.nan` spellings), and a string otherwise.
pub(super) fn plain(text: &str) -> Option<NodeKind> {
    let padded = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let bytes = text.as_bytes();
    // `yaml_trim` would see through padding; the parser leaves none on a plain scalar,
    // and a scalar with some is not one to be sure of.
    if bytes.first().is_some_and(padded) || bytes.last().is_some_and(padded) {
        return None;
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(NodeKind::Null),
        "true" | "True" | "TRUE" => return Some(NodeKind::Bool(true)),
        "false" | "False" | "FALSE" => return Some(NodeKind::Bool(false)),
        _ => {}
    }
    let string = || Some(NodeKind::String(text.to_owned()));
    match bytes[0] {
        // No integer (digits or `_`, after an optional sign), no `.inf`/`.nan` and no
        // float `str::parse` takes finite starts with any other character (it takes
        // `inf`, `infinity` and `nan`, which are not finite, and then a digit is
        // required after the sign for the overflow case).
        b'0'..=b'9' => {}
        b'-' => return negative(text),
        b'+' | b'.' => return None,
        _ => return string(),
    }
    if text == "0" {
        return Some(NodeKind::Number(0u64.into()));
    }
    if bytes[0] != b'0' && bytes.iter().all(u8::is_ascii_digit) {
        // Beyond u64 it would be an f64: not here.
        return text.parse::<u64>().ok().map(|n| NodeKind::Number(n.into()));
    }
    if let Some(number) = decimal(text, text) {
        return number;
    }
    match bytes {
        // serde-saphyr keeps `0X1F`, `0O17`, `0B1` as strings before it tries a number.
        [b'0', b'X' | b'O' | b'B', ..] => return string(),
        // After `0x`, `0o`, `0b` an integer is hex digits and `_` (`parse_digits_u128`),
        // and `str::parse::<f64>` takes no `x`, `o`, `b`.
        [b'0', b'x' | b'o' | b'b', rest @ ..] => {
            let hex = |b: &u8| b.is_ascii_hexdigit() || *b == b'_';
            return if rest.iter().all(hex) { None } else { string() };
        }
        _ => {}
    }
    // A radix-10 integer is only digits and `_`; a float that `str::parse` takes is only
    // digits, `.`, one `e`/`E` and a sign right after it. Text that starts with a digit
    // and has a character outside both, or two exponent marks, is neither: a string.
    let outside = bytes.iter().enumerate().any(|(i, &b)| match b {
        b'0'..=b'9' | b'.' | b'e' | b'E' | b'_' => false,
        b'+' | b'-' => !matches!(bytes[i - 1], b'e' | b'E'),
        _ => true,
    });
    let exponents = bytes.iter().filter(|b| matches!(b, b'e' | b'E')).count();
    if outside || exponents > 1 {
        string()
    } else {
        None
    }
}

/// `-` and then decimal digits without a leading zero that fit an i64 (serde-saphyr's
/// `parse_int_signed::<i64>`), or a decimal like `-20.5`; anything else after a `-` is
/// left to serde-saphyr.
fn negative(text: &str) -> Option<NodeKind> {
    let digits = &text[1..];
    let bytes = digits.as_bytes();
    if bytes.first().is_some_and(|b| (b'1'..=b'9').contains(b))
        && bytes.iter().all(u8::is_ascii_digit)
    {
        return text.parse::<i64>().ok().map(|n| NodeKind::Number(n.into()));
    }
    decimal(text, digits).flatten()
}

/// `20.5`, `0.25` (`unsigned`, the text after any `-`): digits without a leading zero,
/// a point, digits. serde-saphyr finds no integer in it and reads the text with
/// `str::parse::<f64>`; the same call here, and a value beyond f64 (an error there) is
/// left to serde-saphyr. `Some(None)`: the shape, but not sure of the value.
fn decimal(text: &str, unsigned: &str) -> Option<Option<NodeKind>> {
    let (whole, fraction) = unsigned.split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || (whole.len() > 1 && whole.starts_with('0')) {
        return None;
    }
    let value = text.parse::<f64>().ok().filter(|v| v.is_finite());
    Some(
        value
            .and_then(serde_json::Number::from_f64)
            .map(NodeKind::Number),
    )
}
