"""Discord webhook client: URL validation, mention blocking, 429/5xx handling, no token leaks."""

import logging
import time

import pytest
import requests
from etsy.discord import (
    ZERO_WIDTH_SPACE,
    DiscordError,
    DiscordRateLimitError,
    DiscordUnknownOutcomeError,
    DiscordWebhook,
    DiscordWebhookGoneError,
    image_embed,
    neutralize_mentions,
    validate_webhook_url,
)

TOKEN = "tOkEn-SeCrEt_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"


@pytest.mark.parametrize("url", [
    f"https://discord.com/api/webhooks/123456789012345678/{TOKEN}",
    f"https://discordapp.com/api/webhooks/1/{TOKEN}",
    f"https://ptb.discord.com/api/v10/webhooks/1/{TOKEN}",
    f"https://canary.discord.com/api/webhooks/1/{TOKEN}/",
    f"  https://discord.com/api/webhooks/1/{TOKEN}  ",
    f"http://127.0.0.1:8765/api/webhooks/1/{TOKEN}",
    f"http://localhost/api/webhooks/1/{TOKEN}",
])
def test_valid_webhook_urls(url):
    assert validate_webhook_url(url) == url.strip().rstrip("/")


@pytest.mark.parametrize("url", [
    f"http://discord.com/api/webhooks/1/{TOKEN}",             # not https
    f"https://discord.com:8443/api/webhooks/1/{TOKEN}",       # odd port
    f"https://evil.example/api/webhooks/1/{TOKEN}",           # other host
    f"https://discord.com.evil.example/api/webhooks/1/{TOKEN}",
    f"https://discord.com/api/webhooks/abc/{TOKEN}",          # id not numeric
    "https://discord.com/api/webhooks/1/",                    # no token
    f"https://discord.com/webhooks/1/{TOKEN}",                # not under /api
    f"https://discord.com/api/webhooks/1/{TOKEN}?thread_id=2",
    f"https://user:{TOKEN}@discord.com/api/webhooks/1/x",
    f"http://10.0.0.1/api/webhooks/1/{TOKEN}",                # not loopback
    f"ftp://127.0.0.1/api/webhooks/1/{TOKEN}",
    "", None, 42,
])
def test_invalid_webhook_urls_never_echo_the_token(url):
    with pytest.raises(ValueError) as info:
        validate_webhook_url(url)
    assert TOKEN not in str(info.value)
    assert "SeCrEt" not in str(info.value)


def test_repr_hides_the_url():
    webhook = DiscordWebhook(f"https://discord.com/api/webhooks/1/{TOKEN}")
    assert TOKEN not in repr(webhook) and "/webhooks/" not in repr(webhook)


def test_mass_mentions_are_neutralised():
    text = neutralize_mentions("Sold: @everyone @here candle (@someone stays)")
    assert "@everyone" not in text and "@here" not in text
    assert f"@{ZERO_WIDTH_SPACE}everyone" in text and "@someone" in text


def test_image_embed():
    assert image_embed("https://i.etsystatic.com/x.jpg", title="Candle") == {
        "title": "Candle", "image": {"url": "https://i.etsystatic.com/x.jpg"}}
    with pytest.raises(ValueError):
        image_embed("javascript:alert(1)")


def test_empty_message_is_refused():
    webhook = DiscordWebhook(f"https://discord.com/api/webhooks/1/{TOKEN}")
    with pytest.raises(ValueError):
        webhook.send()


# -- against the sandbox's Discord sink -----------------------------------------------------------

@pytest.fixture
def webhook_url(sandbox, sandbox_url):
    return sandbox.discord.webhook_url(webhook_id="4242", token=TOKEN, base=sandbox_url)


@pytest.fixture
def webhook(webhook_url):
    return DiscordWebhook(webhook_url, timeout=5, backoff_base=0.01)


def test_send_posts_json_with_wait_and_no_mentions(sandbox, webhook):
    message_id = webhook.send(
        content="New order from @everyone: <@&123> role and <@456> user, @here too",
        username="Etsy @here bot",
        embeds=[image_embed("https://i.etsystatic.com/x.jpg", title="@everyone look")])
    post = sandbox.discord.posts[-1]
    assert message_id == str(post["message_id"])
    assert post["webhook_id"] == "4242"
    assert post["query"].get("wait") == "true"
    payload = post["payload"]
    assert payload["allowed_mentions"] == {"parse": []}
    for text in (payload["content"], payload["username"], payload["embeds"][0]["title"]):
        assert "@everyone" not in text and "@here" not in text
    assert "<@&123>" in payload["content"]  # harmless once allowed_mentions blocks parsing


def test_long_content_is_cut_to_discord_limit(sandbox, webhook):
    webhook.send(content="x" * 5000)
    assert len(sandbox.discord.posts[-1]["payload"]["content"]) == 2000


def test_429_waits_retry_after_then_succeeds(sandbox, webhook):
    sandbox.discord.inject(status=429, count=2, retry_after=0.2)
    started = time.monotonic()
    message_id = webhook.send(content="hello")
    assert time.monotonic() - started >= 0.4
    assert message_id
    assert [p["payload"]["content"] for p in sandbox.discord.posts] == ["hello"]


def test_429_beyond_retries_raises_rate_limit(sandbox, webhook_url):
    sandbox.discord.inject(status=429, count=10, retry_after=0.05)
    webhook = DiscordWebhook(webhook_url, max_retries=2)
    with pytest.raises(DiscordRateLimitError) as info:
        webhook.send(content="hello")
    assert info.value.retry_after == pytest.approx(0.05)
    assert not sandbox.discord.posts


def test_5xx_is_retried_bounded(sandbox, webhook):
    sandbox.discord.inject(status=502, count=2)
    assert webhook.send(content="after outage")
    assert len(sandbox.discord.posts) == 1


def test_deleted_webhook_says_paste_a_new_url(sandbox, webhook):
    sandbox.discord.inject(status=404, count=1)
    with pytest.raises(DiscordWebhookGoneError) as info:
        webhook.send(content="hello")
    assert "paste a new" in info.value.user_message.lower()
    assert TOKEN not in str(info.value)


def test_unreachable_discord_is_a_clear_error_without_the_url():
    with requests.Session() as probe:
        port = _free_port()
        webhook = DiscordWebhook(f"http://127.0.0.1:{port}/api/webhooks/1/{TOKEN}", timeout=1,
                                 max_retries=1, session=probe, backoff_base=0.01)
        with pytest.raises(DiscordError) as info:
            webhook.send(content="hello")
    assert not isinstance(info.value, DiscordUnknownOutcomeError)
    assert TOKEN not in str(info.value) and str(port) not in str(info.value)


def test_token_never_logged(sandbox, webhook, caplog):
    caplog.set_level(logging.DEBUG)
    sandbox.discord.inject(status=429, count=1, retry_after=0.01)
    webhook.send(content="logged?")
    sandbox.discord.inject(status=404, count=1)
    with pytest.raises(DiscordWebhookGoneError):
        webhook.send(content="gone")
    assert caplog.records  # urllib3 and this client did log
    for record in caplog.records:
        assert TOKEN not in record.getMessage()


def _free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
