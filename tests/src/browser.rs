//! A small headless-Chromium driver for the browser tests: it launches Debian's `chromium`
//! and speaks the DevTools protocol to it over a WebSocket on 127.0.0.1, so a test can log in
//! through the /login form, type, click and read pages as a person would.
//!
//! Why not the `headless_chrome` crate: it drives the same protocol, but it compiles the whole
//! generated protocol (thousands of types) into every test build, and its `fetch` feature
//! exists to download a browser, which this project never may; the few commands needed here
//! (navigate, evaluate, insert text, mouse events) are a page of code.
//!
//! Chromium runs in its own process group with a throw-away profile; dropping the [`Browser`]
//! closes it and kills the group, so no process is left behind even when a test panics.

use serde_json::{json, Value};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// How long a page may take to load, or Chromium to start.
const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Browser {
    child: Child,
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    session: String,
    next_id: u64,
    _profile: tempfile::TempDir,
}

/// The system's Chromium: `PRADEN_CHROMIUM`, else the first of chromium, chromium-browser,
/// google-chrome on the PATH.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PRADEN_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find_map(|name| {
            let out = Command::new("which").arg(name).output().ok()?;
            out.status
                .success()
                .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        })
}

impl Browser {
    /// A browser, or `None` (with a notice) when Chromium is not installed and CI is not set.
    /// On CI a missing Chromium fails the test: .ci/run installs it.
    pub fn launch_or_skip() -> Option<Self> {
        match find_chromium() {
            Some(path) => Some(Self::launch(&path)),
            None => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI must have Chromium (.ci/run installs it)"
                );
                eprintln!("chromium is not installed: browser test skipped");
                None
            }
        }
    }

    pub fn launch(chromium: &Path) -> Self {
        let profile = tempfile::tempdir().unwrap();
        let mut command = Command::new(chromium);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-default-apps",
                "--disable-extensions",
                "--disable-sync",
                "--mute-audio",
                // No crash-reporter helper processes to outlive the browser.
                "--disable-crash-reporter",
                "--disable-breakpad",
                "--remote-debugging-address=127.0.0.1",
                // Port 0: Chromium picks a free port and writes it to DevToolsActivePort.
                "--remote-debugging-port=0",
                "--window-size=1280,900",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            // Its own group, so Drop can end Chromium's helper processes too.
            command.process_group(0);
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromium.display()));
        let mut browser_ws = None;
        let deadline = Instant::now() + TIMEOUT;
        let port_file = profile.path().join("DevToolsActivePort");
        while browser_ws.is_none() {
            if let Ok(text) = std::fs::read_to_string(&port_file) {
                let mut lines = text.lines();
                if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                    browser_ws = Some(format!("ws://127.0.0.1:{port}{path}"));
                }
            }
            if browser_ws.is_none() {
                if Instant::now() > deadline {
                    kill_group(child.id());
                    panic!("Chromium did not open its DevTools port within {TIMEOUT:?}");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let url = browser_ws.unwrap();
        let (ws, _) = tungstenite::connect(url.as_str())
            .unwrap_or_else(|e| panic!("cannot connect to Chromium at {url}: {e}"));
        if let MaybeTlsStream::Plain(stream) = ws.get_ref() {
            stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        }
        let mut browser = Self {
            child,
            ws,
            session: String::new(),
            next_id: 0,
            _profile: profile,
        };
        let target = browser.command("Target.createTarget", json!({"url": "about:blank"}));
        let target_id = target["targetId"]
            .as_str()
            .expect("a target id")
            .to_string();
        let attached = browser.command(
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        );
        browser.session = attached["sessionId"]
            .as_str()
            .expect("a session id")
            .to_string();
        browser.command("Page.enable", json!({}));
        browser
    }

    /// Sends one DevTools command (to the page once attached) and returns its result; events
    /// that arrive meanwhile are skipped.
    fn try_command(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            message["sessionId"] = json!(self.session);
        }
        self.ws
            .send(Message::text(message.to_string()))
            .map_err(|e| format!("{method}: cannot send: {e}"))?;
        loop {
            let reply = self
                .ws
                .read()
                .map_err(|e| format!("{method}: no answer from Chromium: {e}"))?;
            let Message::Text(text) = reply else { continue };
            let value: Value = serde_json::from_str(text.as_str())
                .map_err(|e| format!("{method}: bad JSON from Chromium: {e}"))?;
            if value["id"].as_u64() != Some(id) {
                continue;
            }
            if let Some(error) = value.get("error") {
                return Err(format!("{method}: {error}"));
            }
            return Ok(value["result"].clone());
        }
    }

    fn command(&mut self, method: &str, params: Value) -> Value {
        self.try_command(method, params)
            .unwrap_or_else(|e| panic!("DevTools {e}"))
    }

    fn try_eval(&mut self, expression: &str) -> Result<Value, String> {
        let result = self.try_command(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        )?;
        if let Some(e) = result.get("exceptionDetails") {
            return Err(format!("{expression}: {e}"));
        }
        Ok(result["result"]["value"].clone())
    }

    /// The value of a JavaScript expression in the page.
    pub fn eval(&mut self, expression: &str) -> Value {
        self.try_eval(expression).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Marks the current document, runs `act`, and waits until another document has loaded
    /// completely: robust against the old page still answering for a moment.
    fn navigating(&mut self, what: &str, act: impl FnOnce(&mut Self)) {
        self.eval("window.__pradenOld = true");
        act(self);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            // While the page changes, evaluation may fail (no context yet): keep asking.
            let ready = self.try_eval("!window.__pradenOld && document.readyState === 'complete'");
            if ready == Ok(json!(true)) {
                return;
            }
            if Instant::now() > deadline {
                let url = self.try_eval("location.href").unwrap_or_default();
                panic!("{what}: no new page loaded within {TIMEOUT:?} (still at {url})");
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Opens `url` and waits until it has loaded.
    pub fn goto(&mut self, url: &str) {
        self.navigating(&format!("goto {url}"), |b| {
            let r = b.command("Page.navigate", json!({"url": url}));
            if let Some(e) = r.get("errorText") {
                panic!("cannot open {url}: {e}");
            }
        });
    }

    /// Focuses the element at `selector`, clears it and types `text` into it (real input
    /// events, as a keyboard would).
    pub fn fill(&mut self, selector: &str, text: &str) {
        let sel = serde_json::to_string(selector).unwrap();
        let found = self.eval(&format!(
            "(() => {{ const el = document.querySelector({sel}); if (!el) return false; \
             el.focus(); if ('value' in el) el.value = ''; return true; }})()"
        ));
        assert_eq!(found, json!(true), "no element {selector} to type into");
        self.command("Input.insertText", json!({"text": text}));
    }

    /// Chooses `files` in the file input at `selector`, as a person picking them would.
    pub fn choose_files(&mut self, selector: &str, files: &[&Path]) {
        let root = self.command("DOM.getDocument", json!({"depth": 0}));
        let node = self.command(
            "DOM.querySelector",
            json!({"nodeId": root["root"]["nodeId"], "selector": selector}),
        );
        let id = node["nodeId"].as_i64().unwrap_or(0);
        assert!(id != 0, "no file input {selector}");
        let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        self.command(
            "DOM.setFileInputFiles",
            json!({"nodeId": id, "files": files}),
        );
    }

    /// Clicks the middle of the element at `selector` with the mouse and waits for the page
    /// it leads to (praden's pages work without JavaScript: every click that does something
    /// is a link or a form's button).
    pub fn click(&mut self, selector: &str) {
        let sel = serde_json::to_string(selector).unwrap();
        let point = self.eval(&format!(
            "(() => {{ const el = document.querySelector({sel}); if (!el) return null; \
             el.scrollIntoView({{block: 'center'}}); const r = el.getBoundingClientRect(); \
             return [r.left + r.width / 2, r.top + r.height / 2]; }})()"
        ));
        let (x, y) = match (point[0].as_f64(), point[1].as_f64()) {
            (Some(x), Some(y)) => (x, y),
            _ => panic!("no element {selector} to click"),
        };
        self.navigating(&format!("click {selector}"), |b| {
            for kind in ["mousePressed", "mouseReleased"] {
                b.command(
                    "Input.dispatchMouseEvent",
                    json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
                );
            }
        });
    }

    /// The visible text of the first element at `selector`.
    pub fn text(&mut self, selector: &str) -> String {
        let sel = serde_json::to_string(selector).unwrap();
        let v = self.eval(&format!(
            "(() => {{ const el = document.querySelector({sel}); return el ? el.innerText : null; }})()"
        ));
        v.as_str()
            .unwrap_or_else(|| panic!("no element {selector} on {}", self.url()))
            .to_string()
    }

    /// How many elements match `selector`.
    pub fn count(&mut self, selector: &str) -> usize {
        let sel = serde_json::to_string(selector).unwrap();
        self.eval(&format!("document.querySelectorAll({sel}).length"))
            .as_u64()
            .unwrap_or(0) as usize
    }

    /// The page's HTML as rendered now.
    pub fn html(&mut self) -> String {
        self.eval("document.documentElement.outerHTML")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn url(&mut self) -> String {
        self.eval("location.href")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Saves what the page looks like now as `target/screenshots/NAME.png` (the whole page),
    /// for a reviewer to look at after the run; returns the file.
    pub fn screenshot(&mut self, name: &str) -> PathBuf {
        use base64::Engine;
        let shot = self.command(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true}),
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("the screenshot's data"))
            .expect("base64 from Chromium");
        let file = screenshots_dir().join(format!("{name}.png"));
        std::fs::write(&file, png).expect("the screenshot file");
        file
    }

    /// Renders the page as it prints (CSS `@media print`) until the browser closes.
    pub fn emulate_print(&mut self) {
        self.command("Emulation.setEmulatedMedia", json!({"media": "print"}));
    }

    /// Prints the page on A4 (its own `@page` rules win) to `target/screenshots/NAME.pdf`;
    /// returns the file.
    pub fn print_pdf_a4(&mut self, name: &str) -> PathBuf {
        use base64::Engine;
        let pdf = self.command(
            "Page.printToPDF",
            json!({"paperWidth": 8.27, "paperHeight": 11.69, "printBackground": true,
                   "preferCSSPageSize": true}),
        );
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(pdf["data"].as_str().expect("the PDF's data"))
            .expect("base64 from Chromium");
        let file = screenshots_dir().join(format!("{name}.pdf"));
        std::fs::write(&file, bytes).expect("the PDF file");
        file
    }

    /// Logs in through the /login form, as a person would; panics if it did not work.
    pub fn login(&mut self, base: &str, user: &str, password: &str) {
        self.goto(&format!("{base}/login"));
        self.fill("input[name=username]", user);
        self.fill("input[name=password]", password);
        self.click("form.login button[type=submit]");
        let url = self.url();
        assert!(
            !url.contains("/login"),
            "logging in as {user} failed: still at {url}: {}",
            self.text("body")
        );
    }
}

fn kill_group(pid: u32) {
    // The group id is the leader's pid (process_group(0)); "-PID" names the whole group.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stderr(Stdio::null())
        .status();
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask nicely first (Chromium flushes and stops its helpers), then make sure.
        self.session.clear(); // Browser.close goes to the browser, not the page.
        let _ = self.try_command("Browser.close", json!({}));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        kill_group(self.child.id());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `target/screenshots`, made if need be: where the browser tests leave what a reviewer
/// looks at.
fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("target/screenshots");
    dir
}
