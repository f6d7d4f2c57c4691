"""Link canonicalisation and the address guard (no network: literal addresses and allowed hosts only)."""

from __future__ import annotations

import pytest

from automation.urls import UnsafeUrl, canonicalize, check_url


@pytest.mark.parametrize(
    "variant",
    [
        "https://boards.greenhouse.io/acme/jobs/123",
        "HTTPS://Boards.Greenhouse.io/acme/jobs/123/",
        "https://boards.greenhouse.io/acme/jobs/123?utm_source=linkedin&utm_medium=social",
        "https://boards.greenhouse.io/acme/jobs/123?gh_src=abc123#app",
        "https://boards.greenhouse.io:443/acme/jobs/123?ref=board",
    ],
)
def test_tracking_and_case_variants_share_one_canonical_url(variant):
    assert canonicalize(variant) == "https://boards.greenhouse.io/acme/jobs/123"


def test_meaningful_query_parameters_are_kept():
    assert canonicalize("https://acme.com/careers?gh_jid=42&utm_source=x") == "https://acme.com/careers?gh_jid=42"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local or cloud-metadata"),
        ("http://[fd00:ec2::254]/latest", "link-local or cloud-metadata"),
        ("http://127.0.0.1:8080/admin", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://10.0.0.5/jobs", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://172.16.0.1/", "private"),
        ("http://0.0.0.0/", "private or reserved"),
        ("file:///etc/passwd", "Only http and https"),
        ("javascript:alert(1)", "Only http and https"),
        ("ftp://example.com/job", "Only http and https"),
        ("https://user:pw@example.com/job", "user name or password"),
        ("https:///nohost", "no host"),
        ("http://example.com:99999/", "malformed"),
    ],
)
async def test_unsafe_links_are_refused_with_a_reason(url, reason):
    with pytest.raises(UnsafeUrl, match=reason):
        await check_url(url)


async def test_allowed_hosts_may_be_local():
    checked = await check_url("http://127.0.0.1:8000/acme/jobs/1?utm_source=x", allow_hosts=["127.0.0.1"])
    assert checked.canonical == "http://127.0.0.1:8000/acme/jobs/1"
    assert checked.host == "127.0.0.1"


async def test_overlong_links_are_refused():
    with pytest.raises(UnsafeUrl, match="too long"):
        await check_url("https://example.com/" + "a" * 5000)
