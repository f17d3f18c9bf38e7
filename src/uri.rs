//! Canonical text of the URIs a phone number holds, for comparison only.
//!
//! Owns: the equivalences the standards define, and no others:
//! - SIP and SIPS URIs, RFC 3261 §19.1.4: the scheme, the host and parameter names
//!   compare case-insensitively, and so do the values of the parameters RFC 3261
//!   defines as tokens or hosts (`transport`, `user`, `ttl`, `maddr`, `lr`; not
//!   `method`: a method is case-sensitive, §7.1); the user part, the password and
//!   URI header values compare case-sensitively; the order of
//!   parameters and of headers is not significant; `%xx` of a character outside the
//!   reserved set equals the character;
//! - http(s) and ws(s) URLs, RFC 3986 §6.2.2 (scheme and host case, percent-encoding
//!   hex case, percent-encoded unreserved characters decoded) and §6.2.3 (the default
//!   port and an empty port dropped, an empty path is `/`).
//!
//! What is deliberately not folded: anything a standard does not name. RFC 3261 also
//! lets a URI parameter present on one side only be ignored; a drift audit reports
//! it. Dot segments (RFC 3986 §6.2.2.3) and the case of extension parameter values
//! stay as written. A value these functions cannot read is returned as `None` and
//! compared exactly as written: never more equal than the standard says.
//!
//! Pure functions, no I/O.

/// RFC 3986 §2.3 unreserved characters.
fn rfc3986_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// RFC 3261 §25.1 (RFC 2396) unreserved characters: alphanum and mark.
fn rfc3261_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
        )
}

/// Percent-encodings of unreserved characters decoded, every other one written with
/// upper-case hex digits; `None` for a `%` not followed by two hex digits.
fn percent_normalized(s: &str, unreserved: fn(u8) -> bool) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            let byte = u8::from_str_radix(hex, 16).ok()?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            if unreserved(byte) {
                out.push(char::from(byte));
            } else {
                out.push('%');
                out.push_str(&hex.to_ascii_uppercase());
            }
            i += 3;
        } else {
            let c = s[i..].chars().next()?;
            out.push(c);
            i += c.len_utf8();
        }
    }
    Some(out)
}

/// Lower case, except the hex digits of percent-encodings (kept upper case).
fn lower_outside_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut escape = 0;
    for c in s.chars() {
        if c == '%' {
            escape = 2;
            out.push(c);
        } else if escape > 0 {
            escape -= 1;
            out.push(c);
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Printable ASCII only: no spaces, controls or other characters a URI cannot hold.
fn uri_text(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic())
}

/// RFC 3261 parameters whose values are case-insensitive tokens or hosts.
const SIP_FOLDED_PARAMS: [&str; 5] = ["transport", "user", "ttl", "maddr", "lr"];

/// The RFC 3261 §19.1.4 canonical form of a SIP or SIPS URI; `None` when `s` is
/// not one this function can read (it is then compared as written).
pub fn sip_canonical(s: &str) -> Option<String> {
    if !uri_text(s) {
        return None;
    }
    let (scheme, rest) = s.split_once(':')?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "sip" && scheme != "sips" {
        return None;
    }
    let rest = percent_normalized(rest, rfc3261_unreserved)?;
    // No `@` is allowed after the user part (hosts, parameters and headers cannot
    // hold one), so the first `@` ends it.
    let (userinfo, after) = match rest.split_once('@') {
        Some((u, a)) if !u.is_empty() => (Some(u), a),
        Some(_) => return None,
        None => (None, rest.as_str()),
    };
    let (before_headers, headers) = match after.split_once('?') {
        Some((b, h)) => (b, Some(h)),
        None => (after, None),
    };
    let mut parts = before_headers.split(';');
    let hostport = parts.next().filter(|h| {
        !h.is_empty()
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
    })?;
    let mut params = Vec::new();
    for p in parts {
        let (name, value) = match p.split_once('=') {
            Some((n, v)) => (n.to_ascii_lowercase(), Some(v)),
            None => (p.to_ascii_lowercase(), None),
        };
        if name.is_empty() {
            return None;
        }
        let value = value.map(|v| {
            if SIP_FOLDED_PARAMS.contains(&name.as_str()) {
                lower_outside_escapes(v)
            } else {
                v.to_string()
            }
        });
        params.push((name, value));
    }
    // Order is not significant; stable, so repeats of one name keep their order.
    params.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = scheme;
    out.push(':');
    if let Some(u) = userinfo {
        out.push_str(u);
        out.push('@');
    }
    out.push_str(&hostport.to_ascii_lowercase());
    for (name, value) in params {
        out.push(';');
        out.push_str(&name);
        if let Some(v) = value {
            out.push('=');
            out.push_str(&v);
        }
    }
    if let Some(headers) = headers {
        let mut list = Vec::new();
        for h in headers.split('&') {
            let (name, value) = h.split_once('=')?;
            if name.is_empty() {
                return None;
            }
            // SIP header names are case-insensitive (RFC 3261 §7.3.5); values are not.
            list.push((name.to_ascii_lowercase(), value));
        }
        list.sort_by(|a, b| a.0.cmp(&b.0));
        out.push('?');
        let joined: Vec<String> = list.iter().map(|(n, v)| format!("{n}={v}")).collect();
        out.push_str(&joined.join("&"));
    }
    Some(out)
}

/// The `sipUri` of a provider `vapi` number, which Vapi documents as case-insensitive
/// as a whole: the RFC 3261 canonical form, then lower case (escapes aside); a value
/// that is not a SIP URI is lower-cased as it is.
pub fn vapi_sip_uri(s: &str) -> String {
    lower_outside_escapes(&sip_canonical(s).unwrap_or_else(|| s.to_string()))
}

/// The default port of the schemes whose URLs are normalized (RFC 9110 §4.2.1-2,
/// RFC 6455 §3).
fn default_port(scheme: &str) -> Option<&'static str> {
    match scheme {
        "http" | "ws" => Some("80"),
        "https" | "wss" => Some("443"),
        _ => None,
    }
}

/// The RFC 3986 §6.2.2-6.2.3 canonical form of an http, https, ws or wss URL;
/// `None` when `s` is not one this function can read (it is then compared as written).
pub fn url_canonical(s: &str) -> Option<String> {
    // A backslash is read as a path separator by WHATWG parsers: compared as written.
    if !uri_text(s) || s.contains('\\') {
        return None;
    }
    let (scheme, rest) = s.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default = default_port(&scheme)?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(percent_normalized(u, rfc3986_unreserved)?), h),
        None => (None, authority),
    };
    let (host, port) = if hostport.starts_with('[') {
        let close = hostport.find(']')?;
        let (host, after) = hostport.split_at(close + 1);
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| rfc3986_unreserved(b) || b"%!$&'()*+,;=[]:".contains(&b))
        || port.is_some_and(|p| !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let host = lower_outside_escapes(&percent_normalized(host, rfc3986_unreserved)?);
    let (path_query, fragment) = match tail.split_once('#') {
        Some((pq, f)) => (pq, Some(f)),
        None => (tail, None),
    };
    let (path, query) = match path_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_query, None),
    };
    let mut out = scheme;
    out.push_str("://");
    if let Some(u) = userinfo {
        out.push_str(&u);
        out.push('@');
    }
    out.push_str(&host);
    if let Some(p) = port.filter(|p| !p.is_empty() && *p != default) {
        out.push(':');
        out.push_str(p);
    }
    let path = percent_normalized(path, rfc3986_unreserved)?;
    out.push_str(if path.is_empty() { "/" } else { &path });
    if let Some(q) = query {
        out.push('?');
        out.push_str(&percent_normalized(q, rfc3986_unreserved)?);
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(&percent_normalized(f, rfc3986_unreserved)?);
    }
    Some(out)
}

/// Whether `s` is a UUID in its hyphenated text form (RFC 9562 §4: 8-4-4-4-12 hex
/// digits), the form whose letters are case-insensitive on input.
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip(s: &str) -> String {
        sip_canonical(s).unwrap_or_else(|| format!("(as written) {s}"))
    }

    #[test]
    fn sip_user_part_password_and_header_values_keep_their_case() {
        assert_ne!(
            sip("sip:Support@pbx.example.com"),
            sip("sip:support@pbx.example.com")
        );
        assert_ne!(sip("sip:a:Secret@h"), sip("sip:a:secret@h"));
        assert_ne!(sip("sip:x@h?X-Auth=AbCd"), sip("sip:x@h?X-Auth=abcd"));
    }

    #[test]
    fn sip_scheme_host_and_parameter_names_fold() {
        // RFC 3261 §19.1.4's own examples of equivalent URIs.
        assert_eq!(
            sip("sip:%61lice@atlanta.com;transport=TCP"),
            sip("sip:alice@AtLanTa.CoM;Transport=tcp")
        );
        assert_eq!(sip("SIP:carol@chicago.com"), sip("sip:carol@chicago.com"));
        assert_eq!(
            sip("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com"),
            sip("sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com")
        );
        // A method is case-sensitive (RFC 3261 §7.1): its value is not folded.
        assert_ne!(sip("sip:h;method=INVITE"), sip("sip:h;method=invite"));
        assert_eq!(
            sip("sip:alice@atlanta.com?subject=project%20x&priority=urgent"),
            sip("sip:alice@atlanta.com?priority=urgent&subject=project%20x")
        );
        assert_eq!(sip("sip:a@h;LR"), sip("sip:a@h;lr"));
        assert_eq!(sip("sip:a@h;maddr=EX.com"), sip("sip:a@h;maddr=ex.com"));
        // Header names fold (RFC 3261 §7.3.5); parameter values RFC 3261 does not define stay.
        assert_eq!(sip("sip:a@h?x-auth=v"), sip("sip:a@h?X-Auth=v"));
        assert_ne!(sip("sip:a@h;x-tok=AbC"), sip("sip:a@h;x-tok=abc"));
    }

    #[test]
    fn sip_differences_the_rfc_counts_stay() {
        assert_ne!(sip("sips:a@h"), sip("sip:a@h"));
        assert_ne!(sip("sip:a@h:5060"), sip("sip:a@h"));
        assert_ne!(sip("sip:a@h;transport=udp"), sip("sip:a@h"));
        assert_ne!(sip("sip:a@h"), sip("sip:h"));
        // An escaped reserved character is not its literal form; hex case is not significant.
        assert_ne!(sip("sip:a%40b@h"), sip("sip:a@b@h"));
        assert_eq!(sip("sip:a%3bb@h"), sip("sip:a%3Bb@h"));
    }

    #[test]
    fn unreadable_sip_uris_are_compared_as_written() {
        for s in [
            "tel:+1415",
            "sip:",
            "sip:a@",
            "sip:a b@h",
            "sip:a@h;",
            "sip:a@h?x",
            "sip:%zz@h",
        ] {
            assert_eq!(sip_canonical(s), None, "{s}");
        }
    }

    #[test]
    fn sip_canonical_is_idempotent() {
        for s in [
            "SIP:%61lice@AtLanTa.CoM;Transport=TCP;lr?B=2&a=1",
            "sips:+1-212-555-1212:1234@gateway.com;user=phone",
            "sip:[2001:DB8::1]:5060;maddr=X",
        ] {
            let once = sip(s);
            assert_eq!(sip(&once), once, "{s}");
            let v = vapi_sip_uri(s);
            assert_eq!(vapi_sip_uri(&v), v, "{s}");
        }
    }

    #[test]
    fn the_vapi_number_sip_uri_folds_whole() {
        assert_eq!(
            vapi_sip_uri("sip:Acme@SIP.vapi.ai"),
            vapi_sip_uri("sip:acme@sip.vapi.ai")
        );
        assert_ne!(
            vapi_sip_uri("sip:acme@sip.vapi.ai"),
            vapi_sip_uri("sip:acme2@sip.vapi.ai")
        );
    }

    fn url(s: &str) -> String {
        url_canonical(s).unwrap_or_else(|| format!("(as written) {s}"))
    }

    #[test]
    fn url_equivalences_of_rfc_3986() {
        for (a, b) in [
            (
                "HTTPS://Hooks.Example.com:443/vapi",
                "https://hooks.example.com/vapi",
            ),
            ("https://hooks.example.com", "https://hooks.example.com/"),
            (
                "https://hooks.example.com:/x",
                "https://hooks.example.com/x",
            ),
            ("http://h:80/x", "http://h/x"),
            ("wss://h:443", "wss://h/"),
            ("https://h/%7Euser", "https://h/~user"),
            ("https://h/a%2fb", "https://h/a%2Fb"),
            ("https://h/p?q=%41", "https://h/p?q=A"),
            ("https://h?x=1", "https://h/?x=1"),
            ("https://%48ost/", "https://host/"),
        ] {
            assert_eq!(url(a), url(b), "{a} vs {b}");
        }
    }

    #[test]
    fn url_differences_that_stay() {
        for (a, b) in [
            ("https://h/Vapi", "https://h/vapi"),
            ("https://h/vapi/", "https://h/vapi"),
            ("https://h/?a=1&b=2", "https://h/?b=2&a=1"),
            ("https://h/?a=X", "https://h/?a=x"),
            ("https://h:8443/", "https://h/"),
            ("http://h:443/", "http://h/"),
            ("https://h/a/../b", "https://h/b"),
            ("https://h/a%2Fb", "https://h/a/b"),
            ("https://h/?", "https://h/"),
            ("https://User@h/", "https://user@h/"),
            ("https://h/x#A", "https://h/x#a"),
        ] {
            assert_ne!(url(a), url(b), "{a} vs {b}");
        }
        for s in [
            "https://h\\staging/x",
            "https://h/a b",
            "https://h/%g1",
            "ftp://h/",
            "https://h:x/",
            "https:///x",
        ] {
            assert_eq!(url_canonical(s), None, "{s}");
        }
    }

    #[test]
    fn url_canonical_is_idempotent() {
        for s in [
            "HTTPS://Hooks.Example.com:443?%7e=%2f#%41",
            "https://u%41:p@[2001:DB8::1]:8443/a%2fb",
        ] {
            let once = url(s);
            assert_eq!(url(&once), once, "{s}");
        }
    }

    #[test]
    fn uuids_are_recognised_by_shape() {
        assert!(is_uuid("3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7"));
        assert!(is_uuid("3E4F5A6B-7C8D-4E9F-A0B1-C2D3E4F5A6B7"));
        assert!(!is_uuid("3e4f5a6b7c8d4e9fa0b1c2d3e4f5a6b7"));
        assert!(!is_uuid("{3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7}"));
        assert!(!is_uuid("3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6bz"));
    }
}
