//! Whether `devtrack web` lets a browser's request through to the daemon.
//!
//! The loopback port `devtrack web` listens on can be reached by every
//! local user and, through DNS rebinding or a blind cross-site POST, by any
//! web page the browser shows. So every request must name our own
//! `127.0.0.1:PORT` as its `Host` (a rebound name fails), carry the session
//! cookie that only the launch token's first use hands out (another local
//! user has neither), and every write must also come from our own origin
//! with the custom header [`CUSTOM_HEADER`] (a cross-site form cannot set
//! it, and no CORS header ever allows it). The decision is a pure function
//! of the request's facts, [`decide`]; the proxy around it does the I/O.

/// The header every write must carry (`X-Devtrack: 1`).
pub const CUSTOM_HEADER: &str = "x-devtrack";
/// The session cookie's name.
pub const COOKIE: &str = "devtrack_session";
/// The launch token's query parameter.
pub const TOKEN_PARAM: &str = "token";

/// What the proxy knows about itself: its address and its secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ours<'a> {
    /// `127.0.0.1:PORT`, as a browser sends it in `Host`.
    pub host: &'a str,
    /// The session cookie's value.
    pub session: &'a str,
    /// The launch token, until its first use.
    pub launch_token: Option<&'a str>,
}

/// What a request says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Facts<'a> {
    /// Anything but GET and HEAD.
    pub write: bool,
    pub host: Option<&'a str>,
    pub origin: Option<&'a str>,
    /// `X-Devtrack: 1` is present.
    pub custom_header: bool,
    /// The value of our cookie, when the request carries it.
    pub cookie: Option<&'a str>,
    /// The `token` query parameter, when present.
    pub token: Option<&'a str>,
}

/// What to do with the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Pass it to the daemon.
    Forward,
    /// The launch token's first use: set the cookie, spend the token and
    /// redirect to the same path without it.
    Admit,
    /// Answer with this status and reason; nothing reaches the daemon.
    Refuse(u16, &'static str),
}

/// The facts of a request with `method`, `headers` and `query`, its
/// secret looked for in the query parameter `param`.
pub(crate) fn facts<'a>(
    method: &str,
    headers: &'a hyper::HeaderMap,
    query: Option<&'a str>,
    param: &str,
) -> Facts<'a> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    Facts {
        write: !matches!(method, "GET" | "HEAD"),
        host: header("host"),
        origin: header("origin"),
        custom_header: header(CUSTOM_HEADER) == Some("1"),
        cookie: header("cookie").and_then(|c| cookie_value(c, COOKIE)),
        token: query_param(query, param),
    }
}

/// Where an admitted request is sent (its address without the secret) and
/// the `Set-Cookie` value that comes with it.
pub(crate) fn admission(
    path: &str,
    query: Option<&str>,
    param: &str,
    session: &str,
) -> (String, String) {
    (without_param(path, query, param), session_cookie(session))
}

/// The one decision: rebinding first (403), then the launch token, then the
/// cookie (401), then the write checks (403).
pub(crate) fn decide(facts: &Facts<'_>, ours: &Ours<'_>) -> Verdict {
    if facts.host != Some(ours.host) {
        return Verdict::Refuse(403, "this page answers only on its own loopback address");
    }
    if let Some(token) = facts.token {
        return match ours.launch_token {
            Some(fresh) if !facts.write && same_secret(token, fresh) => Verdict::Admit,
            _ => Verdict::Refuse(
                401,
                "this launch link was already used or is not ours: run `devtrack web` again",
            ),
        };
    }
    if !facts.cookie.is_some_and(|c| same_secret(c, ours.session)) {
        return Verdict::Refuse(
            401,
            "no session: open the link `devtrack web` printed (it works once)",
        );
    }
    if facts.write {
        let own_origin = facts
            .origin
            .and_then(|o| o.strip_prefix("http://"))
            .is_some_and(|o| o == ours.host);
        if !own_origin {
            return Verdict::Refuse(403, "a write must come from this page's own origin");
        }
        if !facts.custom_header {
            return Verdict::Refuse(403, "a write must carry the `X-Devtrack: 1` header");
        }
    }
    Verdict::Forward
}

/// The query parameter that hands the daemon's own listener its key once
/// in a browser (`web.listen`).
pub const KEY_PARAM: &str = "key";

/// The same decision for the daemon's own TCP listener (`web.listen`),
/// whose secret is the key kept in its 0600 file: `Authorization: Bearer
/// KEY` lets a script or Prometheus through (a cross-site page cannot send
/// it: no CORS header allows it), `?key=KEY` sets the cookie in a browser
/// and may be used again (a bookmark); everything else as [`decide`].
pub(crate) fn decide_listen(
    facts: &Facts<'_>,
    bearer: Option<&str>,
    host: &str,
    key: &str,
) -> Verdict {
    if facts.host != Some(host) {
        return Verdict::Refuse(403, "this page answers only on its own address");
    }
    if let Some(bearer) = bearer {
        return if same_secret(bearer, key) {
            Verdict::Forward
        } else {
            Verdict::Refuse(401, "wrong bearer key")
        };
    }
    decide(
        facts,
        &Ours {
            host,
            session: key,
            launch_token: Some(key),
        },
    )
}

/// Compares two secrets in time independent of where they differ.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The value of cookie `name` in a `Cookie` header.
pub(crate) fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// The value of query parameter `name` (not percent-decoded: our tokens
/// and the values we read are plain).
pub(crate) fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then_some(v)
    })
}

/// The query without parameter `name`, for the redirect that drops the
/// launch token from the address bar.
pub(crate) fn without_param(path: &str, query: Option<&str>, name: &str) -> String {
    let kept: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty() && p.split('=').next() != Some(name))
        .collect();
    if kept.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

/// The `Set-Cookie` value for the session.
pub(crate) fn session_cookie(value: &str) -> String {
    format!("{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "127.0.0.1:4000";
    const OURS: Ours<'static> = Ours {
        host: HOST,
        session: "s3cret",
        launch_token: Some("t0ken"),
    };
    const SPENT: Ours<'static> = Ours {
        launch_token: None,
        ..OURS
    };

    fn read(cookie: Option<&'static str>) -> Facts<'static> {
        Facts {
            host: Some(HOST),
            cookie,
            ..Facts::default()
        }
    }

    fn write(origin: Option<&'static str>, custom_header: bool) -> Facts<'static> {
        Facts {
            write: true,
            origin,
            custom_header,
            ..read(Some("s3cret"))
        }
    }

    #[test]
    fn decisions() {
        let rebound = Facts {
            host: Some("evil.example:4000"),
            ..read(Some("s3cret"))
        };
        let cases: &[(&str, Facts<'static>, Ours<'static>, Verdict)] = &[
            (
                "read with the cookie",
                read(Some("s3cret")),
                OURS,
                Verdict::Forward,
            ),
            ("rebound host", rebound, OURS, Verdict::Refuse(403, "")),
            (
                "no host",
                Facts {
                    host: None,
                    ..read(Some("s3cret"))
                },
                OURS,
                Verdict::Refuse(403, ""),
            ),
            (
                "localhost is another host",
                Facts {
                    host: Some("localhost:4000"),
                    ..read(Some("s3cret"))
                },
                OURS,
                Verdict::Refuse(403, ""),
            ),
            (
                "another port",
                Facts {
                    host: Some("127.0.0.1:4001"),
                    ..read(Some("s3cret"))
                },
                OURS,
                Verdict::Refuse(403, ""),
            ),
            ("no cookie", read(None), OURS, Verdict::Refuse(401, "")),
            (
                "wrong cookie",
                read(Some("s3cres")),
                OURS,
                Verdict::Refuse(401, ""),
            ),
            (
                "fresh token",
                Facts {
                    token: Some("t0ken"),
                    ..read(None)
                },
                OURS,
                Verdict::Admit,
            ),
            (
                "spent token",
                Facts {
                    token: Some("t0ken"),
                    ..read(None)
                },
                SPENT,
                Verdict::Refuse(401, ""),
            ),
            (
                "spent token with a cookie",
                Facts {
                    token: Some("t0ken"),
                    ..read(Some("s3cret"))
                },
                SPENT,
                Verdict::Refuse(401, ""),
            ),
            (
                "wrong token",
                Facts {
                    token: Some("guess"),
                    ..read(None)
                },
                OURS,
                Verdict::Refuse(401, ""),
            ),
            (
                "token on a write",
                Facts {
                    token: Some("t0ken"),
                    ..write(Some("http://127.0.0.1:4000"), true)
                },
                OURS,
                Verdict::Refuse(401, ""),
            ),
            (
                "same-origin write",
                write(Some("http://127.0.0.1:4000"), true),
                OURS,
                Verdict::Forward,
            ),
            (
                "cross-origin write",
                write(Some("http://evil.example"), true),
                OURS,
                Verdict::Refuse(403, ""),
            ),
            (
                "write without origin",
                write(None, true),
                OURS,
                Verdict::Refuse(403, ""),
            ),
            (
                "https origin is not ours",
                write(Some("https://127.0.0.1:4000"), true),
                OURS,
                Verdict::Refuse(403, ""),
            ),
            (
                "write without the header",
                write(Some("http://127.0.0.1:4000"), false),
                OURS,
                Verdict::Refuse(403, ""),
            ),
            (
                "write without a cookie",
                Facts {
                    cookie: None,
                    ..write(Some("http://127.0.0.1:4000"), true)
                },
                OURS,
                Verdict::Refuse(401, ""),
            ),
        ];
        for (name, facts, ours, want) in cases {
            let got = match decide(facts, ours) {
                Verdict::Refuse(code, _) => Verdict::Refuse(code, ""),
                v => v,
            };
            assert_eq!(got, *want, "{name}");
        }
    }

    #[test]
    fn the_listener_takes_its_key_as_bearer_cookie_or_once_in_the_query() {
        let key = "k3y";
        let cases: &[(&str, Facts<'static>, Option<&str>, Verdict)] = &[
            ("bearer", read(None), Some("k3y"), Verdict::Forward),
            (
                "bearer write",
                Facts {
                    write: true,
                    ..read(None)
                },
                Some("k3y"),
                Verdict::Forward,
            ),
            (
                "wrong bearer",
                read(None),
                Some("k3x"),
                Verdict::Refuse(401, ""),
            ),
            (
                "bearer, rebound host",
                Facts {
                    host: Some("evil.example:4000"),
                    ..read(None)
                },
                Some("k3y"),
                Verdict::Refuse(403, ""),
            ),
            ("nothing", read(None), None, Verdict::Refuse(401, "")),
            (
                "key in the query",
                Facts {
                    token: Some("k3y"),
                    ..read(None)
                },
                None,
                Verdict::Admit,
            ),
            (
                "wrong key in the query",
                Facts {
                    token: Some("nope"),
                    ..read(None)
                },
                None,
                Verdict::Refuse(401, ""),
            ),
            ("cookie", read(Some("k3y")), None, Verdict::Forward),
            (
                "cookie, cross-origin write",
                Facts {
                    write: true,
                    origin: Some("http://evil.example"),
                    custom_header: true,
                    ..read(Some("k3y"))
                },
                None,
                Verdict::Refuse(403, ""),
            ),
        ];
        for (name, facts, bearer, want) in cases {
            let got = match decide_listen(facts, *bearer, HOST, key) {
                Verdict::Refuse(code, _) => Verdict::Refuse(code, ""),
                v => v,
            };
            assert_eq!(got, *want, "{name}");
        }
    }

    #[test]
    fn headers_and_queries() {
        assert_eq!(
            cookie_value("a=1; devtrack_session=xyz; b=2", COOKIE),
            Some("xyz")
        );
        assert_eq!(cookie_value("devtrack_sessionx=1", COOKIE), None);
        assert_eq!(query_param(Some("a=1&token=abc"), TOKEN_PARAM), Some("abc"));
        assert_eq!(query_param(Some("tokens=abc"), TOKEN_PARAM), None);
        assert_eq!(query_param(None, TOKEN_PARAM), None);
        assert_eq!(without_param("/", Some("token=abc"), TOKEN_PARAM), "/");
        assert_eq!(
            without_param("/x", Some("a=1&token=abc&b=2"), TOKEN_PARAM),
            "/x?a=1&b=2"
        );
        assert!(session_cookie("v").contains("HttpOnly; SameSite=Strict"));
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
