"""`deploy/install.sh --tls server`, run for real into a scratch root: nginx's site for the hall with a
certificate made by openssl, the server told it is reached over HTTPS (public_url, Secure cookies),
and the site accepted by nginx itself (`nginx -t`)."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from deploy.systemd_units import REPO
from deploy.test_install_script import copy_source, run_install, sourced
from queue_server.config import load_config
from queue_server.web.app import secure_cookies

HALL_SERVER = "192.168.10.2"


@pytest.fixture(scope="module")
def installed_with_tls(tmp_path_factory):
    base = tmp_path_factory.mktemp("tls")
    source = copy_source(base / "source")
    root = base / "root"
    run_install(source, "--root", str(root), "--tls", "--server-url", f"http://{HALL_SERVER}:8080", "server")
    return source, root


def openssl(*args: str) -> str:
    result = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_site_proxies_https_to_the_server_and_passes_the_stream_unbuffered(installed_with_tls):
    _, root = installed_with_tls
    enabled = root / "etc/nginx/sites-enabled/govhall"
    assert enabled.is_symlink() and enabled.resolve() == (root / "etc/nginx/sites-available/govhall").resolve()
    site = enabled.read_text(encoding="utf-8")
    assert "@" not in site.replace("$", "")  # every placeholder filled
    assert f"server_name {HALL_SERVER};" in site and "listen 443 ssl default_server;" in site
    assert "ssl_certificate /etc/govhall/tls/govhall.crt;" in site
    assert "ssl_certificate_key /etc/govhall/tls/govhall.key;" in site
    assert "return 301 https://$host$request_uri;" in site
    assert site.count("proxy_pass http://127.0.0.1:8080;") == 2
    stream = site.split("location = /api/v1/stream")[1]
    assert "proxy_buffering off;" in stream and "proxy_read_timeout 1h;" in stream


def test_the_certificate_names_the_server_and_its_key_is_private(installed_with_tls):
    _, root = installed_with_tls
    cert, key = root / "etc/govhall/tls/govhall.crt", root / "etc/govhall/tls/govhall.key"
    text = openssl("x509", "-in", str(cert), "-noout", "-subject", "-ext", "subjectAltName", "-enddate")
    assert f"CN = {HALL_SERVER}" in text and f"IP Address:{HALL_SERVER}" in text
    assert stat.S_IMODE(key.stat().st_mode) & 0o077 == 0
    assert openssl("x509", "-in", str(cert), "-noout", "-pubkey") == openssl("pkey", "-in", str(key), "-pubout")


def test_the_server_is_told_it_is_reached_over_https(installed_with_tls):
    _, root = installed_with_tls
    settings = sourced(root / "etc/govhall/govhall.env")
    assert settings["GOVHALL_SERVER_PUBLIC_URL"] == f"https://{HALL_SERVER}"
    assert settings["GOVHALL_SERVER_SECURE_COOKIES"] == "true"
    config = load_config(root / "etc/govhall/govhall.toml", environ=settings)
    assert config["server"]["public_url"] == f"https://{HALL_SERVER}" and secure_cookies(config) is True


def test_nginx_accepts_the_site(installed_with_tls, tmp_path):
    """`nginx -t` on the written site inside a minimal nginx.conf (the certificate paths pointed into
    the scratch root): what `install.sh` runs on the machine before it reloads nginx."""
    _, root = installed_with_tls
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is a test dependency (Makefile DEBIAN_PACKAGES)"
    site = (root / "etc/nginx/sites-enabled/govhall").read_text(encoding="utf-8")
    (tmp_path / "govhall.site").write_text(site.replace("/etc/govhall/tls/", f"{root}/etc/govhall/tls/"))
    (tmp_path / "nginx.conf").write_text(f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    include {tmp_path}/govhall.site;
}}
""")
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
                             "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr


def test_running_again_keeps_the_certificate_the_browsers_trust(installed_with_tls):
    """A re-run (an upgrade) keeps the certificate: shown here by a dry run over the installed root,
    which decides every step as the real run would and changes nothing."""
    source, root = installed_with_tls
    cert = root / "etc/govhall/tls/govhall.crt"
    before = cert.read_bytes()
    again = run_install(source, "--dry-run", "--root", str(root), "--tls", "--server-url", f"http://{HALL_SERVER}",
                        "server")
    assert "certificate: kept /etc/govhall/tls/govhall.crt" in again.stdout and "openssl req" not in again.stdout
    assert cert.read_bytes() == before


def test_tls_is_for_the_server_role_only():
    result = run_install(REPO, "--dry-run", "--tls", "kiosk", check=False)
    assert result.returncode == 64 and "--tls is for the server role" in result.stderr
