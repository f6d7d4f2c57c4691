"""Reading postings over real HTTP from a local site: JSON-LD and fallbacks, redirects through the
guard, and the limits (private addresses, size, time, content type)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automation.postings import MAX_DESCRIPTION_CHARS, PinnedResolver, PostingFetchError, fetch_posting, parse_posting
from automation.urls import Ats, CheckedUrl
from tests.fakes.postings_site import COMPANY, TITLE, ConnectionTrap, PostingsSite

LOCAL = ["127.0.0.1"]


@pytest_asyncio.fixture
async def site() -> AsyncIterator[PostingsSite]:
    async with PostingsSite() as running:
        yield running


async def test_json_ld_posting_gives_title_company_location_and_plain_description(site):
    posting = await fetch_posting(site.url_for("/jsonld"), allow_hosts=LOCAL)

    assert posting.title == TITLE
    assert posting.company == COMPANY
    assert posting.location == "Berlin, DE"
    assert posting.description.startswith("Build rockets & ground systems.")
    assert "Python" in posting.description and "<" not in posting.description
    assert posting.final_url == site.url_for("/jsonld")
    assert posting.ats is None


async def test_graph_with_organisation_reference_and_remote_locations(site):
    posting = await fetch_posting(site.url_for("/graph"), allow_hosts=LOCAL)

    assert posting.title == "Data Engineer"
    assert posting.company == "Globex Corporation"
    assert posting.location == "Lisbon, Portugal; Porto, Portugal; Remote (Portugal)"
    assert posting.description == "Own our pipelines."


async def test_json_ld_list_with_company_as_plain_string(site):
    posting = await fetch_posting(site.url_for("/list"), allow_hosts=LOCAL)

    assert (posting.title, posting.company, posting.location) == ("Site Reliability Engineer", "Initech", "Austin, TX")
    assert posting.description == "Keep the TPS reports flowing."


@pytest.mark.parametrize(
    ("path", "title", "company", "description"),
    [
        ("/og", "Platform Engineer at Hooli", "Hooli", "Build the platform everyone builds on."),
        ("/title", "Office Manager & Events Lead", None, "About the role\n\nKeep the office running."),
        ("/h1", "Barista (part-time)", None, "Logo\n\nBarista (part-time)\n\nCoffee, lots of it."),
    ],
)
async def test_pages_without_json_ld_fall_back_to_og_title_then_title_then_h1(site, path, title, company, description):
    posting = await fetch_posting(site.url_for(path), allow_hosts=LOCAL)

    assert (posting.title, posting.company, posting.location) == (title, company, None)
    assert posting.description == description


async def test_ats_is_recognised_from_markers_in_an_employer_page(site):
    posting = await fetch_posting(site.url_for("/embedded"), allow_hosts=LOCAL)

    assert posting.ats is Ats.GREENHOUSE


async def test_declared_charset_is_honoured(site):
    posting = await fetch_posting(site.url_for("/latin1"), allow_hosts=LOCAL)

    assert posting.title == "Entwickler (m/w/d) in Zürich – Grüezi AG"


async def test_redirect_chain_is_followed_hop_by_hop(site):
    posting = await fetch_posting(site.url_for("/chain/3"), allow_hosts=LOCAL)

    assert posting.title == TITLE
    assert posting.final_url == site.url_for("/jsonld")
    assert site.requests == ["/chain/3", "/chain/2", "/chain/1", "/jsonld"]


async def test_endless_redirects_stop_after_five(site):
    with pytest.raises(PostingFetchError, match="redirected more than 5 times"):
        await fetch_posting(site.url_for("/loop"), allow_hosts=LOCAL)

    assert site.requests == ["/loop"] * 6


async def test_redirect_to_cloud_metadata_is_refused(site):
    start = site.url_for("/redirect?to=http://169.254.169.254/latest/meta-data/iam/")

    with pytest.raises(PostingFetchError, match=r"redirects to a link that was refused.*cloud-metadata"):
        await fetch_posting(start, allow_hosts=LOCAL)

    assert site.requests == ["/redirect?to=http://169.254.169.254/latest/meta-data/iam/"]


async def test_redirect_to_a_private_address_is_refused_before_any_connection(site):
    # Something really listens at the private address: the refusal must come before connecting to it.
    async with ConnectionTrap(host="127.0.0.2") as trap:
        with pytest.raises(PostingFetchError, match="loopback address"):
            await fetch_posting(site.url_for(f"/redirect?to={trap.url}"), allow_hosts=LOCAL)

    assert trap.connections == 0
    assert site.requests == [f"/redirect?to={trap.url}"]


async def test_private_first_hop_is_refused():
    async with ConnectionTrap(host="127.0.0.2") as trap:
        with pytest.raises(PostingFetchError, match="loopback address"):
            await fetch_posting(trap.url)

    assert trap.connections == 0


@pytest.mark.parametrize("path", ["/big?bytes=50000", "/big-stream?bytes=50000"])
async def test_oversized_pages_are_refused(site, path):
    with pytest.raises(PostingFetchError, match="larger than 10 kB"):
        await fetch_posting(site.url_for(path), allow_hosts=LOCAL, max_bytes=10_000)


async def test_pages_within_the_limit_are_read_and_long_descriptions_truncated(site):
    posting = await fetch_posting(site.url_for("/big-stream?bytes=9000"), allow_hosts=LOCAL, max_bytes=10_000)

    assert posting.description.startswith("xxx")
    assert len(posting.description) <= MAX_DESCRIPTION_CHARS
    assert posting.description.endswith("…")


async def test_a_page_that_never_finishes_times_out(site):
    with pytest.raises(PostingFetchError, match=r"took longer than 0.3 s"):
        await fetch_posting(site.url_for("/slow"), allow_hosts=LOCAL, timeout_s=0.3)

    assert not site.release.is_set()


@pytest.mark.parametrize(("path", "kind"), [("/pdf", "application/pdf"), ("/json", "application/json")])
async def test_non_html_is_refused(site, path, kind):
    with pytest.raises(PostingFetchError, match=f"leads to {kind}, not a web page"):
        await fetch_posting(site.url_for(path), allow_hosts=LOCAL)


async def test_html_sent_as_octet_stream_is_recognised(site):
    posting = await fetch_posting(site.url_for("/untyped"), allow_hosts=LOCAL)

    assert posting.title == "Barista (part-time)"


@pytest.mark.parametrize(("path", "message"), [("/missing", "answered 404 Not Found"), ("/empty", "empty")])
async def test_error_statuses_and_empty_pages_are_reported(site, path, message):
    with pytest.raises(PostingFetchError, match=message):
        await fetch_posting(site.url_for(path), allow_hosts=LOCAL)


async def test_unreachable_host_is_reported(site):
    port = site.url_for("/").split(":")[2].rstrip("/")
    await site.stop()

    with pytest.raises(PostingFetchError, match=r"could not connect to 127.0.0.1"):
        await fetch_posting(f"http://127.0.0.1:{port}/jsonld", allow_hosts=LOCAL)


async def test_pinned_resolver_connects_only_to_the_checked_address(site):
    """The DNS-rebinding defence: a name is only ever resolved to the address that was checked."""
    resolver = PinnedResolver()
    port = int(site.base_url.rsplit(":", 1)[1])
    resolver.pin(CheckedUrl(url="", canonical="", host="jobs.example", addresses=("127.0.0.1",), port=port))
    connector = aiohttp.TCPConnector(resolver=resolver, use_dns_cache=False, force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get(f"http://jobs.example:{port}/jsonld") as response:
            assert response.status == 200
        with pytest.raises(aiohttp.ClientConnectorDNSError):
            await session.get(f"http://rebound.example:{port}/og")

    assert site.requests == ["/jsonld"]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "@type",
                    "@id",
                    "@graph",
                    "title",
                    "name",
                    "hiringOrganization",
                    "jobLocation",
                    "address",
                    "addressLocality",
                    "addressCountry",
                    "description",
                    "jobLocationType",
                    "applicantLocationRequirements",
                ]
            )
            | st.text(max_size=5),
            children | st.sampled_from(["JobPosting", "TELECOMMUTE", "#org"]),
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(data=JSON, extra=st.text(max_size=60))
def test_any_json_ld_and_markup_gives_a_posting(data, extra):
    script = f'<script type="application/ld+json">{json.dumps(data)}</script>'
    page = f"<html><head>{script}</head><body>{extra}</body></html>"
    posting = parse_posting(page, "https://example.com/jobs/1")

    assert posting.title is None or isinstance(posting.title, str)
    assert isinstance(posting.description, str)


@settings(max_examples=200)
@given(page=st.text(max_size=200))
def test_arbitrary_text_never_raises_anything_but_a_fetch_error(page):
    with contextlib.suppress(PostingFetchError):
        parse_posting(page, "https://example.com/jobs/1")
