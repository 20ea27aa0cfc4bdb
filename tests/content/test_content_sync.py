"""The website sync against the fixture site on 127.0.0.1: first run, second run, failures."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

import content_fixture_site as fixture
from content import SiteConfigError, SyncBusy
from content.store import ContentStore
from content.sync import USER_AGENT, sync_site
from queue_server.ops.cli import cli

ARTICLE_PATHS = [fixture.A1_PATH, fixture.A2_PATH, fixture.A3_PATH, fixture.A4_PATH, fixture.A5_PATH,
                 fixture.A6_PATH]


def _expected(site, fields: dict) -> dict:
    expected = dict(fields)
    if "attachments" in expected:
        expected["attachments"] = [dict(a, url=site.url + a["url"]) for a in expected["attachments"]]
    return expected


def test_first_run_extracts_every_field_and_records_failures(content_store, county_site, tmp_path):
    report = sync_site(content_store, fixture.site_toml(tmp_path, county_site))

    assert sorted(item["url"] for item in report.new) == sorted(county_site.url + p for p in ARTICLE_PATHS)
    assert report.changed == [] and report.unchanged == 0
    assert report.list_pages == 3
    for path, fields in fixture.ARTICLES.items():
        doc = content_store.document_by_url(county_site.url + path)
        for name, value in _expected(county_site, fields).items():
            assert doc[name] == value, (path, name)

    failures = {item["url"].removeprefix(county_site.url): item["reason"] for item in report.failed}
    assert failures == {fixture.MISSING_PATH: "not_found", fixture.SLOW_PATH: "timeout",
                        fixture.TRUNCATED_PATH: "truncated", fixture.PRIVATE_PATH: "robots"}
    # robots.txt was read and obeyed: the forbidden page was never requested
    assert county_site.requests_to("/robots.txt")
    assert county_site.requests_to(fixture.PRIVATE_PATH) == []
    # retried once after the timeout and the cut-off transfer, never after the 404
    assert len(county_site.requests_to(fixture.TRUNCATED_PATH)) == 2
    assert len(county_site.requests_to(fixture.MISSING_PATH)) == 1
    # every request names govhall
    assert {entry.headers["user-agent"] for entry in county_site.log} == {USER_AGENT}

    runs = content_store.sync_runs()
    assert runs[0]["status"] == "done" and runs[0]["new"] == 6 and runs[0]["failed"] == 4
    assert "页面不存在" in report.summary() and "失败 4" in report.summary()


def test_second_run_is_conditional_and_picks_up_the_changed_page(content_store, county_site, tmp_path):
    site_file = fixture.site_toml(tmp_path, county_site)
    sync_site(content_store, site_file)
    version_after_first = content_store.version()
    county_site.put(fixture.A5_PATH, fixture.A5_V2)
    county_site.clear_log()

    report = sync_site(content_store, site_file)

    assert report.new == []
    assert [item["url"] for item in report.changed] == [county_site.url + fixture.A5_PATH]
    assert report.unchanged == 5
    # every known page was asked for conditionally, and only the changed one came in full
    for path in fixture.LIST_PATHS + ARTICLE_PATHS:
        (request,) = county_site.requests_to(path)
        assert request.headers.get("if-none-match"), path
        assert request.headers.get("if-modified-since"), path
        assert request.status == (200 if path == fixture.A5_PATH else 304), path
    assert report.not_modified == 8

    changed = content_store.document_by_url(county_site.url + fixture.A5_PATH)
    assert "4月8日起恢复正常办公" in changed["body"] and changed["validity"] == "失效"
    since = content_store.changes_since(version_after_first)
    assert [d["source_url"] for d in since["documents"]] == [county_site.url + fixture.A5_PATH]
    assert since["documents"][0]["validity"] == "失效"


def test_a_site_without_validators_is_skipped_by_content_hash(content_store, county_site, tmp_path):
    for path in ARTICLE_PATHS:
        response = county_site.responses[path]
        county_site.put(path, response.body, response.content_type, validators=False)
    site_file = fixture.site_toml(tmp_path, county_site)
    sync_site(content_store, site_file)
    version = content_store.version()

    report = sync_site(content_store, site_file)

    assert report.new == [] and report.changed == [] and report.unchanged == 6
    assert content_store.version() == version
    assert content_store.changes_since(version)["documents"] == []


def test_pages_are_found_without_patterns(content_store, county_site, tmp_path):
    report = sync_site(content_store, fixture.site_toml(tmp_path, county_site, patterns=False))
    assert sorted(item["url"] for item in report.new) == sorted(county_site.url + p for p in ARTICLE_PATHS)


def test_requests_are_spaced_by_the_delay(content_store, county_site, tmp_path):
    site_file = fixture.site_toml(tmp_path, county_site)
    text = open(site_file, encoding="utf-8").read().replace("delay_seconds = 0", "delay_seconds = 0.25")
    open(site_file, "w", encoding="utf-8").write(text)
    pauses = []
    sync_site(content_store, site_file, sleep=pauses.append)
    assert len(pauses) >= 10
    assert all(0 < pause <= 0.25 for pause in pauses if pause != 0.01)  # 0.01: the retry backoff


def test_a_second_run_is_refused_while_one_is_running(content_store, county_site, tmp_path):
    content_store.start_sync_run("另一次同步")
    with pytest.raises(SyncBusy):
        sync_site(content_store, fixture.site_toml(tmp_path, county_site))


@pytest.mark.parametrize("text, message", [
    ("start_urls = []", "start_urls"),
    ('start_urls = ["ftp://x"]', "start_urls"),
    ('start_urls = ["http://127.0.0.1/"]\narticle_pattern = "("', "article_pattern"),
    ('start_urls = ["http://127.0.0.1/"]\nspeed = 3', "speed"),
    ("start_urls = [", "格式错误"),
])
def test_bad_site_descriptions_are_explained(content_store, tmp_path, text, message):
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SiteConfigError, match=message):
        sync_site(content_store, path)


# --- robots.txt: a ban, no rules, or a site that cannot be reached --------------------

def test_robots_txt_is_retried_like_any_request(content_store, county_site, tmp_path):
    county_site.failing["/robots.txt"] = [503]
    report = sync_site(content_store, fixture.site_toml(tmp_path, county_site))
    assert [entry.status for entry in county_site.requests_to("/robots.txt")] == [503, 200]
    assert len(report.new) == 6
    # the rules read on the second try are obeyed
    assert {item["reason"] for item in report.failed if item["url"].endswith(fixture.PRIVATE_PATH)} == {"robots"}


def test_robots_txt_still_failing_means_the_site_is_unreachable_not_a_ban(content_store, county_site, tmp_path):
    county_site.failing["/robots.txt"] = [503, 503, 503]
    report = sync_site(content_store, fixture.site_toml(tmp_path, county_site))  # retries = 1
    assert len(county_site.requests_to("/robots.txt")) == 2
    assert county_site.requests_to(fixture.LIST_PATHS[0]) == []  # nothing crawled without the rules
    (failure,) = report.failed
    assert failure["reason"] == "http_error"
    assert failure["message"] == "网站返回错误：HTTP 503（读取 robots.txt 时）"
    assert "不允许" not in report.summary()


def test_a_missing_robots_txt_means_no_rules(content_store, county_site, tmp_path):
    del county_site.responses["/robots.txt"]
    report = sync_site(content_store, fixture.site_toml(tmp_path, county_site))
    assert [entry.status for entry in county_site.requests_to("/robots.txt")] == [404]
    assert "robots" not in {item["reason"] for item in report.failed}
    assert county_site.requests_to(fixture.PRIVATE_PATH)  # nothing forbids it now
    assert len(report.new) == 7


def test_a_robots_txt_behind_a_login_forbids_everything(content_store, county_site, tmp_path):
    county_site.failing["/robots.txt"] = [403]
    report = sync_site(content_store, fixture.site_toml(tmp_path, county_site))
    assert [item["reason"] for item in report.failed] == ["robots"]
    assert county_site.requests_to(fixture.LIST_PATHS[0]) == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_site_is_reported_as_unreachable(hall_config, tmp_path):
    site_file = tmp_path / "site.toml"
    site_file.write_text(f'''name = "断网的站点"
start_urls = ["http://127.0.0.1:{_closed_port()}/zwgk/index.html"]
delay_seconds = 0
timeout_seconds = 0.5
retries = 2
backoff_seconds = 0.01
''', encoding="utf-8")
    with ContentStore(tmp_path / "content.db") as store:
        report = sync_site(store, site_file)
    assert report.requests == 3  # robots.txt tried three times (retries = 2), then nothing else
    (failure,) = report.failed
    assert failure["reason"] == "connection" and failure["message"].startswith("无法连接网站")
    assert "（读取 robots.txt 时）" in failure["message"]

    result = CliRunner().invoke(cli, ["--config", str(Path(hall_config["_base_dir"]) / "govhall.toml"), "sync",
                                      "--site", str(site_file)])
    assert "无法连接网站" in result.output and "不允许抓取" not in result.output


def test_a_run_that_brings_many_documents_ends_by_optimizing_the_search_index(content_store, county_site, tmp_path,
                                                                              monkeypatch):
    import content.sync

    monkeypatch.setattr(content.sync, "BULK_CHANGE", 6)  # the fixture site has six articles
    statements = []
    content_store.db.conn.set_trace_callback(statements.append)
    site_file = fixture.site_toml(tmp_path, county_site)
    sync_site(content_store, site_file)
    first = [s for s in statements if "'optimize'" in s]
    statements.clear()
    sync_site(content_store, site_file)  # nothing new: nothing to merge
    content_store.db.conn.set_trace_callback(None)
    assert len(first) == 2 and not [s for s in statements if "'optimize'" in s]
    assert [hit["title"] for hit in content_store.search("最低生活保障")][:1] == [fixture.A1_FIELDS["title"]]
