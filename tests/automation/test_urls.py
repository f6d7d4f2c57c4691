"""Link canonicalisation (ATS shapes, properties), the not-a-job hint, look-alike hosts and the address
guard (no network: literal addresses and allowed hosts only)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from automation.urls import (
    TRACKING_PARAMS,
    Ats,
    UnsafeUrl,
    ats_for_url,
    canonicalize,
    check_url,
    job_link_hint,
    looks_like_job,
)


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
        ("http://127.0.0.1/admin", "loopback"),
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


# --- known ATS shapes ----------------------------------------------------------------------------

GREENHOUSE = "https://boards.greenhouse.io/acme/jobs/4012345"
LEVER = "https://jobs.lever.co/acme/0b1d2c3e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
ASHBY = "https://jobs.ashbyhq.com/acme/0b1d2c3e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
WORKABLE = "https://apply.workable.com/acme/j/AB12CD34EF"
LINKEDIN = "https://www.linkedin.com/jobs/view/3791234567"


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("https://job-boards.greenhouse.io/acme/jobs/4012345", GREENHOUSE),
        ("https://job-boards.greenhouse.io/Acme/jobs/4012345?gh_src=abc&t=1#app", GREENHOUSE),
        ("http://boards.greenhouse.io/acme/jobs/4012345/", GREENHOUSE),
        ("https://boards.greenhouse.io/embed/job_app?for=acme&token=4012345", GREENHOUSE),
        ("https://job-boards.greenhouse.io/embed/job_app?token=4012345&for=acme&utm_source=x", GREENHOUSE),
        ("https://job-boards.eu.greenhouse.io/acme/jobs/4012345", "https://boards.eu.greenhouse.io/acme/jobs/4012345"),
        ("https://acme.com/careers/job/?gh_jid=4012345&gh_src=x&dept=1", "https://acme.com/careers/job?gh_jid=4012345"),
        ("https://jobs.lever.co/acme/0b1d2c3e-5f6a-4b7c-8d9e-0f1a2b3c4d5e/apply?lever-source=LinkedIn", LEVER),
        ("https://jobs.lever.co/acme/0B1D2C3E-5F6A-4B7C-8D9E-0F1A2B3C4D5E?lever-origin=applied", LEVER),
        ("https://jobs.ashbyhq.com/acme/0b1d2c3e-5f6a-4b7c-8d9e-0f1a2b3c4d5e/application?utm_source=x", ASHBY),
        ("https://jobs.ashbyhq.com/Acme/0b1d2c3e-5f6a-4b7c-8d9e-0f1a2b3c4d5e", ASHBY),
        ("https://apply.workable.com/acme/j/AB12CD34EF/", WORKABLE),
        ("https://apply.workable.com/acme/j/AB12CD34EF/apply/", WORKABLE),
        ("https://acme.workable.com/j/ab12cd34ef", WORKABLE),
        ("https://www.linkedin.com/jobs/view/3791234567/", LINKEDIN),
        ("https://linkedin.com/jobs/view/senior-backend-engineer-at-acme-3791234567?trk=public_jobs&refId=a", LINKEDIN),
        ("https://uk.linkedin.com/jobs/view/senior-backend-engineer-at-acme-3791234567", LINKEDIN),
        ("https://www.linkedin.com/comm/jobs/view/3791234567?trackingId=abc", LINKEDIN),
        ("https://www.linkedin.com/jobs/collections/recommended/?currentJobId=3791234567&eBP=x", LINKEDIN),
        ("https://www.linkedin.com/jobs/search/?currentJobId=3791234567&keywords=python", LINKEDIN),
    ],
)
def test_known_ats_links_reached_different_ways_are_one_url(variant, canonical):
    assert canonicalize(variant) == canonical


@pytest.mark.parametrize(
    ("url", "ats"),
    [
        (GREENHOUSE, Ats.GREENHOUSE),
        ("https://acme.com/careers?gh_jid=42", Ats.GREENHOUSE),
        (LEVER, Ats.LEVER),
        (ASHBY, Ats.ASHBY),
        (WORKABLE, Ats.WORKABLE),
        (LINKEDIN, Ats.LINKEDIN),
        ("https://acme.wd5.myworkdayjobs.com/en-US/careers/job/Berlin/Engineer_R123", Ats.WORKDAY),
        ("https://acme.com/careers/engineer", None),
    ],
)
def test_ats_is_recognised_from_the_link(url, ats):
    assert ats_for_url(url) is ats


def test_single_page_routes_in_the_fragment_are_different_jobs():
    first, second = canonicalize("https://careers.acme.com/#/jobs/1"), canonicalize("https://careers.acme.com/#/jobs/2")
    assert first != second
    assert canonicalize("https://careers.acme.com/jobs/1#apply") == "https://careers.acme.com/jobs/1"


def test_repeated_and_unknown_parameters_are_kept_in_order():
    assert canonicalize("https://acme.com/jobs?b=2&utm_campaign=x&a=1&b=3") == "https://acme.com/jobs?b=2&a=1&b=3"


# --- properties ------------------------------------------------------------------------------------

SLUG = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12).filter(lambda s: s.strip("-"))
DIGITS = st.integers(min_value=1, max_value=10**12).map(str)
UUIDS = st.uuids().map(str)
SHORTCODE = st.text("0123456789ABCDEF", min_size=10, max_size=10)
ATS_LINKS = st.one_of(
    st.builds("https://boards.greenhouse.io/{}/jobs/{}".format, SLUG, DIGITS),
    st.builds("https://job-boards.greenhouse.io/embed/job_app?for={}&token={}".format, SLUG, DIGITS),
    st.builds("https://jobs.lever.co/{}/{}/apply".format, SLUG, UUIDS),
    st.builds("https://jobs.ashbyhq.com/{}/{}/application".format, SLUG, UUIDS),
    st.builds("https://apply.workable.com/{}/j/{}/".format, SLUG, SHORTCODE),
    st.builds("https://www.linkedin.com/jobs/view/{}-{}".format, SLUG, DIGITS),
    st.builds("https://www.linkedin.com/jobs/collections/recommended?currentJobId={}".format, DIGITS),
)
PATH_CHARACTERS = st.characters(codec="utf-8", exclude_characters="/?#%&=\\", exclude_categories=["Cs", "Cc", "Z"])
PATH_TEXT = st.text(PATH_CHARACTERS, min_size=1, max_size=8)
QUERY_TEXT = st.text("abcdefghijklmnopqrstuvwxyz0123456789-._~", min_size=1, max_size=8).filter(
    lambda name: not name.lower().startswith("utm_") and name.lower() not in TRACKING_PARAMS
)
GENERIC_LINKS = st.builds(
    lambda scheme, labels, segments, params: (
        f"{scheme}://{'.'.join(labels)}.example/{'/'.join(segments)}"
        + ("?" + "&".join(f"{k}={v}" for k, v in params) if params else "")
    ),
    st.sampled_from(["http", "https"]),
    st.lists(SLUG, min_size=1, max_size=3),
    st.lists(PATH_TEXT, max_size=3),
    st.lists(st.tuples(QUERY_TEXT, QUERY_TEXT), max_size=3),
)
LINKS = ATS_LINKS | GENERIC_LINKS
TRACKING = st.tuples(
    st.sampled_from(sorted(TRACKING_PARAMS)) | st.builds("utm_{}".format, QUERY_TEXT) | st.just("UTM_Source"),
    st.text(max_size=10).map(lambda value: quote(value, safe="")),
)
ANCHOR = st.text(st.characters(codec="ascii", categories=["L", "N"]), max_size=10)


def _with_tracking(url: str, params: list[tuple[str, str]], fragment: str | None) -> str:
    base, _, query = url.partition("?")
    parts = [p for p in query.split("&") if p] + [f"{name}={value}" for name, value in params]
    return base + ("?" + "&".join(parts) if parts else "") + (f"#{fragment}" if fragment is not None else "")


def _recase_host(url: str, flips: list[bool]) -> str:
    scheme, _, rest = url.partition("://")
    host, slash, tail = rest.partition("/")
    recased = "".join(c.upper() if flip else c for c, flip in zip(host, flips + [False] * len(host)))
    return f"{scheme}://{recased}{slash}{tail}"


@given(url=LINKS)
def test_canonicalize_is_idempotent(url):
    once = canonicalize(url)
    assert canonicalize(once) == once


@given(url=LINKS, params=st.lists(TRACKING, max_size=3), fragment=st.none() | ANCHOR, flips=st.lists(st.booleans()))
def test_tracking_parameters_anchors_and_host_case_never_change_the_result(url, params, fragment, flips):
    noisy = _recase_host(_with_tracking(url, params, fragment), flips)
    assert canonicalize(noisy) == canonicalize(url)


# --- clearly not a job ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("https://cdn.acme.com/banners/hiring.PNG", "image"),
        ("https://acme.com/media/team.jpeg?w=800", "image"),
        ("https://acme.com/video/day-in-the-life.mp4", "video"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "video"),
        ("https://youtu.be/dQw4w9WgXcQ", "video"),
        ("https://www.google.com/search?q=backend+jobs+berlin", "search results"),
        ("https://www.google.co.uk/search?q=jobs&ibp=htl;jobs", "search results"),
        ("https://www.bing.com/search?q=jobs", "search results"),
        ("https://duckduckgo.com/?q=python+jobs", "search results"),
        ("https://www.linkedin.com/in/ada-lovelace/", "profile"),
        ("https://www.linkedin.com/company/acme", "profile"),
        ("https://x.com/acme", "profile"),
        ("https://twitter.com/acme/", "profile"),
        ("https://github.com/ada", "profile"),
        ("https://www.instagram.com/acme/", "profile"),
        ("https://www.facebook.com/profile.php?id=123", "profile"),
    ],
)
def test_links_that_are_clearly_not_jobs_get_a_hint(url, hint):
    assert not looks_like_job(url)
    assert hint in job_link_hint(url)


@pytest.mark.parametrize(
    "url",
    [
        GREENHOUSE,
        LINKEDIN,
        "https://bit.ly/3xYzAbC",
        "https://lnkd.in/eAbC123",
        "https://t.co/AbCdEf",
        "https://careers.unknown-startup.io/open-roles/7",
        "https://acme.com/jobs/backend-engineer.pdf",
        "https://acme.com/jobs/engineer.html",
        "https://x.com/acme/status/1790000000000000000",
        "https://github.com/acme/jobs",
        "https://www.google.com/about/careers/applications/jobs/results/123-software-engineer",
        "https://duckduckgo.com/about",
        "https://acme.com/",
        "not a url",
    ],
)
def test_unknown_and_possibly_redirecting_links_count_as_jobs(url):
    assert looks_like_job(url)
    assert job_link_hint(url) is None


# --- international host names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://boards.greenh\u043euse.io/acme/jobs/1", "mixes Cyrillic and Latin letters"),  # Cyrillic 'о'  # noqa: RUF003
        ("https://boards.xn--greenhuse-52h.io/acme/jobs/1", "mixes Cyrillic and Latin letters"),  # the same, punycode
        ("https://p\u0430ypal.com/careers", "mixes Cyrillic and Latin letters"),
        ("https://\u03bfpenai.com/careers", "mixes Greek and Latin letters"),
        ("https://\u0430\u0440\u0440\u04cf\u0435.com/jobs", "Cyrillic letters that look like Latin"),  # "аррӏе"  # noqa: RUF003
        ("https://xn--80ak6aa92e.com/jobs", "Cyrillic letters that look like Latin"),
        ("https://xn--zzzzzz.com/jobs", "not valid"),
    ],
)
async def test_look_alike_host_names_are_refused(url, reason):
    # No allow-list and no DNS in these tests: the refusal must come before any lookup.
    with pytest.raises(UnsafeUrl, match=reason):
        await check_url(url)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://B\u00fccher.example/jobs/1", "xn--bcher-kva.example"),
        ("https://\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444/jobs/1", "xn--e1afmkfd.xn--p1ai"),
        ("https://\u65e5\u672c\u8a9e\u30c9\u30e1\u30a4\u30f3.jp/jobs/1", "xn--eckwd4c7c5976acvb2w6i.jp"),
        ("https://xn--bcher-kva.example/jobs/1", "xn--bcher-kva.example"),
    ],
)
async def test_single_script_international_hosts_are_allowed_in_punycode(url, host):
    checked = await check_url(url, allow_hosts=[host])
    assert checked.host == host
    assert checked.url == f"https://{host}/jobs/1"
    assert checked.canonical == f"https://{host}/jobs/1"


async def test_allow_list_entries_may_be_written_in_unicode():
    checked = await check_url("https://b\u00fccher.example/jobs/1", allow_hosts=["B\u00fccher.example"])
    assert checked.host == "xn--bcher-kva.example"


async def test_checked_addresses_are_returned_for_pinning():
    checked = await check_url("https://93.184.215.14/jobs/1")
    assert checked.addresses == ("93.184.215.14",)
    assert checked.port == 443


@pytest.mark.parametrize(
    "url",
    [
        "http://100.64.0.1/jobs",  # carrier-grade NAT: not private, not global either
        "http://100.127.255.254/",
        "http://192.0.0.1/",  # IETF protocol assignments
        "http://198.18.0.1/",  # benchmarking
        "http://192.0.2.10/",  # documentation
        "http://240.0.0.1/",  # reserved
        "http://[2001:db8::1]/",  # IPv6 documentation
        "http://[fc00::1]/",  # unique local
        "http://[fe80::1]/",  # link-local
        "http://[ff02::1]/",  # multicast (is_global is True for it)
        "http://[2001::1]/",  # Teredo
        "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
        "http://[64:ff9b::6440:1]/",  # NAT64 of 100.64.0.1
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "http://[::ffff:100.64.0.1]/",  # IPv4-mapped CGNAT
        "http://[::]/",
    ],
)
async def test_every_non_global_address_is_refused(url):
    with pytest.raises(UnsafeUrl, match="Nyx will not open"):
        await check_url(url)


@pytest.mark.parametrize("url", ["http://1.1.1.1/", "https://[2606:4700:4700::1111]/"])
async def test_global_addresses_pass(url):
    assert (await check_url(url)).addresses


@pytest.mark.parametrize("url", ["https://93.184.215.14:8443/jobs/1", "http://1.1.1.1:6379/", "http://1.1.1.1:22/"])
async def test_public_hosts_are_opened_on_web_ports_only(url):
    with pytest.raises(UnsafeUrl, match="not a web port"):
        await check_url(url)


async def test_allowed_hosts_may_use_any_port():
    checked = await check_url("http://127.0.0.1:8080/jobs/1", allow_hosts=["127.0.0.1"])
    assert checked.port == 8080


async def test_both_guards_apply_the_same_port_policy():
    from automation.egress import EgressProxy

    proxy = EgressProxy(allow_hosts=["127.0.0.1"])
    for host, port in (("1.1.1.1", 8443), ("1.1.1.1", 22)):
        with pytest.raises(UnsafeUrl, match="not a web port") as from_proxy:
            await proxy.route(host, port)
        with pytest.raises(UnsafeUrl, match="not a web port") as from_link:
            await check_url(f"http://{host}:{port}/")
        assert str(from_proxy.value) in str(from_link.value)
    assert await proxy.route("127.0.0.1", 8080) == ("127.0.0.1",)
    assert (await check_url("http://127.0.0.1:8080/", allow_hosts=["127.0.0.1"])).port == 8080
