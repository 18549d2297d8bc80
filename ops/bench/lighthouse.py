"""Lighthouse (mobile, simulated Slow 4G) on the pages the owner and staff open most, beside Unfold's
own page shell (BACKOFFICE_LEAN_PAGES=0) measured in the same run.

    .venv/bin/python ops/bench/lighthouse.py [--runs 3] [--settings dev|production] [--page dashboard ...]

Starts embedded PostgreSQL and Redis (instance `lighthouse`, under .data/), migrates, seeds the demo
and collects static as `make run` does, then serves two gunicorns as the app's DB role: the project's
pages on --port (default 8510) and the baseline on --port + 1. `--settings production` serves
backoffice.settings.production (HTTPS assumed behind a proxy: every request carries
X-Forwarded-Proto: https). Logs in as the owner through the login form, then for each page runs
Lighthouse 12 (installed on first use into .data/lighthouse/, git-ignored) --runs times per variant,
interleaved, each on a fresh headless Chromium (/usr/bin/chromium) holding the session cookie, so the
page's own requests (the live poll) are signed in too, and prints the median run (by score): score,
LCP, CLS, TBT (and every run's TBT) and the bytes of a cold visit (Lighthouse's total byte weight),
plus the bytes of a repeat visit (Chromium via Playwright: the same page opened again with a warm
cache, transfer sizes summed).
Targets (issue 14): score >= 90, LCP <= 2.5 s, CLS <= 0.1, TBT <= 200 ms, cold <= 500 KB,
repeat <= 50 KB.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "ops")]
import services  # noqa: E402

LIGHTHOUSE_DIR = ROOT / ".data" / "lighthouse"
LIGHTHOUSE = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "bench-pass-2026"
INSTANCE = "lighthouse"
# Lighthouse's docs/throttling.md: its default 4x CPU slowdown moves a high-end desktop (benchmark
# index 1,500-2,000) into the mid-tier mobile bracket; a faster host needs more for the same phone.
CALIBRATED_INDEX = 1750
PAGES = {  # name: (path, logged in)
    "login": ("/admin/login/", False),
    "dashboard": ("/admin/", True),
    "quick sale": ("/admin/sales/quick/?business=shop", True),
    "sales list": ("/admin/sales/sale/", True),
    "laundry board": ("/admin/laundry/board/", True),
    "daily sales report": ("/admin/reports/daily-sales/", True),
    "public home": ("/", False),
}
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "backoffice.settings.production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
    "ALLOWED_HOSTS": "localhost,127.0.0.1",
    # M-Pesa as production demands it (never called by these pages)
    "MPESA_MODE": "sandbox", "MPESA_CONSUMER_KEY": "bench", "MPESA_CONSUMER_SECRET": "bench",
    "MPESA_PASSKEY": "bench", "MPESA_CALLBACK_TOKEN": secrets.token_urlsafe(32),
    "MPESA_CALLBACK_BASE_URL": "https://biashara.example.com",
    "LEDGER_HMAC_KEY": secrets.token_urlsafe(48),  # the ledger's seal key, as production demands it
    "ETIMS_MODE": "off",  # these pages sign nothing
    "SMS_MODE": "off",  # and text nobody
}


def ensure_lighthouse():
    if not LIGHTHOUSE.exists():
        LIGHTHOUSE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(LIGHTHOUSE_DIR), "--no-audit", "--no-fund", "lighthouse@12"],
                       check=True)


def prepare(env):
    """Schema, demo data and collected static, as `make run` does."""
    owner_env = {**env, "DATABASE_URL": env.get("DATABASE_OWNER_URL", env["DATABASE_URL"])}
    for args, run_env in ((["migrate", "--noinput"], owner_env), (["seed_demo"], env),
                          (["collectstatic", "--noinput", "--verbosity", "0"], env)):
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=run_env, check=True,
                       stdout=subprocess.DEVNULL)


def app_role_url(env):
    owner_url = env.get("DATABASE_OWNER_URL")
    return services.with_user(owner_url, services.APP_ROLE) if owner_url else env["DATABASE_URL"]


def start_gunicorn(env, port, lean):
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--pythonpath", "site", "backoffice.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--worker-class", "sync", "--timeout", "60", "--log-level", "warning"],
        cwd=ROOT, env={**env, "DATABASE_URL": app_role_url(env), "BACKOFFICE_LEAN_PAGES": "1" if lean else "0"},
        start_new_session=True)
    services.wait_for_http(f"http://127.0.0.1:{port}/health/", seconds=120)
    return process


def log_in(base, headers):
    """The owner through the login form; returns the session cookie. Cookies are sent by hand:
    production's are Secure, and this plain-HTTP client (nginx's side of the proxy) would keep them."""
    page = requests.get(f"{base}/admin/login/", headers=headers)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = requests.post(f"{base}/admin/login/", allow_redirects=False,
                           headers={**headers, "Cookie": f"csrftoken={page.cookies['csrftoken']}",
                                    "Referer": f"{base}/admin/login/".replace("http:", "https:")
                                    if headers else f"{base}/admin/login/"},
                           data={"csrfmiddlewaretoken": token, "username": "owner", "password": PASSWORD})
    assert answer.status_code == 302, f"login failed: {answer.status_code}"
    return f"sessionid={answer.cookies['sessionid']}"


def site_cookie(cookie, url):
    """``cookie`` ("name=value") for the whole of ``url``'s site (path /), as Playwright takes it."""
    name, value = cookie.split("=", 1)
    return {"name": name, "value": value, "domain": urlsplit(url).hostname, "path": "/"}


@contextmanager
def chromium(playwright, url, cookie=None):
    """A fresh headless Chromium for one Lighthouse run (Lighthouse drives it through ``port``),
    holding ``cookie`` ("name=value") for ``url`` when given: every request the page makes (the live
    poll, a widget's refresh) is signed in, as on a phone. Lighthouse clears the cache and the site's
    storage before it loads the page, never cookies."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as profile:
        process = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", f"--remote-debugging-port={port}",
             f"--user-data-dir={profile}", "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            services.wait_for_http(f"http://127.0.0.1:{port}/json/version", seconds=30)
            if cookie:
                browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
                browser.contexts[0].add_cookies([site_cookie(cookie, url)])
                browser.close()  # disconnects: the cookie stays in the profile's default context
            yield port
        finally:
            process.terminate()
            process.wait(timeout=30)


def lighthouse(playwright, url, cookie, headers, cpu_slowdown, keep=None, tries=3):
    """One Lighthouse run; a run that fails (Chromium timing out on a busy host) is tried again.
    With ``keep`` (a path), the run's whole JSON report is copied there for diagnosis."""
    for attempt in range(1, tries + 1):
        with tempfile.TemporaryDirectory() as tmp, chromium(playwright, url, cookie) as port:
            report = Path(tmp) / "report.json"
            done = subprocess.run(
                [str(LIGHTHOUSE), url, "--quiet", "--only-categories=performance", "--output=json",
                 f"--output-path={report}", f"--port={port}", f"--extra-headers={json.dumps(headers)}",
                 "--max-wait-for-load=60000", f"--throttling.cpuSlowdownMultiplier={cpu_slowdown}"],
                env={**os.environ, "CHROME_PATH": CHROMIUM}, capture_output=True, text=True)
            if done.returncode == 0 and report.exists():
                data = json.loads(report.read_text())
                if not data.get("runtimeError"):
                    if keep:
                        keep.write_text(report.read_text())
                    break
        print(f"  lighthouse failed on {url} (try {attempt}): {done.stderr.strip()[-300:]}", flush=True)
    else:
        return None  # reported as failed; the other pages still run
    audits = data["audits"]
    return {
        "score": round(100 * (data["categories"]["performance"]["score"] or 0)),
        "lcp": audits["largest-contentful-paint"]["numericValue"] / 1000,
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "tbt": audits["total-blocking-time"]["numericValue"],
        "cold": audits["total-byte-weight"]["numericValue"] / 1024,
        "benchmark": data["environment"]["benchmarkIndex"],
    }


def repeat_bytes(browser, url, cookie, headers):
    """KB transferred when the page is opened a second time with a warm HTTP cache. Service workers
    are blocked: Resource Timing counts a page the worker hands over at its decoded size (152 KB for
    a dashboard whose network transfer is gzipped to 16 KB), and the worker serves no page from its
    cache but the quick sale offline; static files come from the HTTP cache either way."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, extra_http_headers=headers,
                                  service_workers="block")
    if cookie:
        context.add_cookies([site_cookie(cookie, url)])
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    page.goto(url, wait_until="networkidle")
    transferred = page.evaluate("""() => performance.getEntriesByType("navigation").concat(
        performance.getEntriesByType("resource")).reduce((sum, e) => sum + (e.transferSize || 0), 0)""")
    context.close()
    return transferred / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=8510)
    parser.add_argument("--settings", choices=["dev", "production"], default="dev")
    parser.add_argument("--page", action="append", choices=list(PAGES), help="only these pages (repeatable)")
    parser.add_argument("--cpu-slowdown", type=float, default=4,
                        help="Lighthouse's CPU throttling (4, its default, is meant for a host of benchmark "
                             "index ~1,750; the table's heading gives the multiplier for the same phone on this host)")
    parser.add_argument("--keep", type=Path, help="a directory to keep every run's JSON report in "
                        "(open one with Lighthouse's viewer to see what blocks the main thread)")
    args = parser.parse_args()
    ensure_lighthouse()

    owns_services = not services.running(INSTANCE)
    env = {**os.environ, "TZ": "Africa/Nairobi", "DJANGO_SETTINGS_MODULE": "backoffice.settings.dev",
           "DJANGO_DEBUG": "0", "DEMO_PASSWORD": PASSWORD,
           "STATIC_ROOT": str(services.instance_dir(INSTANCE) / "static"), **services.up(INSTANCE)}
    servers = []
    try:
        prepare(env)
        serve_env = {**env, **PRODUCTION_ENV} if args.settings == "production" else env
        # behind nginx in production: HTTPS is what the proxy says it was
        headers = {"X-Forwarded-Proto": "https"} if args.settings == "production" else {}
        variants = {"project": args.port, "unfold default": args.port + 1}
        for name, port in variants.items():
            servers.append(start_gunicorn(serve_env, port, lean=name == "project"))
        cookies = {name: log_in(f"http://localhost:{port}", headers) for name, port in variants.items()}

        from playwright.sync_api import sync_playwright

        results = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            for page_name in args.page or PAGES:
                path, logged_in = PAGES[page_name]
                for name, port in variants.items():
                    cookie = cookies[name] if logged_in else None
                    url = f"http://localhost:{port}{path}"
                    keep = [None] * args.runs
                    if args.keep:
                        args.keep.mkdir(parents=True, exist_ok=True)
                        slug = re.sub(r"\W+", "-", f"{page_name} {name}")
                        keep = [args.keep / f"{slug}-{run}.json" for run in range(1, args.runs + 1)]
                    runs = [r for r in (lighthouse(playwright, url, cookie, headers, args.cpu_slowdown, kept)
                                        for kept in keep) if r]
                    if not runs:
                        print(f"  {page_name:20} {name:15} FAILED", flush=True)
                        continue
                    median = sorted(runs, key=lambda r: r["score"])[len(runs) // 2]
                    median["scores"] = [r["score"] for r in runs]
                    median["tbts"] = [round(r["tbt"]) for r in runs]
                    median["repeat"] = repeat_bytes(browser, url, cookie, headers)
                    results[page_name, name] = median
                    print(f"  {page_name:20} {name:15} scores {median['scores']} LCP {median['lcp']:.1f} s "
                          f"CLS {median['cls']:.3f} TBT {median['tbt']:.0f} ms {median['tbts']} "
                          f"cold {median['cold']:.0f} KB "
                          f"repeat {median['repeat']:.1f} KB (benchmark index {median['benchmark']:.0f})", flush=True)
            browser.close()
        print_table(results, args)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        if owns_services:
            services.down(INSTANCE)


def print_table(results, args):
    index = statistics.median(r["benchmark"] for r in results.values())
    print(f"\nLighthouse 12, mobile (simulated Slow 4G, CPU slowdown {args.cpu_slowdown:g}), median of {args.runs}; "
          f"settings: {args.settings}; host benchmark index {index:.0f}")
    print(f"(Lighthouse's 4x makes a mid-tier phone of a {CALIBRATED_INDEX:,} host; the same phone on this one: "
          f"--cpu-slowdown {4 * index / CALIBRATED_INDEX:.1f})\n")
    print("| page | variant | score | LCP s | CLS | TBT ms | cold KB | repeat KB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for (page_name, variant), r in results.items():
        print(f"| {page_name} | {variant} | {r['score']} | {r['lcp']:.1f} | {r['cls']:.3f} | {r['tbt']:.0f} "
              f"| {r['cold']:.0f} | {r['repeat']:.1f} |")
    scores = [r["score"] for (_, v), r in results.items() if v == "project"]
    base = [r["score"] for (_, v), r in results.items() if v != "project"]
    cold = [r["cold"] for (_, v), r in results.items() if v == "project"]
    cold_base = [r["cold"] for (_, v), r in results.items() if v != "project"]
    if scores and base:
        print(f"\nmedian score {statistics.median(scores)} vs {statistics.median(base)}; "
              f"cold bytes {sum(cold) / sum(cold_base):.2f}x the baseline's")


if __name__ == "__main__":
    main()
