//! `report.html` in a real browser: Debian's headless Chromium opens the report from a
//! `file://` URL with every network path blocked, and a small DevTools-protocol client
//! (over the browser's local WebSocket) checks what a person would see: the verdict is
//! visible, nothing was requested from any network, no console error was logged, the
//! charts drew, printing uses no dark backgrounds, and hostile text from a run shows as
//! text and runs nothing. The layout is checked at a phone's width (390 px) and a
//! laptop's (1280 px) with a stress-like run (12 steps, 11 stages, 7 budgets per stage):
//! no element, and no table, reaches past the viewport's right edge.
//! Screenshots (desktop, phone, print) are written as PNGs and checked to be valid.
//!
//! The runs are real `summary.json` files from `loadgate run` (`tests/data/`), so the
//! pages are what users get.
//!
//! **Without Chromium** the browser tests are *ignored*, not passed: the build script
//! (`build.rs`) sets the `chromium_present` cfg when `/usr/bin/chromium` exists, and
//! without it the tests are compiled `#[ignore = "needs /usr/bin/chromium …"]`, so
//! `cargo test` reports them as ignored with that reason. On CI (`CI` set) a missing
//! browser is a failure instead: `ci_has_chromium` fails, since `.ci/run` installs it.

use loadgate::report::charts::render_charts;
use loadgate::report::html::HtmlReport;
use loadgate::report::{write_report, ReportWriter};
use loadgate::summary::RunSummary;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, ErrorKind};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// Where Debian's `chromium` package puts the browser.
const CHROMIUM: &str = "/usr/bin/chromium";

/// The longest any single wait may take; each test stays well under 30 s.
const WAIT: Duration = Duration::from_secs(15);

/// A phone's viewport width in CSS pixels (iPhone 12 to 15).
const PHONE: u32 = 390;

/// A laptop's viewport width.
const LAPTOP: u32 = 1280;

/// CI installs Chromium (`.ci/run`), so there its absence fails rather than skips.
#[test]
fn ci_has_chromium() {
    if std::env::var_os("CI").is_some() {
        assert!(
            Path::new(CHROMIUM).exists(),
            "CI is set but {CHROMIUM} is missing: install Debian's `chromium` package"
        );
    }
}

/// A real run's summary from `tests/data/`.
fn recorded(name: &str) -> RunSummary {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    RunSummary::read(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// A headless Chromium with no way out to any network, killed on drop.
struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    ws_url: String,
}

impl Browser {
    fn launch(binary: &Path) -> Browser {
        let profile = tempfile::tempdir().expect("a temporary profile");
        let mut child = Command::new(binary)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-default-apps",
                "--no-first-run",
                "--no-default-browser-check",
                "--metrics-recording-only",
                "--proxy-server=127.0.0.1:9",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--remote-debugging-port=0",
                "--hide-scrollbars",
                "--force-color-profile=srgb",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium starts");
        // Chromium prints its DevTools endpoint on stderr once it listens.
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent {
                    if let Some(at) = line.find("ws://") {
                        let _ = tx.send(line[at..].trim().to_string());
                        sent = true;
                    }
                }
            }
        });
        let ws_url = match rx.recv_timeout(WAIT) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("chromium did not announce its DevTools endpoint within {WAIT:?}");
            }
        };
        Browser {
            child,
            _profile: profile,
            ws_url,
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal DevTools-protocol client: numbered calls, with every event kept.
struct Cdp {
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    events: Vec<Value>,
}

impl Cdp {
    fn connect(url: &str) -> Cdp {
        let (socket, _) = tungstenite::connect(url).expect("DevTools WebSocket connects");
        if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
            stream
                .set_read_timeout(Some(Duration::from_millis(200)))
                .expect("read timeout");
        }
        Cdp {
            socket,
            next_id: 0,
            events: Vec::new(),
        }
    }

    /// One message, or `None` after the short read timeout.
    fn read(&mut self) -> Option<Value> {
        match self.socket.read() {
            Ok(Message::Text(text)) => Some(serde_json::from_str(&text).expect("CDP sends JSON")),
            Ok(_) => None,
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
            {
                None
            }
            Err(e) => panic!("DevTools connection failed: {e}"),
        }
    }

    /// Calls `method` (in `session`, if given) and returns its result.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        self.socket
            .send(Message::text(message.to_string()))
            .expect("CDP send");
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            let Some(reply) = self.read() else { continue };
            if reply["id"] == json!(id) {
                if let Some(error) = reply.get("error") {
                    panic!("{method} failed: {error}");
                }
                return reply["result"].clone();
            }
            if reply.get("method").is_some() {
                self.events.push(reply);
            }
        }
        panic!("{method}: no answer within {WAIT:?}");
    }

    /// Waits for the event `method` (in `session`) that arrives after event number
    /// `from`, keeping every other event.
    fn wait_for(&mut self, session: &str, method: &str, from: usize) {
        let deadline = Instant::now() + WAIT;
        loop {
            let seen = self.events[from..]
                .iter()
                .any(|e| e["method"] == json!(method) && e["sessionId"] == json!(session));
            if seen {
                return;
            }
            assert!(Instant::now() < deadline, "no {method} within {WAIT:?}");
            if let Some(event) = self.read() {
                if event.get("method").is_some() {
                    self.events.push(event);
                }
            }
        }
    }

    /// Reads whatever arrives for `how_long` (late console or network events).
    fn drain(&mut self, how_long: Duration) {
        let until = Instant::now() + how_long;
        while Instant::now() < until {
            if let Some(event) = self.read() {
                if event.get("method").is_some() {
                    self.events.push(event);
                }
            }
        }
    }

    /// Evaluates `expression` in the page and returns its JSON value.
    fn eval(&mut self, session: &str, expression: &str) -> Value {
        let result = self.call(
            Some(session),
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
        );
        if let Some(exception) = result.get("exceptionDetails") {
            panic!("evaluating {expression}: {exception}");
        }
        result["result"]["value"].clone()
    }

    /// The events `method` of one tab's session.
    fn events_named<'a>(
        &'a self,
        session: &'a str,
        method: &'a str,
    ) -> impl Iterator<Item = &'a Value> + 'a {
        self.events
            .iter()
            .filter(move |e| e["method"] == json!(method) && e["sessionId"] == json!(session))
    }
}

/// A page in a fresh tab with console, log, network and page events switched on.
fn open_tab(cdp: &mut Cdp) -> String {
    let target = cdp.call(None, "Target.createTarget", json!({ "url": "about:blank" }));
    let attached = cdp.call(
        None,
        "Target.attachToTarget",
        json!({ "targetId": target["targetId"], "flatten": true }),
    );
    let session = attached["sessionId"]
        .as_str()
        .expect("a session")
        .to_string();
    for domain in [
        "Page.enable",
        "Runtime.enable",
        "Log.enable",
        "Network.enable",
    ] {
        cdp.call(Some(&session), domain, json!({}));
    }
    session
}

fn set_viewport(cdp: &mut Cdp, session: &str, width: u32, height: u32, mobile: bool) {
    cdp.call(
        Some(session),
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile }),
    );
}

/// Loads `url` and waits until the page and its images are loaded.
fn navigate(cdp: &mut Cdp, session: &str, url: &str) {
    let from = cdp.events.len();
    let result = cdp.call(Some(session), "Page.navigate", json!({ "url": url }));
    assert!(
        result.get("errorText").is_none(),
        "navigation failed: {result}"
    );
    cdp.wait_for(session, "Page.loadEventFired", from);
}

/// A screenshot of the whole page (up to `max_height`) as PNG bytes.
fn screenshot(cdp: &mut Cdp, session: &str, width: u32, max_height: u32) -> Vec<u8> {
    let height = cdp.eval(session, "document.documentElement.scrollHeight");
    let height = height.as_f64().unwrap_or(1000.0).min(max_height as f64);
    let shot = cdp.call(
        Some(session),
        "Page.captureScreenshot",
        json!({
            "format": "png",
            "captureBeyondViewport": true,
            "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 }
        }),
    );
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(shot["data"].as_str().expect("screenshot data"))
        .expect("screenshot is base64")
}

/// Checks `png` is a decodable PNG of the given width, and saves it.
fn check_png(png: &[u8], width: u32, path: &Path) {
    let decoder = png::Decoder::new(png);
    let reader = decoder.read_info().expect("screenshot is a valid PNG");
    let info = reader.info();
    assert_eq!(info.width, width, "screenshot width");
    assert!(info.height > 200, "screenshot height {}", info.height);
    std::fs::write(path, png).expect("screenshot written");
}

/// Where screenshots go: `$LOADGATE_SCREENSHOTS` when set (to look at them), else a
/// temporary folder.
fn shots_dir(temp: &Path) -> PathBuf {
    match std::env::var_os("LOADGATE_SCREENSHOTS") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir).expect("screenshot folder");
            dir
        }
        None => temp.to_path_buf(),
    }
}

/// Writes the run's report folder (HTML with its real charts) and returns the page's
/// `file://` URL.
fn write_html(dir: &Path, summary: &RunSummary) -> String {
    let charts = render_charts(summary).expect("charts render");
    let writers: [&dyn ReportWriter; 1] = [&HtmlReport];
    write_report(dir, summary, &writers, &charts).expect("report written");
    let path = dir
        .join("report.html")
        .canonicalize()
        .expect("report exists");
    format!("file://{}", path.display())
}

/// Console errors, uncaught exceptions and error log entries a tab has seen so far.
fn console_errors(cdp: &Cdp, session: &str) -> Vec<String> {
    let mut errors: Vec<String> = cdp
        .events_named(session, "Runtime.consoleAPICalled")
        .filter(|e| matches!(e["params"]["type"].as_str(), Some("error" | "assert")))
        .map(|e| e["params"]["args"].to_string())
        .collect();
    errors.extend(
        cdp.events_named(session, "Runtime.exceptionThrown")
            .map(|e| e["params"]["exceptionDetails"].to_string()),
    );
    errors.extend(
        cdp.events_named(session, "Log.entryAdded")
            .filter(|e| e["params"]["entry"]["level"] == json!("error"))
            .map(|e| e["params"]["entry"]["text"].to_string()),
    );
    errors
}

/// Every URL a tab requested other than the `allowed` pages and inline data.
fn outside_requests(cdp: &Cdp, session: &str, allowed: &[String]) -> Vec<String> {
    cdp.events_named(session, "Network.requestWillBeSent")
        .filter_map(|e| e["params"]["request"]["url"].as_str())
        .filter(|url| !url.starts_with("data:") && !allowed.iter().any(|a| a == url))
        .map(str::to_string)
        .collect()
}

const VERDICT_JS: &str = r#"(() => {
  const word = document.querySelector('#verdict .banner-word');
  const box = word.getBoundingClientRect();
  const style = getComputedStyle(word);
  return {
    text: word.innerText,
    visible: box.width > 0 && box.height > 0 && box.top >= 0 && box.bottom <= innerHeight
      && style.visibility === 'visible' && style.display !== 'none' && Number(style.opacity) > 0,
    inBodyText: document.body.innerText.includes(word.innerText),
    images: document.images.length,
    charts: [...document.querySelectorAll('#charts figure')].map(f => {
      const svg = f.querySelector('svg');
      const box = (svg || f).getBoundingClientRect();
      return {
        drawn: !!svg && box.width > 100 && box.height > 50,
        described: !!svg && (svg.getAttribute('aria-label') || '').length > 0,
        tooltips: svg ? svg.querySelectorAll('title').length : 0,
        text: svg ? svg.querySelectorAll('text').length : 0,
      };
    }),
    imagesOutsideCharts: [...document.images].filter(i => !i.closest('#charts')).length,
    scripts: document.scripts.length,
    title: document.title,
  };
})()"#;

/// Opens every `<details>`, then lists what reaches past the viewport's right edge:
/// any element, and every table with its width.
const LAYOUT_JS: &str = r#"(() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const vw = innerWidth;
  const over = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > vw + 0.5) {
      over.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '')
        + ' right=' + Math.round(r.right));
    }
  }
  const tables = [...document.querySelectorAll('table')].map(t => {
    const r = t.getBoundingClientRect();
    const rows = [...t.querySelectorAll('tbody tr')].map(tr => tr.getBoundingClientRect().height);
    return {
      class: t.className,
      section: (t.closest('section') || {}).id || '',
      right: r.right,
      width: r.width,
      tallestRow: Math.max(0, ...rows),
    };
  });
  return {
    viewport: vw,
    scrollWidth: document.scrollingElement.scrollWidth,
    overCount: over.length,
    over: over.slice(0, 15),
    tables,
  };
})()"#;

const PRINT_JS: &str = r#"(() => {
  const dark = [];
  for (const el of document.querySelectorAll('body, .page, .banner, thead th, .badge, .capacity')) {
    const m = getComputedStyle(el).backgroundColor.match(/\d+(\.\d+)?/g);
    if (!m) continue;
    const [r, g, b, a] = m.map(Number);
    const light = (0.299 * r + 0.587 * g + 0.114 * b);
    if ((a === undefined || a > 0) && light < 160) dark.push(el.className || el.tagName);
  }
  return dark;
})()"#;

#[test]
#[cfg_attr(
    not(chromium_present),
    ignore = "needs /usr/bin/chromium (apt-get install chromium)"
)]
fn report_renders_offline_in_chromium() {
    let binary = Path::new(CHROMIUM);
    let temp = tempfile::tempdir().expect("temp dir");
    let shots = shots_dir(temp.path());

    let summary = recorded("normal-summary.json");
    let report_url = write_html(&temp.path().join("report"), &summary);
    let mut hostile = recorded("normal-summary.json");
    let evil = "<script>alert(1)</script><img src=x onerror=alert(2)> \"'&|\nx";
    hostile.scenario.name = format!("evil {evil}");
    hostile.scenario.description = Some(evil.to_string());
    hostile.interrupted = true;
    for step in hostile.metrics.steps.values_mut() {
        for failure in step.failures.values_mut() {
            failure.example = evil.to_string();
        }
    }
    if let Some(v) = hostile.judgement.verdicts.first_mut() {
        v.rule = format!("{} {evil}", v.rule);
    }
    let hostile_url = write_html(&temp.path().join("hostile"), &hostile);

    let browser = Browser::launch(binary);
    let mut cdp = Cdp::connect(&browser.ws_url);
    let tab = open_tab(&mut cdp);

    // Desktop.
    set_viewport(&mut cdp, &tab, 1280, 2000, false);
    navigate(&mut cdp, &tab, &report_url);
    let page = cdp.eval(&tab, VERDICT_JS);
    let expected = if summary.judgement.passed() {
        "PASS"
    } else {
        "FAIL"
    };
    assert_eq!(page["text"], json!(expected), "verdict word: {page}");
    assert_eq!(
        page["visible"],
        json!(true),
        "verdict visible at the top: {page}"
    );
    assert_eq!(page["inBodyText"], json!(true));
    assert_eq!(page["scripts"], json!(0));
    let charts = page["charts"].as_array().expect("charts");
    assert_eq!(charts.len(), 4, "one figure per chart: {page}");
    for chart in charts {
        assert_eq!(
            chart["drawn"],
            json!(true),
            "chart drawn as inline SVG: {chart}"
        );
        assert_eq!(chart["described"], json!(true), "chart described: {chart}");
        assert!(
            chart["tooltips"].as_u64().unwrap_or(0) >= 5,
            "chart has <title> tooltips: {chart}"
        );
        assert!(
            chart["text"].as_u64().unwrap_or(0) >= 5,
            "chart text is real <text>: {chart}"
        );
    }
    assert_eq!(
        page["images"],
        json!(0),
        "charts are inline SVG, not images: {page}"
    );
    let desktop = screenshot(&mut cdp, &tab, 1280, 8000);
    check_png(&desktop, 1280, &shots.join("report-desktop.png"));

    // Phone: nothing reaches past the screen's edge.
    set_viewport(&mut cdp, &tab, PHONE, 844, true);
    cdp.drain(Duration::from_millis(300));
    assert_fits(&cdp.eval(&tab, LAYOUT_JS), PHONE, "the normal run");
    let phone = screenshot(&mut cdp, &tab, PHONE, 8000);
    check_png(&phone, PHONE, &shots.join("report-phone.png"));

    // Print: light backgrounds only, and a PDF comes out.
    set_viewport(&mut cdp, &tab, 1000, 1400, false);
    cdp.call(
        Some(&tab),
        "Emulation.setEmulatedMedia",
        json!({ "media": "print" }),
    );
    let dark = cdp.eval(&tab, PRINT_JS);
    assert_eq!(dark, json!([]), "dark backgrounds when printed");
    let print = screenshot(&mut cdp, &tab, 1000, 6000);
    check_png(&print, 1000, &shots.join("report-print.png"));
    cdp.call(
        Some(&tab),
        "Emulation.setEmulatedMedia",
        json!({ "media": "" }),
    );
    let pdf = cdp.call(
        Some(&tab),
        "Page.printToPDF",
        json!({ "printBackground": true }),
    );
    use base64::Engine as _;
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(pdf["data"].as_str().expect("pdf data"))
        .expect("pdf is base64");
    assert!(pdf.starts_with(b"%PDF"), "printing gives a PDF");
    std::fs::write(shots.join("report.pdf"), &pdf).expect("pdf written");

    // Hostile text: shown literally, nothing runs, no dialog opens.
    set_viewport(&mut cdp, &tab, 1280, 2000, false);
    navigate(&mut cdp, &tab, &hostile_url);
    let hostile_page = cdp.eval(
        &tab,
        r#"({
          h1: document.querySelector('h1').textContent,
          scripts: document.scripts.length,
          imagesOutsideCharts: [...document.images].filter(i => !i.closest('#charts')).length,
          interrupted: !!document.getElementById('interrupted'),
        })"#,
    );
    assert_eq!(hostile_page["h1"], json!(format!("evil {evil}")));
    assert_eq!(hostile_page["scripts"], json!(0));
    assert_eq!(
        hostile_page["imagesOutsideCharts"],
        json!(0),
        "only the charts are images"
    );
    assert_eq!(hostile_page["interrupted"], json!(true));
    let hostile_shot = screenshot(&mut cdp, &tab, 1280, 2000);
    check_png(&hostile_shot, 1280, &shots.join("report-hostile.png"));

    // A probe page that does what the report must not (fetch from the network, log a
    // console error), in its own tab: proves the two detectors below see such things.
    let probe_path = temp.path().join("probe.html");
    std::fs::write(
        &probe_path,
        "<!DOCTYPE html><title>probe</title><img src=\"http://probe.invalid/x.png\">\
         <script>console.error('probe error')</script>",
    )
    .expect("probe written");
    let probe_url = format!("file://{}", probe_path.canonicalize().unwrap().display());
    let probe = open_tab(&mut cdp);
    navigate(&mut cdp, &probe, &probe_url);

    cdp.drain(Duration::from_millis(300));
    assert!(
        !outside_requests(&cdp, &probe, std::slice::from_ref(&probe_url)).is_empty(),
        "the network detector missed the probe's request"
    );
    assert!(
        !console_errors(&cdp, &probe).is_empty(),
        "the console detector missed the probe's error"
    );
    assert_eq!(
        cdp.events_named(&tab, "Page.javascriptDialogOpening")
            .count(),
        0,
        "a dialog opened: hostile text ran as script"
    );
    let errors = console_errors(&cdp, &tab);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    let outside = outside_requests(&cdp, &tab, &[report_url.clone(), hostile_url.clone()]);
    assert!(
        outside.is_empty(),
        "network requests attempted: {outside:#?}"
    );
    let loaded: Vec<&str> = cdp
        .events_named(&tab, "Network.requestWillBeSent")
        .filter_map(|e| e["params"]["request"]["url"].as_str())
        .collect();
    assert!(
        loaded.contains(&report_url.as_str()),
        "network events were observed at all: {loaded:?}"
    );
    drop(browser);
}

/// Fails, naming what sticks out, unless nothing in the page reaches past `width`.
fn assert_fits(layout: &Value, width: u32, what: &str) {
    let width = f64::from(width);
    assert!(
        layout["scrollWidth"].as_f64().unwrap_or(f64::MAX) <= width,
        "{what} scrolls sideways at {width} px: {layout:#}"
    );
    assert_eq!(
        layout["overCount"],
        json!(0),
        "{what}: elements past the right edge at {width} px: {layout:#}"
    );
    let tables = layout["tables"].as_array().expect("tables");
    assert!(!tables.is_empty(), "{what}: no tables measured");
    for table in tables {
        assert!(
            table["right"].as_f64().unwrap_or(f64::MAX) <= width + 0.5,
            "{what}: a table is wider than {width} px: {table}"
        );
    }
}

/// The width and tallest row of each table, for the eye (`--nocapture`).
fn describe(layout: &Value) -> String {
    let tables = layout["tables"].as_array().cloned().unwrap_or_default();
    tables
        .iter()
        .map(|t| {
            format!(
                "  {:<16} {:<22} width {:>5.0} px, right edge {:>5.0} px, tallest row {:>4.0} px",
                t["section"].as_str().unwrap_or(""),
                t["class"].as_str().unwrap_or(""),
                t["width"].as_f64().unwrap_or(0.0),
                t["right"].as_f64().unwrap_or(0.0),
                t["tallestRow"].as_f64().unwrap_or(0.0)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A stress-like run (12 steps, 11 stages, 7 budgets judged on each stage) laid out at
/// a phone's and a laptop's width: no element and no table reaches past the viewport's
/// right edge, so nothing needs sideways scrolling, not even the per-stage matrix.
/// `LOADGATE_REPORT_HTML=path/report.html` measures that page instead (to compare
/// with another version's report; it fails if that page does not fit).
#[test]
#[cfg_attr(
    not(chromium_present),
    ignore = "needs /usr/bin/chromium (apt-get install chromium)"
)]
fn a_stress_report_fits_a_phone_and_a_laptop() {
    let temp = tempfile::tempdir().expect("temp dir");
    let shots = shots_dir(temp.path());
    let url = match std::env::var_os("LOADGATE_REPORT_HTML") {
        Some(path) => format!(
            "file://{}",
            Path::new(&path)
                .canonicalize()
                .expect("report exists")
                .display()
        ),
        None => {
            let summary = recorded("stress-summary.json");
            assert!(summary.metrics.steps.len() >= 12, "a stress-like run");
            assert!(summary.judgement.stages.len() >= 8, "many stages");
            write_html(&temp.path().join("stress"), &summary)
        }
    };
    let browser = Browser::launch(Path::new(CHROMIUM));
    let mut cdp = Cdp::connect(&browser.ws_url);
    let tab = open_tab(&mut cdp);
    for (width, height, mobile) in [(PHONE, 844, true), (LAPTOP, 900, false)] {
        set_viewport(&mut cdp, &tab, width, height, mobile);
        navigate(&mut cdp, &tab, &url);
        let layout = cdp.eval(&tab, LAYOUT_JS);
        println!("stress report at {width} px:\n{}", describe(&layout));
        let shot = screenshot(&mut cdp, &tab, width, 16000);
        check_png(&shot, width, &shots.join(format!("stress-{width}.png")));
        assert_fits(&layout, width, "the stress report");
    }
    let errors = console_errors(&cdp, &tab);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    drop(browser);
}
