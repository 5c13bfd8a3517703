//! A table-driven corpus of invalid and hostile scenario files (over 150 of them). Each
//! one is either refused with exit 2 and a `file:line:column` naming the problem, or
//! valid; the valid ones must also run. Everything is checked in-process through
//! `loadgate::validate::check` (the library call behind `loadgate validate`); a sample of
//! every kind also goes through the real binary, and a handful of the valid ones run
//! against the bundled reference server with a one-second plan.

mod common;
use common::*;
use std::path::Path;

/// What a corpus entry must give.
#[derive(Debug, Clone)]
enum Expect {
    /// Refused: some problem sits in `file` at `line:column`, its text containing `needle`.
    Invalid {
        file: &'static str,
        line: usize,
        column: usize,
        needle: String,
    },
    /// Accepted by `validate`; `run` marks the few that also run against the server.
    Valid { run: bool },
}

/// One corpus entry: the scenario bytes, an optional budgets file (`slo.yaml` beside it).
#[derive(Debug, Clone)]
struct Case {
    name: String,
    scenario: Vec<u8>,
    slo: Option<Vec<u8>>,
    expect: Expect,
}

const SCENARIO: &str = "scenario.yaml";
const SLO: &str = "slo.yaml";

/// The valid scenario every case starts from (line numbers matter below):
/// line 1 `name`, 4 the stage, 6 the flow's name, 8 its one step.
const BASE: &str = "name: corpus
load:
  stages:
    - { users: 1, over: 1s }
flows:
  - name: f
    steps:
      - http: { path: /health }
";

/// A scenario whose one step (line 8, the step's key at column 9) is `step`.
fn with_step(step: &str) -> String {
    BASE.replace("http: { path: /health }", step)
}

/// A scenario whose steps (from line 8) are `steps`, each prefixed `      - `.
fn with_steps(steps: &[&str]) -> String {
    let lines: String = steps.iter().map(|s| format!("      - {s}\n")).collect();
    BASE.replace("      - http: { path: /health }\n", &lines)
}

/// A scenario with `extra` lines inserted after line 1 (so they start on line 2).
fn with_top(extra: &str) -> String {
    BASE.replacen("name: corpus\n", &format!("name: corpus\n{extra}"), 1)
}

fn bad(name: &str, yaml: impl Into<Vec<u8>>, line: usize, column: usize, needle: &str) -> Case {
    Case {
        name: name.to_string(),
        scenario: yaml.into(),
        slo: None,
        expect: Expect::Invalid {
            file: SCENARIO,
            line,
            column,
            needle: needle.to_string(),
        },
    }
}

fn bad_slo(name: &str, slo: impl Into<Vec<u8>>, line: usize, column: usize, needle: &str) -> Case {
    Case {
        name: name.to_string(),
        scenario: with_top("slo: slo.yaml\n").into_bytes(),
        slo: Some(slo.into()),
        expect: Expect::Invalid {
            file: SLO,
            line,
            column,
            needle: needle.to_string(),
        },
    }
}

fn good(name: &str, yaml: impl Into<Vec<u8>>) -> Case {
    Case {
        name: name.to_string(),
        scenario: yaml.into(),
        slo: None,
        expect: Expect::Valid { run: false },
    }
}

fn good_run(name: &str, yaml: impl Into<Vec<u8>>) -> Case {
    Case {
        expect: Expect::Valid { run: true },
        ..good(name, yaml)
    }
}

/// The environment every corpus case sees.
fn env(name: &str) -> Option<String> {
    match name {
        "CORPUS_SET" => Some("value".into()),
        "CORPUS_CRLF" => Some("a\r\nInjected: yes".into()),
        "CORPUS_TOKEN" => Some("tok-123".into()),
        _ => None,
    }
}

/// Families of cases: encoding and characters, size and nesting, documents, names,
/// HTTP values, pointers, timeouts, units, templates, keys and types, budgets.
fn corpus() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(characters());
    cases.extend(size_and_nesting());
    cases.extend(documents_and_syntax());
    cases.extend(names());
    cases.extend(http_values());
    cases.extend(pointers_and_expectations());
    cases.extend(durations());
    cases.extend(templates());
    cases.extend(keys_and_types());
    cases.extend(budgets());
    cases.extend(valid());
    cases
}

fn characters() -> Vec<Case> {
    let mut cases = Vec::new();
    // Every C0 control but tab, LF and CR, plus DEL and two C1 controls, raw in a value:
    // refused where they stand (line 6, column 12: `  - name: f` → right after `f`).
    let forbidden: Vec<char> = (0u32..0x20)
        .filter(|c| ![0x09, 0x0A, 0x0D].contains(c))
        .chain([0x7F, 0x85, 0x9B])
        .filter_map(char::from_u32)
        .collect();
    for c in forbidden {
        let yaml = BASE.replace("  - name: f\n", &format!("  - name: f{c}x\n"));
        cases.push(bad(
            &format!("raw U+{:04X} in a name", c as u32),
            yaml,
            6,
            12,
            &format!("U+{:04X}", c as u32),
        ));
    }
    let nul_budget = format!("{BASE}\0\nbudgets:\n  - p95 < 1us\n");
    cases.push(bad("NUL before the budgets", nul_budget, 9, 1, "NUL"));
    cases.push(bad("NUL first", format!("\0{BASE}"), 1, 1, "NUL"));
    cases.push(bad(
        "NUL in a comment",
        format!("# note\0\n{BASE}"),
        1,
        7,
        "NUL",
    ));
    cases.push(bad(
        "BOM in the middle",
        BASE.replace("flows:", "\u{FEFF}flows:"),
        5,
        1,
        "byte-order mark",
    ));
    cases.push(bad("U+FFFE", format!("{BASE}# \u{FFFE}\n"), 9, 3, "U+FFFE"));
    cases.push(bad(
        "ESC in a comment",
        format!("# \u{1b}[2J\n{BASE}"),
        1,
        3,
        "ESC",
    ));
    let mut invalid_utf8 = BASE.as_bytes().to_vec();
    invalid_utf8.extend_from_slice(b"# \xff\xfe\n");
    cases.push(bad("invalid UTF-8 byte", invalid_utf8, 9, 3, "0xFF"));
    let mut overlong = b"name: c\xc0\xafx\n".to_vec();
    overlong.extend_from_slice(&BASE.as_bytes()[13..]);
    cases.push(bad("overlong UTF-8", overlong, 1, 8, "not UTF-8"));
    let surrogate = [b"name: \xed\xa0\x80\n".as_slice(), &BASE.as_bytes()[13..]].concat();
    cases.push(bad("UTF-8 surrogate", surrogate, 1, 7, "not UTF-8"));
    let truncated = [BASE.as_bytes(), b"# \xe2\x82"].concat();
    cases.push(bad(
        "truncated UTF-8 at the end",
        truncated,
        9,
        3,
        "not UTF-8",
    ));
    let latin1 = BASE.replace("name: f", "name: caf\u{e9}").into_bytes();
    let latin1: Vec<u8> = String::from_utf8(latin1)
        .unwrap()
        .chars()
        .map(|c| c as u32 as u8)
        .collect();
    cases.push(bad("Latin-1 file", latin1, 6, 14, "0xE9"));
    let utf16: Vec<u8> = BASE.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    cases.push(bad(
        "UTF-16 file",
        [[0xFF, 0xFE].as_slice(), &utf16].concat(),
        1,
        1,
        "0xFF",
    ));
    cases
}

fn size_and_nesting() -> Vec<Case> {
    let mut cases = Vec::new();
    let limit = loadgate::scenario::source::MAX_FILE_BYTES as usize;
    let padding = |total: usize| format!("#{}\n", "x".repeat(total - BASE.len() - 2));
    cases.push(bad(
        "one byte over 1 MiB",
        format!("{BASE}{}", padding(limit + 1)),
        1,
        1,
        "too large",
    ));
    cases.push(good("exactly 1 MiB", format!("{BASE}{}", padding(limit))));
    cases.push(bad(
        "50,000 deep block list",
        format!("{}1\n", "- ".repeat(50_000)),
        1,
        129,
        "deeper than 64",
    ));
    cases.push(bad(
        "50,000 deep block list under a key",
        format!("name: x\nload:\n  {}1\n", "- ".repeat(50_000)),
        3,
        129,
        "deeper than 64",
    ));
    let json_block = format!(
        "http:\n          path: /health\n          method: POST\n          json:\n            {}1",
        "- ".repeat(5_000)
    );
    cases.push(bad(
        "5,000 deep json body, block style",
        with_step(&json_block),
        12,
        129,
        "deeper than 64",
    ));
    let json_flow = format!(
        "http: {{ path: /health, method: POST, json: {}1{} }}",
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    cases.push(bad(
        "5,000 deep json body, flow style",
        with_step(&json_flow),
        8,
        0,
        "deeper than 64",
    ));
    let json_maps = format!(
        "http: {{ path: /health, method: POST, json: {}1{} }}",
        "{a: ".repeat(100),
        "}".repeat(100)
    );
    // A step's `json:` body starts at level 7 (column 52 here), so level 65 is the 59th `{`.
    cases.push(bad(
        "100 deep flow mappings",
        with_step(&json_maps),
        8,
        52 + 4 * 58,
        "deeper than 64",
    ));
    let mut mappings = String::from("name: x\n");
    for level in 0..200 {
        mappings.push_str(&format!("{}k{level}:\n", "  ".repeat(level + 1)));
    }
    cases.push(bad(
        "200 deep block mappings",
        mappings.replacen("name: x\n", "name: x\nload:\n", 1),
        66,
        0,
        "deeper than 64",
    ));
    let until = format!(
        "ws_receive: {{ until: {{ pointer: /a, equals: {}1{} }} }}",
        "[".repeat(70),
        "]".repeat(70)
    );
    let ws = with_steps(&["ws_connect: { path: /ws }", &until]);
    cases.push(bad("deep until.equals", ws, 9, 0, "deeper than 64"));
    let expect_json = format!(
        "http: {{ path: /health, expect: {{ json: {{ /a: {}1{} }} }} }}",
        "[".repeat(70),
        "]".repeat(70)
    );
    cases.push(bad(
        "deep expect.json value",
        with_step(&expect_json),
        8,
        0,
        "deeper than 64",
    ));
    // A body starts at level 7, so 58 levels of body reach exactly the limit of 64.
    let at_limit = format!(
        "http: {{ path: /health, method: POST, json: {}1{} }}",
        "[".repeat(58),
        "]".repeat(58)
    );
    cases.push(good_run(
        "json body at the nesting limit",
        with_step(&at_limit),
    ));
    let huge_key = format!("{}: 1\n", "k".repeat(500_000));
    cases.push(bad(
        "half a MiB key",
        with_top(&huge_key),
        2,
        500_001,
        "invalid YAML",
    ));
    let huge_value = format!("description: {}\n", "d".repeat(500_000));
    cases.push(bad(
        "half a MiB description",
        with_top(&huge_value),
        2,
        14,
        "at most 1000",
    ));
    let many_stages: String = (0..20_000)
        .map(|_| "    - { users: 1, over: 1s }\n")
        .collect();
    cases.push(good(
        "20,000 stages",
        BASE.replace("    - { users: 1, over: 1s }\n", &many_stages),
    ));
    let many_flows: String = (0..5_000)
        .map(|i| format!("  - name: f{i}\n    steps:\n      - http: {{ path: /health }}\n"))
        .collect();
    let flows_yaml = format!(
        "name: corpus\nload:\n  stages:\n    - {{ users: 5000, over: 1s }}\nflows:\n{many_flows}"
    );
    cases.push(good("5,000 flows", flows_yaml.clone()));
    cases.push(bad(
        "5,000 flows, one name twice",
        format!("{flows_yaml}  - name: f17\n    steps:\n      - http: {{ path: /health }}\n")
            .replace("users: 5000", "users: 5001"),
        5 + 3 * 5_000 + 1,
        0,
        "used twice",
    ));
    cases
}

fn documents_and_syntax() -> Vec<Case> {
    vec![
        bad(
            "second document",
            format!("{BASE}---\nname: two\n"),
            9,
            1,
            "second YAML document",
        ),
        bad(
            "second document after end marker",
            format!("{BASE}...\n---\nbudgets: []\n"),
            10,
            1,
            "second YAML document",
        ),
        bad(
            "empty second document",
            format!("---\n{BASE}---\n"),
            10,
            1,
            "second YAML document",
        ),
        good(
            "explicit start and end markers",
            format!("---\n{BASE}...\n"),
        ),
        bad(
            "stray text after end marker",
            format!("{BASE}...\nbudgets: []\n"),
            10,
            0,
            "second YAML document",
        ),
        bad(
            "unclosed flow mapping",
            with_step("http: { path: /health"),
            9,
            1,
            "invalid YAML",
        ),
        bad(
            "unclosed quote",
            with_step("http: { path: \"/health }"),
            8,
            23,
            "invalid YAML",
        ),
        bad(
            "tab indentation",
            BASE.replace("  stages:", "\tstages:"),
            3,
            2,
            "invalid YAML",
        ),
        bad(
            "top-level list",
            "- name: x\n".to_string(),
            1,
            1,
            "must be a YAML mapping",
        ),
        bad(
            "top-level scalar",
            "just text\n".to_string(),
            1,
            1,
            "must be a YAML mapping",
        ),
        bad(
            "anchor",
            BASE.replace("users: 1,", "users: &u 1,"),
            4,
            19,
            "anchors",
        ),
        bad(
            "alias to a missing anchor",
            BASE.replace("users: 1,", "users: *u,"),
            4,
            16,
            "invalid YAML",
        ),
        bad(
            "tag",
            BASE.replace("name: corpus", "name: !!str corpus"),
            1,
            13,
            "tags",
        ),
        bad(
            "complex key",
            format!("{BASE}? [a, b]\n: c\n"),
            9,
            3,
            "keys must be plain scalars",
        ),
        bad(
            "duplicate key",
            format!("{BASE}name: again\n"),
            9,
            1,
            "duplicate key",
        ),
        bad(
            "directive",
            format!("%YAML 1.1\n%YAML 1.1\n---\n{BASE}"),
            2,
            1,
            "invalid YAML",
        ),
        bad(
            "empty file",
            String::new(),
            1,
            1,
            "missing required key `name`",
        ),
        bad(
            "only comments",
            "# nothing here\n".to_string(),
            2,
            1,
            "missing required key `name`",
        ),
    ]
}

fn names() -> Vec<Case> {
    let mut cases = vec![
        bad(
            "scenario name of 300 characters",
            BASE.replace("name: corpus", &format!("name: {}", "n".repeat(300))),
            1,
            7,
            "at most 64",
        ),
        bad(
            "scenario name with a slash",
            BASE.replace("name: corpus", "name: a/b"),
            1,
            7,
            "not allowed",
        ),
        bad(
            "scenario name with a backslash",
            BASE.replace("name: corpus", "name: a\\b"),
            1,
            7,
            "not allowed",
        ),
        bad(
            "scenario name ..",
            BASE.replace("name: corpus", "name: .."),
            1,
            7,
            "start with a letter",
        ),
        bad(
            "scenario name with spaces",
            BASE.replace("name: corpus", "name: my test"),
            1,
            7,
            "not allowed",
        ),
        bad(
            "scenario name with a colon",
            BASE.replace("name: corpus", "name: \"a:b\""),
            1,
            7,
            "not allowed",
        ),
        bad(
            "scenario name of 4-byte letters",
            BASE.replace("name: corpus", &format!("name: {}", "\u{20000}".repeat(60))),
            1,
            7,
            "bytes",
        ),
        bad(
            "empty scenario name",
            BASE.replace("name: corpus", "name: \"\""),
            1,
            7,
            "must not be empty",
        ),
        bad(
            "scenario name a list",
            BASE.replace("name: corpus", "name: [a]"),
            1,
            7,
            "expected a single value",
        ),
        good(
            "scenario name with dots and unicode",
            BASE.replace("name: corpus", "name: Lasttest-ü.v2"),
        ),
        bad(
            "description with a bell",
            with_top("description: \"ding\\a\"\n"),
            2,
            14,
            "U+0007",
        ),
        bad(
            "description that clears the screen",
            with_top("description: \"\\e[2J\\e[H\"\n"),
            2,
            14,
            "ESC",
        ),
        bad(
            "description with a bidi override",
            with_top("description: \"abc\\u202Edef\"\n"),
            2,
            14,
            "U+202E",
        ),
        good(
            "description over several lines",
            with_top("description: |\n  first line\n  second\tline\n"),
        ),
    ];
    let escapes = [
        ("\\e[31m", "ESC"),
        ("\\0", "NUL"),
        ("\\b", "U+0008"),
        ("\\x9b", "U+009B"),
        ("\\u2066", "U+2066"),
    ];
    for (escape, needle) in escapes {
        cases.push(bad(
            &format!("scenario name with {needle}"),
            BASE.replace("name: corpus", &format!("name: \"a{escape}\"")),
            1,
            7,
            needle,
        ));
        cases.push(bad(
            &format!("flow name with {needle}"),
            BASE.replace("name: f", &format!("name: \"f{escape}\"")),
            6,
            11,
            needle,
        ));
        cases.push(bad(
            &format!("step name with {needle}"),
            with_step(&format!("http: {{ name: \"s{escape}\", path: /health }}")),
            8,
            23,
            needle,
        ));
        cases.push(bad(
            &format!("stage name with {needle}"),
            BASE.replace(
                "{ users: 1,",
                &format!("{{ name: \"st{escape}\", users: 1,"),
            ),
            4,
            15,
            needle,
        ));
    }
    cases.push(bad(
        "first: name with ESC",
        with_steps(&[
            "ws_connect: { path: /ws }",
            "ws_receive: { first: \"\\e[1m\" }",
        ]),
        9,
        30,
        "ESC",
    ));
    cases.push(bad(
        "step name of 200 characters",
        with_step(&format!(
            "http: {{ name: {}, path: /health }}",
            "s".repeat(200)
        )),
        8,
        23,
        "at most 128",
    ));
    cases.push(bad(
        "default step name from a 300-character path",
        with_step(&format!("http: {{ path: /{} }}", "p".repeat(300))),
        8,
        15,
        "give the step a `name:`",
    ));
    cases.push(bad(
        "control character in a mapping key",
        format!("{BASE}\"k\\e[31m\": 1\n"),
        9,
        1,
        "unknown key",
    ));
    cases
}

fn http_values() -> Vec<Case> {
    vec![
        bad("header name with a space", with_step("http: { path: /health, headers: { \"Bad Name\": x } }"), 8, 43, "header name"),
        bad("header name with a colon", with_step("http: { path: /health, headers: { \"X-A:\": x } }"), 8, 43, "header name"),
        bad("empty header name", with_step("http: { path: /health, headers: { \"\": x } }"), 8, 43, "header name"),
        bad("header name non-ASCII", with_step("http: { path: /health, headers: { Tëst: x } }"), 8, 43, "header name"),
        bad("header value with CR LF", with_step("http: { path: /health, headers: { X-A: \"a\\r\\nInjected: 1\" } }"), 8, 48, "line break"),
        bad("header value with NUL", with_step("http: { path: /health, headers: { X-A: \"a\\0\" } }"), 8, 48, "control character"),
        bad("header value with LF after a variable", with_steps(&[
            "http: { path: /health, extract: { t: /status } }",
            "http: { path: /health, headers: { X-A: \"${t}\\n\" } }",
        ]), 9, 48, "character 2 after substitution"),
        bad("header value from an env var with CR LF", with_step("http: { path: /health, headers: { X-A: \"${env.CORPUS_CRLF}\" } }"), 8, 48, "line break"),
        bad("ws header value with CR LF", with_step("ws_connect: { path: /ws, headers: { X-A: \"a\\rb\" } }"), 8, 50, "line break"),
        bad("ws header name with a space", with_step("ws_connect: { path: /ws, headers: { \"a b\": x } }"), 8, 45, "header name"),
        good("header values with unicode and a tab", with_step("http: { path: /health, headers: { X-A: \"naïve\\tvalue\", Authorization: \"Bearer ${env.CORPUS_TOKEN}\" } }")),
        bad("path with a line feed", with_step("http: { path: \"/a\\nb\" }"), 8, 23, "control character"),
        bad("absolute URL with a broken IPv6 host", with_step("http: { path: \"http://[::1/x\" }"), 8, 23, "not a valid URL"),
        bad("absolute URL with a bad port", with_step("http: { path: \"http://127.0.0.1:99999/x\" }"), 8, 23, "not a valid URL"),
        bad("ws URL with a broken IPv6 host", with_step("ws_connect: { path: \"ws://[::1/ws\" }"), 8, 29, "WebSocket URL"),
        bad("ws path with a space", with_step("ws_connect: { path: \"/ws?q=a b\" }"), 8, 29, "WebSocket URL"),
        bad("ws path with a quote", with_step("ws_connect: { path: \"/ws?q=\\\"\" }"), 8, 29, "WebSocket URL"),
        good("ws path with a variable", with_steps(&[
            "http: { path: /health, extract: { t: /status } }",
            "ws_connect: { path: \"/ws?token=${t}\" }",
        ])),
        bad("ftp path", with_step("http: { path: \"ftp://x/y\" }"), 8, 23, "must start with `/`"),
        bad("relative path", with_step("http: { path: health }"), 8, 23, "must start with `/`"),
        bad("unknown method", with_step("http: { path: /health, method: TRACE }"), 8, 40, "unknown method"),
    ]
}

fn pointers_and_expectations() -> Vec<Case> {
    vec![
        bad("extract pointer ~2", with_step("http: { path: /health, extract: { v: \"/a~2\" } }"), 8, 46, "bad escape"),
        bad("extract pointer trailing ~", with_step("http: { path: /health, extract: { v: \"/a~\" } }"), 8, 46, "bad escape"),
        bad("extract pointer without slash", with_step("http: { path: /health, extract: { v: token } }"), 8, 46, "must start with `/`"),
        bad("extract into `user`", with_step("http: { path: /health, extract: { user: /a } }"), 8, 43, "cannot be a variable name"),
        bad("expect.json pointer ~x", with_step("http: { path: /health, expect: { json: { \"/a~x\": 1 } } }"), 8, 50, "bad escape"),
        bad("expect.json empty pointer", with_step("http: { path: /health, expect: { json: { \"\": 1 } } }"), 8, 50, "whole document"),
        bad("until pointer ~3", with_steps(&["ws_connect: { path: /ws }", "ws_receive: { until: { pointer: \"/t~3\", equals: done } }"]), 9, 41, "bad escape"),
        bad("until without equals", with_steps(&["ws_connect: { path: /ws }", "ws_receive: { until: { pointer: /t } }"]), 9, 30, "missing required key `equals`"),
        good("pointers with ~0 and ~1", with_step("http: { path: /health, extract: { v: \"/a~0b~1c\" }, expect: { json: { \"/x~1y\": 1 } } }")),
        bad("status: []", with_step("http: { path: /health, expect: { status: [] } }"), 8, 50, "empty list"),
        bad("status 999 in a list", with_step("http: { path: /health, expect: { status: [200, 999] } }"), 8, 56, "out of range"),
        bad("status as text", with_step("http: { path: /health, expect: { status: ok } }"), 8, 50, "whole number"),
        bad("status as a mapping", with_step("http: { path: /health, expect: { status: { a: 1 } } }"), 8, 50, "expected a single value"),
        bad("expect.json not a mapping", with_step("http: { path: /health, expect: { json: [1] } }"), 8, 48, "mapping of JSON pointers"),
        bad("json and body together", with_step("http: { path: /health, json: {}, body: x }"), 8, 48, "not both"),
        bad("ws_send without a body", with_steps(&["ws_connect: { path: /ws }", "ws_send: {}"]), 9, 18, "needs `json` or `body`"),
        bad("two step kinds", with_step("{ http: { path: / }, ws_close: ~ }"), 8, 9, "exactly one"),
    ]
}

fn durations() -> Vec<Case> {
    let mut cases = Vec::new();
    // (field as written, line, column of the value) for every duration a scenario has.
    let over = |v: &str| BASE.replace("over: 1s", &format!("over: {v}"));
    let top_timeout = |v: &str| with_top(&format!("timeout: {v}\n"));
    let step_timeout = |v: &str| with_step(&format!("http: {{ path: /health, timeout: {v} }}"));
    let think = |v: &str| BASE.replace("  - name: f\n", &format!("  - name: f\n    think: {v}\n"));
    for (value, needle) in [
        ("10", "`10s`"),
        ("1 second", "did you mean `1s`?"),
        ("5 parsecs", "unknown unit `parsecs`"),
        ("-1s", "not a duration"),
        ("1e3s", "unknown unit `e`"),
        ("99999999h", "at most 366 days"),
        ("1.2.3s", "not a number"),
    ] {
        cases.push(bad(
            &format!("stage over `{value}`"),
            over(value),
            4,
            25,
            needle,
        ));
        cases.push(bad(
            &format!("timeout `{value}`"),
            top_timeout(value),
            2,
            10,
            needle,
        ));
        cases.push(bad(
            &format!("think `{value}`"),
            think(value),
            7,
            12,
            needle,
        ));
    }
    for zero in ["0s", "0ms", "0.0s", "0us"] {
        cases.push(bad(
            &format!("scenario timeout {zero}"),
            top_timeout(zero),
            2,
            10,
            "timeout of 0",
        ));
        cases.push(bad(
            &format!("step timeout {zero}"),
            step_timeout(zero),
            8,
            41,
            "timeout of 0",
        ));
    }
    cases.push(bad(
        "ws_connect timeout 0s",
        with_step("ws_connect: { path: /ws, timeout: 0s }"),
        8,
        43,
        "timeout of 0",
    ));
    cases.push(bad(
        "ws_receive timeout 0s",
        with_steps(&["ws_connect: { path: /ws }", "ws_receive: { timeout: 0s }"]),
        9,
        32,
        "timeout of 0",
    ));
    cases.push(bad(
        "think range backwards",
        think("2s..1s"),
        7,
        12,
        "backwards",
    ));
    cases.push(good_run("micro sign and mu", BASE.replace("over: 1s", "over: 1000000µs")
        .replacen("name: corpus\n", "name: corpus\ntimeout: 5000000\u{3bc}s\nbudgets: [\"max < 10000000µs\", \"p99 < 9000000us\"]\n", 1)));
    cases.push(good(
        "spaces between number and unit",
        with_top("timeout: 1m 30 s\n"),
    ));
    cases.push(good_run(
        "a zero-length stage among others",
        BASE.replace(
            "    - { users: 1, over: 1s }\n",
            "    - { users: 1, over: 0s }\n    - { users: 1, over: 1s }\n",
        ),
    ));
    cases
}

fn templates() -> Vec<Case> {
    vec![
        bad(
            "nested template in an env default",
            with_step("http: { path: \"/health?u=${env.CORPUS_UNSET:-${user}}\" }"),
            8,
            23,
            "cannot hold another",
        ),
        bad(
            "nested template in a set env default",
            with_step("http: { path: \"/health?u=${env.CORPUS_SET:-${user}}\" }"),
            8,
            23,
            "cannot hold another",
        ),
        bad(
            "unclosed reference",
            with_step("http: { path: \"/health/${user\" }"),
            8,
            23,
            "unclosed",
        ),
        bad(
            "reference with a space",
            with_step("http: { path: \"/health/${a b}\" }"),
            8,
            23,
            "not a reference",
        ),
        bad(
            "empty reference",
            with_step("http: { path: \"/health/${}\" }"),
            8,
            23,
            "not a reference",
        ),
        bad(
            "unset env var",
            with_step("http: { path: \"/${env.CORPUS_UNSET}\" }"),
            8,
            23,
            "CORPUS_UNSET",
        ),
        bad(
            "bad env var name",
            with_step("http: { path: \"/${env.1X}\" }"),
            8,
            23,
            "not an environment variable name",
        ),
        bad(
            "variable used before set",
            with_step("http: { path: \"/c/${conv}\" }"),
            8,
            9,
            "before any step sets it",
        ),
        bad(
            "template in a header, unset",
            with_step("http: { path: /health, headers: { A: \"${nope}\" } }"),
            8,
            9,
            "before any step sets it",
        ),
        bad(
            "template in a json body, unclosed",
            with_step("http: { path: /health, method: POST, json: { a: \"${x\" } }"),
            8,
            57,
            "unclosed",
        ),
        good_run(
            "escaped `$${` and a plain default",
            with_step(
                "http: { path: \"/health?a=$${literal}&b=${env.CORPUS_UNSET:-plain}&c=$5\" }",
            ),
        ),
        good(
            "env value used in a body",
            with_step(
                "http: { path: /health, method: POST, json: { a: \"${env.CORPUS_SET}\", n: 5 } }",
            ),
        ),
    ]
}

fn keys_and_types() -> Vec<Case> {
    vec![
        bad(
            "flow: for flows",
            BASE.replace("flows:", "flow:"),
            5,
            1,
            "did you mean `flows`?",
        ),
        bad(
            "`loda` for load",
            BASE.replace("load:", "loda:"),
            2,
            1,
            "did you mean `load`?",
        ),
        bad(
            "`nmae` for name",
            BASE.replace("  - name: f", "  - nmae: f"),
            6,
            5,
            "did you mean `name`?",
        ),
        bad(
            "unrelated key lists the allowed ones",
            with_top("zzz: 1\n"),
            2,
            1,
            "allowed: name",
        ),
        bad(
            "users negative",
            BASE.replace("users: 1,", "users: -1,"),
            4,
            16,
            "whole number",
        ),
        bad(
            "users too many",
            BASE.replace("users: 1,", "users: 100001,"),
            4,
            16,
            "out of range",
        ),
        bad(
            "users float",
            BASE.replace("users: 1,", "users: 1.5,"),
            4,
            16,
            "whole number",
        ),
        bad(
            "users huge",
            BASE.replace("users: 1,", "users: 99999999999999999999999,"),
            4,
            16,
            "whole number",
        ),
        bad(
            "stages not a list",
            BASE.replace("  stages:\n    - { users: 1, over: 1s }\n", "  stages: 3\n"),
            3,
            11,
            "expected a list",
        ),
        bad(
            "stage not a mapping",
            BASE.replace("    - { users: 1, over: 1s }", "    - 5"),
            4,
            7,
            "expected a mapping",
        ),
        bad(
            "no users anywhere",
            BASE.replace("users: 1,", "users: 0,"),
            4,
            5,
            "no stage has any users",
        ),
        bad(
            "flows a mapping",
            BASE.replace(
                "  - name: f\n    steps:\n      - http: { path: /health }\n",
                "  a: b\n",
            ),
            6,
            0,
            "expected a list",
        ),
        bad(
            "steps a scalar",
            BASE.replace(
                "    steps:\n      - http: { path: /health }\n",
                "    steps: all\n",
            ),
            7,
            12,
            "expected a list",
        ),
        bad(
            "step a scalar",
            with_step("http"),
            8,
            9,
            "expected a mapping",
        ),
        bad(
            "http a list",
            with_step("http: [a]"),
            8,
            15,
            "expected a mapping",
        ),
        bad(
            "weight huge",
            BASE.replace("  - name: f\n", "  - name: f\n    weight: 10001\n"),
            7,
            13,
            "out of range",
        ),
        bad(
            "headers a list",
            with_step("http: { path: /health, headers: [a] }"),
            8,
            41,
            "mapping of names",
        ),
        bad(
            "query a scalar",
            with_step("http: { path: /health, query: q }"),
            8,
            39,
            "mapping of names",
        ),
        bad(
            "ws_close with keys",
            with_steps(&["ws_connect: { path: /ws }", "ws_close: { code: 1 }"]),
            9,
            21,
            "unknown key",
        ),
        bad(
            "ws before connect",
            with_step("ws_send: { body: hi }"),
            8,
            9,
            "no `ws_connect`",
        ),
        bad(
            "fewer users than flows",
            BASE.replace(
                "flows:\n",
                "flows:\n  - name: g\n    steps:\n      - http: { path: /health }\n",
            ),
            4,
            5,
            "would never run",
        ),
        bad(
            "slo file missing",
            with_top("slo: missing.yaml\n"),
            2,
            6,
            "does not exist",
        ),
        bad(
            "slo file is a directory",
            with_top("slo: .\n"),
            2,
            6,
            "not a regular file",
        ),
        bad(
            "slo file is a device",
            with_top("slo: /dev/zero\n"),
            2,
            6,
            "not a regular file",
        ),
    ]
}

fn budgets() -> Vec<Case> {
    vec![
        bad(
            "budget in words",
            with_top("budgets: [\"p95 < 1 second\"]\n"),
            2,
            11,
            "did you mean `1s`?",
        ),
        bad(
            "budget with an escape sequence",
            with_top("budgets: [\"p95 < 1s for \\e[31mf\"]\n"),
            2,
            11,
            "ESC",
        ),
        bad(
            "budget for an unknown step",
            with_top("budgets: [\"p95 < 1s for nope\"]\n"),
            2,
            11,
            "has no step `nope`",
        ),
        bad(
            "budget in stage 0",
            with_top("budgets: [\"p95 < 1s in stage 0\"]\n"),
            2,
            11,
            "from 1",
        ),
        bad(
            "budget in stage 2 of 1",
            with_top("budgets: [\"p95 < 1s in stage 2\"]\n"),
            2,
            11,
            "no stage 2",
        ),
        bad(
            "budget without comparison",
            with_top("budgets: [\"p95 1s\"]\n"),
            2,
            11,
            "no comparison",
        ),
        bad(
            "budgets a scalar",
            with_top("budgets: p95 < 1s\n"),
            2,
            10,
            "expected a list",
        ),
        bad_slo(
            "slo file with NUL",
            "budgets:\n  - rule: p95 < 1s\0\n",
            2,
            19,
            "NUL",
        ),
        bad_slo(
            "slo file nested deep",
            format!("budgets:\n  - {}1\n", "- ".repeat(10_000)),
            2,
            0,
            "deeper than 64",
        ),
        bad_slo(
            "slo file with two documents",
            "budgets: []\n---\nbudgets: []\n",
            2,
            1,
            "second YAML document",
        ),
        bad_slo(
            "slo file over 1 MiB",
            format!("budgets: []\n#{}\n", "x".repeat(1 << 20)),
            1,
            1,
            "too large",
        ),
        bad_slo(
            "slo file not UTF-8",
            b"budgets:\n  - rule: p95 < 1\xb5s\n".to_vec(),
            2,
            18,
            "not UTF-8",
        ),
        bad_slo(
            "slo rule with control character",
            "budgets:\n  - rule: \"p95 < 1s\\a\"\n",
            2,
            11,
            "U+0007",
        ),
        bad_slo(
            "slo source with ESC",
            "budgets:\n  - rule: p95 < 1s\n    source: \"\\e[2J\"\n",
            3,
            13,
            "ESC",
        ),
        bad_slo(
            "slo unknown key",
            "budgets:\n  - rul: p95 < 1s\n",
            2,
            5,
            "did you mean `rule`?",
        ),
        Case {
            name: "slo file with a BOM and µs".into(),
            scenario: with_top("slo: slo.yaml\n").into_bytes(),
            slo: Some("\u{FEFF}budgets:\n  - rule: p95 < 900000µs\n".into()),
            expect: Expect::Valid { run: false },
        },
    ]
}

fn valid() -> Vec<Case> {
    vec![
        good_run("byte-order mark", format!("\u{FEFF}{BASE}")),
        good_run("CRLF line endings", BASE.replace('\n', "\r\n")),
        good("tabs inside values", with_top("description: \"a\tb\"\n")),
        good("unicode flow and step names", BASE.replace("name: f", "name: 会話-flow").replace("http: { path: /health }", "http: { name: \"ステップ <b>\", path: /health }")),
        good("step names with commas and spaces", with_step("http: { name: \"GET /health, twice\", path: /health }")),
        good("shipped-style WebSocket flow", with_steps(&[
            "ws_connect: { path: \"/ws?token=${env.CORPUS_TOKEN}\", timeout: 500ms }",
            "ws_send: { json: { type: ping, t: 1 } }",
            "ws_receive: { until: { pointer: /type, equals: pong }, first: first, timeout: 250us }",
            "ws_close:",
        ])),
    ]
}

/// Writes a case's files into `dir`; returns the scenario path.
fn write_case(dir: &Path, case: &Case) -> std::path::PathBuf {
    let path = dir.join(SCENARIO);
    std::fs::write(&path, &case.scenario).unwrap();
    if let Some(slo) = &case.slo {
        std::fs::write(dir.join(SLO), slo).unwrap();
    }
    path
}

/// Checks one case in-process; `Err` says how it went wrong.
fn check_in_process(case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let path = write_case(dir.path(), case);
    let outcome = loadgate::validate::check(&path, &env);
    match (&case.expect, outcome) {
        (Expect::Valid { .. }, Ok(_)) => Ok(()),
        (Expect::Valid { .. }, Err(problems)) => Err(format!("expected valid, got:\n{problems}")),
        (Expect::Invalid { .. }, Ok(_)) => Err("expected a problem, but it validated".into()),
        (
            Expect::Invalid {
                file,
                line,
                column,
                needle,
            },
            Err(problems),
        ) => {
            let found = problems.0.iter().any(|d| {
                d.file.file_name().and_then(|n| n.to_str()) == Some(*file)
                    && d.position.line == *line
                    && (*column == 0 || d.position.column == *column)
                    && (d.message.contains(needle.as_str()) || d.field.contains(needle.as_str()))
            });
            if found {
                Ok(())
            } else {
                Err(format!(
                    "expected {file}:{line}:{column} with `{needle}`, got:\n{problems}"
                ))
            }
        }
    }
}

#[test]
fn the_corpus_is_large_enough_and_every_case_behaves() {
    let cases = corpus();
    assert!(cases.len() >= 150, "only {} cases", cases.len());
    let mut names = std::collections::HashSet::new();
    for case in &cases {
        assert!(
            names.insert(case.name.clone()),
            "case name `{}` is used twice",
            case.name
        );
    }
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            check_in_process(case)
                .err()
                .map(|e| format!("[{}] {e}", case.name))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases misbehave:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    let valid = cases
        .iter()
        .filter(|c| matches!(c.expect, Expect::Valid { .. }))
        .count();
    eprintln!(
        "{} corpus cases: {} refused with a position, {valid} valid",
        cases.len(),
        cases.len() - valid
    );
}

#[test]
fn a_sample_of_the_corpus_through_the_real_binary() {
    let cases = corpus();
    for (index, case) in cases.iter().enumerate() {
        let interesting =
            case.name.contains("deep") || case.name.contains("NUL") || case.name.contains("1 MiB");
        if index % 8 != 0 && !interesting {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = write_case(dir.path(), case);
        let out = loadgate()
            .args(["validate", path.to_str().unwrap()])
            .env("CORPUS_SET", "value")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("overflow"),
            "[{}] {}",
            case.name,
            text(&out)
        );
        match &case.expect {
            Expect::Valid { .. } => {
                assert_eq!(out.status.code(), Some(0), "[{}] {}", case.name, text(&out));
            }
            Expect::Invalid {
                file, line, column, ..
            } => {
                assert_eq!(out.status.code(), Some(2), "[{}] {}", case.name, text(&out));
                let located = if *column == 0 {
                    format!("{}:{line}:", dir.path().join(file).display())
                } else {
                    format!("{}:{line}:{column}:", dir.path().join(file).display())
                };
                assert!(
                    stderr.contains(&located),
                    "[{}] expected `{located}` in\n{stderr}",
                    case.name
                );
                assert!(
                    !stderr.contains('\u{1b}'),
                    "[{}] a raw escape reached the terminal",
                    case.name
                );
            }
        }
    }
}

#[test]
fn valid_corpus_cases_run_against_the_bundled_server() {
    let _heavy = one_heavy_run_at_a_time();
    for case in corpus() {
        if !matches!(case.expect, Expect::Valid { run: true }) {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = write_case(dir.path(), &case);
        let out_dir = dir.path().join("out");
        let child = loadgate()
            .args([
                "run",
                path.to_str().unwrap(),
                "--time-scale",
                "0.01",
                "--out",
                out_dir.to_str().unwrap(),
            ])
            .env("CORPUS_TOKEN", "tok-123")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let out = finish_within(child, std::time::Duration::from_secs(60));
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "[{}] {}",
            case.name,
            text(&out)
        );
        assert!(
            out_dir.join("summary.json").is_file(),
            "[{}] no report\n{}",
            case.name,
            text(&out)
        );
    }
}
