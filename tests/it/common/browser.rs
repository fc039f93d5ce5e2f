//! Headless Chromium through chromedriver (Debian's `chromium` and `chromium-driver`), driven by
//! fantoccini. Each browser gets a fresh profile and its own chromedriver, stopped on drop.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
}

/// Each browser's folder (its profile and temporary files):
/// `admin-console-chrome-<test process id>-<chromedriver port>`.
const PROFILE_PREFIX: &str = "admin-console-chrome-";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// axe-core's browser build, fetched by tests/run.sh (`AXE_CORE` overrides the path).
fn axe_path() -> PathBuf {
    std::env::var_os("AXE_CORE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/axe-core/package/axe.min.js")
        })
}

fn chromium_binary() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

impl Browser {
    pub async fn start() -> Browser {
        Self::start_with(&[]).await
    }

    /// A browser with Chromium flags added (`--blink-settings=preferredColorScheme=0`: dark), or
    /// `phone` for a 390 px wide screen.
    pub async fn start_with(extra_args: &[&str]) -> Browser {
        let port = free_port();
        sweep_orphans();
        // The browser's folder: its profile, and the temporary folder of chromedriver and Chromium
        // (their `org.chromium.Chromium.*` files would stay in /tmp after a kill), all removed
        // with it.
        let profile =
            std::env::temp_dir().join(format!("{PROFILE_PREFIX}{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        let tmp = profile.join("tmp");
        std::fs::create_dir_all(&tmp).expect("the browser's folder");
        let driver = Command::new(
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned()),
        )
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .env("TMPDIR", &tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver (apt-get install chromium-driver)");
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--window-size=1280,900".to_owned(),
            format!("--user-data-dir={}", profile.join("profile").display()),
        ];
        // `phone`: a 390 × 844 screen (an iPhone's), emulated: a window cannot be that narrow.
        let phone = extra_args.contains(&"phone");
        args.extend(
            extra_args
                .iter()
                .filter(|a| **a != "phone")
                .map(|a| (*a).to_owned()),
        );
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".to_owned(), serde_json::json!("chrome"));
        caps.insert(
            "goog:chromeOptions".to_owned(),
            if phone {
                serde_json::json!({
                    "binary": chromium_binary(),
                    "args": args,
                    "mobileEmulation": {
                        "deviceMetrics": { "width": 390, "height": 844, "pixelRatio": 2.0 }
                    }
                })
            } else {
                serde_json::json!({ "binary": chromium_binary(), "args": args })
            },
        );
        let webdriver = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&webdriver)
                .await
            {
                Ok(client) => break client,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    actix_web::rt::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("could not start a Chromium session through chromedriver: {e}"),
            }
        };
        Browser {
            client,
            driver,
            profile,
        }
    }

    /// Signs the set-up Owner in through the login form and waits for their users list.
    pub async fn sign_in_as_owner(&self, app: &super::TestApp) {
        self.client.goto(&app.url("/login")).await.unwrap();
        self.fill("#email", super::OWNER_EMAIL).await;
        self.fill("#password", super::OWNER_PASSWORD).await;
        self.click("button[type=submit]").await;
        self.wait_for_url("/w/acme/users").await;
    }

    /// Saves a PNG of the current page at `path` (relative to the crate).
    pub async fn screenshot_to(&self, path: &str) {
        let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path);
        std::fs::create_dir_all(file.parent().expect("a folder")).expect("screenshot dir");
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(file, png).expect("write screenshot");
    }

    /// Saves a PNG of the current page under target/screenshots/.
    pub async fn screenshot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target")
            .join("screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let backend = format!("{:?}", super::backend()).to_lowercase();
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(dir.join(format!("{name}-{backend}.png")), png).expect("write screenshot");
    }

    /// Types `text` into the field `css` finds, replacing what it held.
    pub async fn fill(&self, css: &str, text: &str) {
        self.retrying(css, || async {
            let field = self.client.find(Locator::Css(css)).await?;
            field.clear().await?;
            field.send_keys(text).await
        })
        .await;
    }

    /// Runs `step` until it succeeds, for up to 5 s while it fails as a page still loading or
    /// changing does (the element not there yet, replaced, or not yet shown): as a person would
    /// wait for it. Any other error, or the same one after 5 s, fails the test naming `css`.
    async fn retrying<F, Fut>(&self, css: &str, step: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<(), fantoccini::error::CmdError>>,
    {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match step().await {
                Ok(()) => return,
                Err(e)
                    if (e.is_no_such_element()
                        || e.is_stale_element_reference()
                        || e.is_element_not_interactable())
                        && Instant::now() < deadline =>
                {
                    actix_web::rt::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("{css}: {e}"),
            }
        }
    }

    /// Chooses the option with this value in a `<select>`.
    pub async fn select(&self, css: &str, value: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("no option {value} in {css}: {e}"));
    }

    /// Waits for the page's question (the `#ask-first` dialog), answers it, waits for it to
    /// close, and returns its text.
    pub async fn answer_question(&self, accept: bool) -> String {
        let asked = self.wait_for_text("#ask-first[open]", "?").await;
        let answer = if accept { "yes" } else { "no" };
        self.click(&format!("#ask-first[open] button[value='{answer}']"))
            .await;
        // Closed, or gone with the page the answer left.
        self.wait_for_script("return !document.querySelector('#ask-first')?.open")
            .await;
        asked
    }

    /// Clicks the element `css` finds, once it is there and shown (see [`Self::retrying`]).
    pub async fn click(&self, css: &str) {
        self.retrying(css, || async {
            self.client.find(Locator::Css(css)).await?.click().await?;
            Ok(())
        })
        .await;
    }

    /// Opens the users list's row menu of membership `member` (its ⋯ button, as a person would),
    /// then clicks the item whose words start with `label` ("Suspend", "Revoke invitation").
    pub async fn click_row_action(&self, member: i64, label: &str) {
        self.click(&format!("a[data-actions][href$='/users/{member}']"))
            .await;
        self.client
            .find(Locator::XPath(&format!(
                "//div[@class='row-menu-items']/*[starts-with(normalize-space(.), '{label}')]"
            )))
            .await
            .unwrap_or_else(|e| panic!("no {label} in the row menu of {member}: {e}"))
            .click()
            .await
            .expect("click");
    }

    /// Waits (up to 10 s) until `script` (a function body) returns true in the page.
    pub async fn wait_for_script(&self, script: &str) {
        for _ in 0..100 {
            let value = self
                .client
                .execute(script, Vec::new())
                .await
                .expect("script");
            if value.as_bool() == Some(true) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let active = self
            .eval_text("return document.activeElement.outerHTML.slice(0, 300)")
            .await;
        panic!("never true: {script} (the focus is on {active})");
    }

    /// What `script` (a function body returning a string) returns in the page.
    pub async fn eval_text(&self, script: &str) -> String {
        self.client
            .execute(script, Vec::new())
            .await
            .expect("script")
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .text()
            .await
            .expect("text")
    }

    /// Waits (bounded) until `css` matches an element whose text contains `needle`.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(el) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = el.text().await
                && text.contains(needle)
            {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {needle:?} in {css}"
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (bounded) until the address bar's path and query equal `path`.
    pub async fn wait_for_url(&self, path: &str) {
        self.wait_for_url_where(path, |here| here == path).await;
    }

    /// Waits until the address (path and query) passes `ok` (htmx pushes it after its swap), and
    /// returns it; `what` names it in the failure.
    pub async fn wait_for_url_where(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(url) = self.client.current_url().await {
                let here = match url.query() {
                    Some(q) => format!("{}?{q}", url.path()),
                    None => url.path().to_owned(),
                };
                if ok(&here) {
                    return here;
                }
                assert!(
                    Instant::now() < deadline,
                    "timed out waiting for {what}, at {here}"
                );
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs axe-core (the npm package, fetched by the test command into `target/axe-core/`) on
    /// the page as it is now: its violations at WCAG 2.2 A/AA and best practices, one line each
    /// (rule, impact, where, and the first failing element's summary).
    pub async fn axe_violations(&self) -> Vec<String> {
        let source = std::fs::read_to_string(axe_path()).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (tests/run.sh fetches axe-core there)",
                axe_path().display()
            )
        });
        self.client
            .execute(&format!("{source}\n;return true;"), Vec::new())
            .await
            .expect("inject axe-core");
        let found = self
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                axe.run(document, { runOnly: { type: 'tag', values:
                    ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } })
                  .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' +
                      v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ') + ' — ' +
                      (v.nodes[0] ? v.nodes[0].failureSummary.replace(/\s+/g, ' ') : ''))))
                  .catch(e => done(['axe failed: ' + e]));"#,
                Vec::new(),
            )
            .await
            .expect("run axe-core");
        serde_json::from_value(found).expect("a list of violations")
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // Killing chromedriver does not end the Chromium it started (a test that panicked never
        // closed its session): end every process started with this browser's own profile.
        kill_processes_naming(&self.profile.display().to_string());
        remove_profile(&self.profile);
    }
}

/// Every process: (pid, parent pid, command line with its arguments joined by spaces).
fn processes() -> Vec<(i32, i32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse::<i32>().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // `pid (name) state ppid …`: the name may hold spaces, so read after its `)`.
            let ppid = stat
                .rsplit(')')
                .next()?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            Some((pid, ppid, cmdline))
        })
        .collect()
}

/// Kills (SIGKILL) the processes `doomed` picks, and their descendants (Chromium's zygote,
/// renderers and utilities).
fn kill_tree(doomed: impl Fn(&str) -> bool) {
    let all = processes();
    let mut pids: Vec<i32> = all
        .iter()
        .filter(|(_, _, cmdline)| doomed(cmdline))
        .map(|(pid, ..)| *pid)
        .collect();
    let mut grew = true;
    while grew {
        grew = false;
        for (pid, ppid, _) in &all {
            if pids.contains(ppid) && !pids.contains(pid) {
                pids.push(*pid);
                grew = true;
            }
        }
    }
    for pid in pids {
        // SAFETY: sends a signal to a browser or chromedriver a test started.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

/// This browser's processes: Chromium started with its profile, and the chromedriver on its port.
fn kill_processes_naming(profile: &str) {
    let port = profile.rsplit('-').next().unwrap_or_default().to_owned();
    let driver = format!(" --port={port} ");
    kill_tree(|cmdline| {
        cmdline.contains(profile) || (cmdline.contains("chromedriver") && cmdline.contains(&driver))
    });
}

/// Browsers left by test processes that are gone (a test that panicked may end its process before
/// its `Browser` is dropped): their profile names the test process's pid.
fn sweep_orphans() {
    let orphans: Vec<String> = processes()
        .into_iter()
        .filter_map(|(pid, _, cmdline)| {
            // Chromium names its profile on its command line; chromedriver, whose Chromium may be
            // gone already, only in its environment (its TMPDIR is inside the profile).
            let seen = format!("{cmdline} {}", environment(pid));
            let start = seen.find(PROFILE_PREFIX)?;
            let profile: String = seen[start..].split(['/', ' ']).next()?.to_owned();
            let owner = profile[PROFILE_PREFIX.len()..].split('-').next()?;
            (!std::path::Path::new(&format!("/proc/{owner}")).exists()).then_some(profile)
        })
        .collect();
    for profile in orphans {
        kill_processes_naming(&profile);
    }
    // Their folders too, and those whose browsers are already gone.
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(owner) = name
            .strip_prefix(PROFILE_PREFIX)
            .and_then(|rest| rest.split('-').next())
        else {
            continue;
        };
        if !std::path::Path::new(&format!("/proc/{owner}")).exists() {
            remove_profile(&entry.path());
        }
    }
}

/// A process's environment, its variables joined by spaces (empty when it cannot be read).
fn environment(pid: i32) -> String {
    std::fs::read(format!("/proc/{pid}/environ"))
        .map(|bytes| String::from_utf8_lossy(&bytes).replace('\0', " "))
        .unwrap_or_default()
}

/// Deletes a browser's profile folder. A Chromium just sent SIGKILL may still be writing into it
/// (the removal then fails on a folder not empty): tried again for up to a second.
fn remove_profile(profile: &std::path::Path) {
    for _ in 0..20 {
        if std::fs::remove_dir_all(profile).is_ok() || !profile.exists() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
