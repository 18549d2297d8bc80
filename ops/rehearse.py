"""Production rehearsal on one machine: ops/deploy/README.md followed step by step, with real processes.

    .venv/bin/python ops/rehearse.py [--port-base 8610] [--keep]

Everything lives under .data/rehearsal/ (wiped first) and on ports port-base … +4; nothing else of
the machine is touched, and every process started is stopped at the end (--keep leaves the stack up
until Enter is pressed). What it does, with the guide's step numbers:

  1  the packages are there (nginx, redis-server, PostgreSQL 15, age, rclone)
  4  a Debian PostgreSQL 15 cluster with the guide's settings (conf.d block) and its SQL block verbatim:
     the owner and app roles, the database, default privileges; the env files made with the guide's sed
  5  Redis from the shipped ops/redis.conf (only port, dir, pidfile and logfile overridden)
  6  migrate as the owner, collectstatic, check --deploy, as the units' user would (production settings)
  7  gunicorn, the RQ worker and the cron scheduler started with the units' own ExecStart lines
     (paths and port substituted); the units checked with systemd-analyze verify
  8  nginx with the shipped config (host name, ports, certificate and paths substituted; a self-signed
     certificate instead of certbot)
  9  the smoke test through nginx over HTTPS: health, login, a sale, an M-Pesa callback (its outbox
     notification run by the worker), an export download, a background export's file through the
     download view (X-Accel-Redirect) and never straight from /media/private/, the public site, static files compressed
     with long cache headers, /health/deps/ from localhost
Prints each step with its time; exits 1 at the first failure, with the log files' tails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "ops" / "deploy"
GUIDE = DEPLOY / "README.md"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
HOST = "rehearsal.biashara.test"  # a public-looking name: production refuses local callback hosts
PASSWORD = "rehearsal-pass-2026"


class Failed(RuntimeError):
    pass


def step(name):
    print(f"[rehearse] {time.strftime('%H:%M:%S')} {name}", flush=True)


def sh(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode:
        raise Failed(f"{' '.join(map(str, command))[:200]} exited {result.returncode}:\n{result.stdout[-2000:]}"
                     f"\n{result.stderr[-2000:]}")
    return result.stdout


def guide_block(after: str, opener: str, closer: str) -> str:
    """The text of the guide between the first ``opener`` line after ``after`` and ``closer``."""
    text = GUIDE.read_text()
    start = text.index(opener, text.index(after)) + len(opener)
    return text[start:text.index(closer, start)].strip("\n")


def unit_exec_start(unit: str) -> list[str]:
    text = (DEPLOY / unit).read_text().replace("\\\n", " ")
    return shlex.split(re.search(r"^ExecStart=(.*)$", text, re.M).group(1))


class Rehearsal:
    def __init__(self, port_base: int):
        self.base = ROOT / ".data" / "rehearsal"
        self.pg_port, self.redis_port, self.web_port = port_base, port_base + 1, port_base + 2
        self.http_port, self.https_port = port_base + 3, port_base + 4
        self.children: list[tuple[str, subprocess.Popen, Path]] = []
        self.pgdata = self.base / "postgres"
        self.var = self.base / "var-lib-biashara"

    # --- helpers --------------------------------------------------------------------------------
    def spawn(self, name, command, env=None):
        log = self.base / "logs" / f"{name}.log"
        handle = open(log, "w")
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.children.append((name, process, log))
        return process

    def app_env(self, owner=False) -> dict:
        env = dict(os.environ)
        for line in (self.base / "etc" / "biashara.env").read_text().splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                env[key] = value
        if owner:
            env.update(line.split("=", 1) for line in (self.base / "etc" / "owner.env").read_text().splitlines())
        env.update(DJANGO_SETTINGS_MODULE="backoffice.settings.production", TZ="Africa/Nairobi")
        return env

    def manage(self, *args, owner=False, stdin=None):
        return sh([sys.executable, "manage.py", *args], cwd=ROOT, env=self.app_env(owner), input=stdin)

    def shell_json(self, code):
        """Run code in `manage.py shell` (production settings, app role); its last line is JSON."""
        return json.loads(self.manage("shell", "--no-imports", "-c", code).strip().splitlines()[-1])

    def psql(self, sql, *variables, database="postgres"):
        command = ["runuser", "-u", "postgres", "--", str(PG_BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                   "-h", str(self.base / "pgsock"), "-p", str(self.pg_port), "-d", database]
        for variable in variables:
            command += ["-v", variable]
        return sh(command, input=sql)

    def wait_http(self, url, seconds=90, **kwargs):
        deadline = time.monotonic() + seconds
        while True:
            try:
                return requests.get(url, timeout=5, allow_redirects=False, **kwargs)
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                self.check_children()
                time.sleep(0.3)

    def check_children(self):
        for name, process, log in self.children:
            if process.poll() is not None:
                raise Failed(f"{name} exited {process.returncode}:\n{log.read_text()[-3000:]}")

    # --- the guide, step by step -----------------------------------------------------------------
    def packages(self):
        step("1. packages: nginx, redis-server, PostgreSQL 15, age, rclone")
        missing = [b for b in ("nginx", "redis-server", "age", "rclone") if not shutil.which(b)]
        if missing or not (PG_BIN / "initdb").exists():
            raise Failed(f"missing {missing or 'PostgreSQL 15'}: apt-get install -y nginx redis-server "
                         f"postgresql-15 age rclone")

    def postgres(self):
        step("4. PostgreSQL 15: the guide's settings, roles, database and default privileges")
        self.pgdata.mkdir(parents=True)
        (self.base / "pgsock").mkdir()
        shutil.chown(self.pgdata, "postgres")
        shutil.chown(self.base / "pgsock", "postgres")
        os.chmod(self.pgdata, 0o700)
        sh(["runuser", "-u", "postgres", "--", str(PG_BIN / "initdb"), "-D", str(self.pgdata), "-U", "postgres",
            "--auth-local=peer", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"])
        settings = guide_block("## 4. PostgreSQL", "biashara.conf <<'EOF'\n", "\nEOF")
        with open(self.pgdata / "postgresql.conf", "a") as conf:
            conf.write(f"\n# ops/deploy/README.md step 4\n{settings}\n")
        sh(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata), "-w", "-l",
            str(self.pgdata / "server.log"), "-o",
            f"-p {self.pg_port} -k {self.base / 'pgsock'} -c listen_addresses=127.0.0.1", "start"])
        owner_pw, app_pw = uuid.uuid4().hex, uuid.uuid4().hex
        self.psql(guide_block("## 4. PostgreSQL", "<<'SQL'\n", "\nSQL"), f"owner_pw={owner_pw}", f"app_pw={app_pw}")

        etc = self.base / "etc"
        etc.mkdir()
        env = (DEPLOY / "biashara.env.example").read_text()
        env = re.sub(r"^DJANGO_SECRET_KEY=.*$", f"DJANGO_SECRET_KEY={uuid.uuid4().hex * 2}", env, flags=re.M)
        env = env.replace("biashara_app:CHANGE-ME@", f"biashara_app:{app_pw}@")  # the guide's sed
        env = env.replace("127.0.0.1:5432", f"127.0.0.1:{self.pg_port}").replace("127.0.0.1:6379",
                                                                                f"127.0.0.1:{self.redis_port}")
        env = env.replace("/var/lib/biashara", str(self.var)).replace("biashara.example.co.ke", HOST)
        self.callback_token = secrets.token_urlsafe(32)
        self.health_token = secrets.token_urlsafe(32)
        env = re.sub(r"^HEALTH_TOKEN=.*$", f"HEALTH_TOKEN={self.health_token}", env, flags=re.M)
        env += (f"\n# rehearsal: Daraja's sandbox settings (never called here) and the callback token\n"
                f"MPESA_MODE=sandbox\nMPESA_CONSUMER_KEY=rehearsal\nMPESA_CONSUMER_SECRET=rehearsal\n"
                f"MPESA_SHORTCODE=600984\nMPESA_PASSKEY=rehearsal-passkey\n"
                f"MPESA_CALLBACK_TOKEN={self.callback_token}\nMPESA_CALLBACK_BASE_URL=https://{HOST}\n"
                f"# eTIMS: KRA's sandbox (unreachable here: a sale would wait as 'eTIMS pending')\n"
                f"ETIMS_MODE=sandbox\nETIMS_TIN=P051234567X\nETIMS_DEVICE_SERIAL=REHEARSAL/0\n"
                f"# SMS: Africa's Talking's sandbox (unreachable here: texts wait in the outbox)\n"
                f"SMS_MODE=sandbox\nAT_USERNAME=sandbox\nAT_API_KEY=rehearsal-api-key-0123456789\n"
                f"SMS_CALLBACK_TOKEN={secrets.token_urlsafe(32)}\n")
        (etc / "biashara.env").write_text(env)
        (etc / "owner.env").write_text(
            f"DATABASE_URL=postgresql://biashara_owner:{owner_pw}@127.0.0.1:{self.pg_port}/biashara\n")

    def redis(self):
        step("5. Redis from ops/redis.conf")
        data = self.base / "redis"
        data.mkdir()
        conf = data / "redis.conf"
        conf.write_text(f"include {ROOT / 'ops' / 'redis.conf'}\nport {self.redis_port}\ndir {data}\n"
                        f"pidfile {data / 'redis.pid'}\nlogfile \"\"\ndaemonize no\n")
        self.spawn("redis", ["redis-server", str(conf)])
        deadline = time.monotonic() + 20
        while subprocess.run(["redis-cli", "-p", str(self.redis_port), "ping"], capture_output=True).returncode:
            if time.monotonic() > deadline:
                raise Failed("Redis did not start")
            self.check_children()
            time.sleep(0.2)
        policy = sh(["redis-cli", "-p", str(self.redis_port), "config", "get", "maxmemory-policy"]).split()
        if policy[-1] != "volatile-lru":
            raise Failed(f"maxmemory-policy is {policy[-1]}")

    def django(self):
        step("6. migrate as the owner, collectstatic, check --deploy")
        for path in (self.var / "static", self.var / "media"):
            path.mkdir(parents=True)
        self.manage("migrate", "--noinput", owner=True)
        self.manage("collectstatic", "--noinput")
        self.manage("check", "--deploy", "--fail-level", "WARNING")
        # the guide's `bo createsuperuser`, and the owner entering items: the demo catalogue here
        self.manage("shell", "-c", f"from fixtures.demo import seed; seed({PASSWORD!r})")

    def units(self):
        step("7. gunicorn, worker and cron from the units' ExecStart; systemd-analyze verify")
        venv = Path(sys.executable).parent.parent

        def local(command):
            return [part.replace("/srv/biashara/.venv", str(venv)).replace("/srv/biashara", str(ROOT))
                    .replace("127.0.0.1:8000", f"127.0.0.1:{self.web_port}") for part in command]

        self.spawn("web", local(unit_exec_start("biashara-web.service")), env={**self.app_env(), "PYTHONUNBUFFERED": "1"})
        self.spawn("worker", local(unit_exec_start("biashara-worker.service")), env=self.app_env())
        self.spawn("cron", local(unit_exec_start("biashara-cron.service")), env=self.app_env())
        if shutil.which("systemd-analyze"):
            units = self.base / "units"
            units.mkdir()
            for unit in DEPLOY.glob("biashara-*"):
                (units / unit.name).write_text(unit.read_text().replace("/srv/biashara/.venv", str(venv))
                                               .replace("/srv/biashara", str(ROOT)))
            result = subprocess.run(["systemd-analyze", "verify", *sorted(map(str, units.glob("*")))],
                                    capture_output=True, text=True)
            problems = [line for line in (result.stdout + result.stderr).splitlines()
                        if line.strip() and "Failed to resolve user" not in line and "No such file" not in line
                        and "not a valid" not in line.lower() and "biashara-" in line]
            if problems:
                raise Failed("systemd-analyze verify:\n" + "\n".join(problems))
            print("           systemd-analyze verify: no problem in the units", flush=True)
        else:
            print("           systemd-analyze not installed: units not verified", flush=True)

    def nginx(self):
        step("8. nginx with ops/deploy/nginx.conf (self-signed certificate instead of certbot)")
        tls = self.base / "tls"
        tls.mkdir()
        sh(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={HOST}",
            "-addext", f"subjectAltName=DNS:{HOST}", "-keyout", str(tls / "privkey.pem"),
            "-out", str(tls / "fullchain.pem")])
        (self.base / "www").mkdir()
        site = (DEPLOY / "nginx.conf").read_text()
        site = site.replace("biashara.example.co.ke", HOST)
        site = site.replace(f"/etc/letsencrypt/live/{HOST}/", f"{tls}/")
        site = re.sub(r"listen (\[::\]:)?80\b", lambda m: f"listen {m.group(1) or ''}{self.http_port}", site)
        site = re.sub(r"listen (\[::\]:)?443\b", lambda m: f"listen {m.group(1) or ''}{self.https_port}", site)
        site = site.replace("/var/lib/biashara", str(self.var)).replace("/var/www/html", str(self.base / "www"))
        site = site.replace("127.0.0.1:8000", f"127.0.0.1:{self.web_port}")
        conf = self.base / "nginx"
        conf.mkdir()
        (conf / "biashara.conf").write_text(site)
        (conf / "nginx.conf").write_text(
            f"worker_processes 1;\npid {conf / 'nginx.pid'};\nerror_log {conf / 'error.log'};\n"
            f"user root;\nevents {{ worker_connections 256; }}\n"
            f"http {{\n include /etc/nginx/mime.types;\n access_log {conf / 'access.log'};\n"
            f" client_body_temp_path {conf / 'body'};\n proxy_temp_path {conf / 'proxy'};\n"
            f" fastcgi_temp_path {conf / 'fastcgi'};\n uwsgi_temp_path {conf / 'uwsgi'};\n"
            f" scgi_temp_path {conf / 'scgi'};\n include {conf / 'biashara.conf'};\n}}\n")
        sh(["nginx", "-t", "-c", str(conf / "nginx.conf")])
        self.spawn("nginx", ["nginx", "-c", str(conf / "nginx.conf"), "-g", "daemon off;"])

    def smoke(self):
        step("9. smoke test through nginx over HTTPS")
        base = f"https://127.0.0.1:{self.https_port}"
        session = self.https_session()
        session.headers.update(Referer=f"https://{HOST}/admin/", Origin=f"https://{HOST}")
        checks = {}

        self.wait_http(f"http://127.0.0.1:{self.web_port}/health/", seconds=120, headers={"Host": HOST})
        health = session.get(f"{base}/health/?format=json", timeout=30)
        assert_(health.status_code == 200, f"/health/ through nginx: {health.status_code}")
        redirect = requests.get(f"http://127.0.0.1:{self.http_port}/admin/", headers={"Host": HOST},
                                allow_redirects=False, timeout=10)
        assert_(redirect.status_code == 301 and redirect.headers["Location"].startswith(f"https://{HOST}/"),
                "port 80 must redirect to https")

        page = session.get(f"{base}/admin/login/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        login = session.post(f"{base}/admin/login/", data={"csrfmiddlewaretoken": token, "username": "owner",
                                                           "password": PASSWORD, "next": "/admin/"},
                             allow_redirects=False, timeout=30)
        assert_(login.status_code == 302, f"login answered {login.status_code}")
        dashboard = session.get(f"{base}/admin/", timeout=30)
        assert_(dashboard.status_code == 200 and "Wanjiru" in dashboard.text, "dashboard after login")
        checks["login"] = "owner logged in, dashboard 200"

        item = self.shell_json("import json; from modules.core.inventory.models import Item; "
                               "q = Item.objects.filter(business__code='water', is_active=True, selling_price__gt=0)"
                               ".order_by('pk'); i = q.filter(tracks_stock=False).first() or q.first(); "
                               "print(json.dumps({'id': i.pk}))")
        csrf = session.cookies.get("csrftoken")
        sale = session.post(f"{base}/admin/sales/quick/submit/", timeout=30, headers={"X-CSRFToken": csrf},
                            data=json.dumps({"business": "water", "uuid": str(uuid.uuid4()), "method": "cash",
                                             "lines": [{"item": item["id"], "quantity": 1}]}))
        assert_(sale.status_code == 201, f"sale answered {sale.status_code}: {sale.text[:300]}")
        checks["sale"] = f"receipt {sale.json()['receipt']}"

        stk = self.shell_json(STK_SETUP)
        body = {"Body": {"stkCallback": {
            "MerchantRequestID": stk["merchant"], "CheckoutRequestID": stk["checkout"], "ResultCode": 0,
            "ResultDesc": "The service request is processed successfully.", "CallbackMetadata": {"Item": [
                {"Name": "Amount", "Value": stk["amount"]}, {"Name": "MpesaReceiptNumber", "Value": "RHS1A2B3C4"},
                {"Name": "TransactionDate", "Value": 20261130101500}, {"Name": "PhoneNumber", "Value": 254712345670}]}}}}
        callback = self.https_session().post(f"{base}/payments/mpesa/callback/{self.callback_token}/", json=body,
                                             timeout=30)  # as Safaricom: no cookie, no login
        assert_(callback.status_code == 200, f"callback answered {callback.status_code}: {callback.text[:200]}")
        deadline = time.monotonic() + 60
        while True:
            state = self.shell_json(STK_CHECK.replace("CHECKOUT", stk["checkout"]))
            if state["status"] == "success" and state["pending_outbox"] == 0 and state["notified"]:
                break
            assert_(time.monotonic() < deadline, f"callback not applied or outbox not run by the worker: {state}")
            time.sleep(1)
        checks["callback"] = "M-Pesa callback through nginx settled the request; the worker ran its outbox messages"

        desk = session.get(f"{base}/admin/desk/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', desk.text).group(1)
        export = session.post(f"{base}/admin/desk/", timeout=60, data={
            "csrfmiddlewaretoken": token, "kind": "sales.sales", "business": "", "file_format": "csv"})
        assert_(export.status_code == 200 and "attachment" in export.headers.get("Content-Disposition", "")
                and sale.json()["receipt"] in export.text, f"export answered {export.status_code}")
        checks["export"] = f"{export.headers['Content-Disposition']}, {len(export.content)} bytes"

        ledger = session.post(f"{base}/admin/desk/", timeout=60, allow_redirects=False, data={
            "csrfmiddlewaretoken": token, "kind": "ledger.journal_lines", "business": "", "file_format": "csv"})
        assert_(ledger.status_code == 302, f"background export answered {ledger.status_code}")
        deadline = time.monotonic() + 60
        while True:  # the worker writes the file under MEDIA_ROOT/private/exports
            job = self.shell_json(EXPORT_CHECK)
            if job["status"] == "done":
                break
            assert_(time.monotonic() < deadline, f"background export not done by the worker: {job}")
            time.sleep(1)
        download = session.get(f"{base}/admin/desk/{job['id']}/download/", timeout=30)
        assert_(download.status_code == 200 and "account_code" in download.text.partition("\n")[0]
                and "attachment" in download.headers.get("Content-Disposition", "")
                and "X-Accel-Redirect" not in download.headers
                and "no-store" in download.headers.get("Cache-Control", ""),
                f"download through nginx: {download.status_code} {dict(download.headers)} {download.text[:100]}")
        stranger = self.https_session()  # no login
        refused = {path: stranger.get(f"{base}{path}", timeout=30, allow_redirects=False).status_code for path in (
            f"/media/private/exports/{job['file']}", f"/internal/exports/{job['file']}",
            f"/admin/desk/{job['id']}/download/")}
        assert_(list(refused.values())[:2] == [404, 404] and list(refused.values())[2] == 302,
                f"export file without the view: {refused}")
        assert_(session.get(f"{base}/media/private/exports/{job['file']}", timeout=30).status_code == 404,
                "/media/private/ must answer 404 even to a logged-in owner")
        checks["export file"] = (f"download view {len(download.content)} bytes through X-Accel-Redirect; "
                                 f"direct {refused}")

        public = session.get(f"{base}/", timeout=30)
        assert_(public.status_code == 200, f"public site answered {public.status_code}")
        checks["public site"] = f"/ answered 200, {len(public.content)} bytes"

        manifest = json.loads((self.var / "static" / "staticfiles.json").read_text())["paths"]
        css = max((v for k, v in manifest.items() if k.endswith(".css")),
                  key=lambda v: (self.var / "static" / v).stat().st_size)  # big enough for gzip_min_length
        static = session.get(f"{base}/static/{css}", headers={"Accept-Encoding": "gzip"}, timeout=30)
        assert_(static.status_code == 200 and static.headers.get("Content-Encoding") == "gzip"
                and "immutable" in static.headers.get("Cache-Control", "")
                and "Content-Length" in static.headers,  # the .gz copy from disk (gzip_static), not chunked
                f"static: {static.status_code} {dict(static.headers)}")
        plain = next(k for k, v in manifest.items() if v == css)  # the same file by its unhashed name
        unhashed = session.get(f"{base}/static/{plain}", timeout=30)
        assert_(unhashed.status_code == 200 and "immutable" not in unhashed.headers.get("Cache-Control", ""),
                f"unhashed static: {unhashed.status_code} {dict(unhashed.headers)}")
        checks["static"] = (f"/static/{css}: gzip_static, {static.headers['Cache-Control']}; "
                            f"/static/{plain}: {unhashed.headers.get('Cache-Control')}")

        deps = session.get(f"{base}/health/deps/?format=json", timeout=30,
                           headers={"Authorization": f"Bearer {self.health_token}"})
        assert_(deps.status_code == 200, f"/health/deps/ answered {deps.status_code}: {deps.text[:300]}")
        checks["health/deps"] = deps.json()
        for name, result in checks.items():
            print(f"           {name}: {result}", flush=True)

    def https_session(self) -> requests.Session:
        """Requests to 127.0.0.1 that nginx sees as https://HOST (SNI, Host, certificate)."""
        session = requests.Session()
        session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment replaces `verify`
        adapter = HTTPAdapter()
        adapter.poolmanager.connection_pool_kw.update(server_hostname=HOST, assert_hostname=HOST)
        session.mount("https://", adapter)
        session.verify = str(self.base / "tls" / "fullchain.pem")
        session.headers["Host"] = HOST
        return session

    def stop(self):
        for name, process, _ in reversed(self.children):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for name, process, _ in reversed(self.children):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if (self.pgdata / "postmaster.pid").exists():
            subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata),
                            "-m", "fast", "-w", "stop"], capture_output=True)


STK_SETUP = """
import json, uuid
from django.utils import timezone
from modules.core.businesses.models import Business
from modules.core.payments.models import Invoice, StkRequest
water = Business.objects.get(code='water')
invoice = Invoice.objects.create(business=water, description='Rehearsal invoice', amount=250,
                                 issued_on=timezone.localdate(), customer_phone='254712345670')
stk = StkRequest.objects.create(business=water, document=invoice, phone='254712345670', amount=250,
                                merchant_request_id='m-' + uuid.uuid4().hex[:8],
                                checkout_request_id='ws_CO_' + uuid.uuid4().hex[:12])
print(json.dumps({'merchant': stk.merchant_request_id, 'checkout': stk.checkout_request_id, 'amount': 250}))
"""
STK_CHECK = """
import json
from modules.core.notifications.models import Notification
from modules.core.outbox.models import Message
from modules.core.payments.models import StkRequest
stk = StkRequest.objects.get(checkout_request_id='CHECKOUT')
pending = Message.objects.filter(status='pending').exclude(topic__startswith='etims.')  # KRA's sandbox: unreachable
print(json.dumps({'status': stk.status, 'pending_outbox': pending.count(),
                  'notified': Notification.objects.filter(kind='payments.received').exists()}))
"""


EXPORT_CHECK = """
import json
from pathlib import Path
from modules.core.exports.models import ExportJob
job = ExportJob.objects.filter(kind='ledger.journal_lines').latest('pk')
print(json.dumps({'id': job.pk, 'status': job.status, 'file': Path(job.file_path).name, 'error': job.error}))
"""


def assert_(condition, message):
    if not condition:
        raise Failed(message)


def main(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port-base", type=int, default=int(os.environ.get("REHEARSAL_PORT_BASE", 8610)))
    parser.add_argument("--keep", action="store_true", help="leave the stack up until Enter")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("rehearse: run as root (it runs PostgreSQL as user postgres, as the guide does)", file=sys.stderr)
        return 2
    rehearsal = Rehearsal(args.port_base)
    if rehearsal.base.exists():
        old = rehearsal.pgdata / "postmaster.pid"
        if old.exists():
            subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(rehearsal.pgdata),
                            "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(rehearsal.base)
    (rehearsal.base / "logs").mkdir(parents=True)
    started = time.monotonic()
    try:
        for stage in (rehearsal.packages, rehearsal.postgres, rehearsal.redis, rehearsal.django, rehearsal.units,
                      rehearsal.nginx, rehearsal.smoke):
            stage()
        print(f"[rehearse] passed in {time.monotonic() - started:.0f} s", flush=True)
        if args.keep:
            input(f"https://{HOST}:{rehearsal.https_port}/ (resolve {HOST} to 127.0.0.1); Enter stops it ")
        return 0
    except (Failed, requests.RequestException, AssertionError) as error:
        print(f"[rehearse] FAILED: {error}", file=sys.stderr)
        for name, _, log in rehearsal.children:
            print(f"--- {name} ({log}) ---\n{log.read_text()[-1500:]}", file=sys.stderr)
        return 1
    finally:
        rehearsal.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
