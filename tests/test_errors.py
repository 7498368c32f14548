"""User messages of the Etsy and Discord errors: English here, translatable by the addon."""

import re

import pytest
from etsy import errors
from etsy.discord import DiscordError, DiscordWebhookGoneError
from etsy.errors import render_message

ERRORS = [
    errors.EtsyError("x"),
    errors.EtsyConfigError("The Etsy keystring is missing."),
    errors.EtsyAuthError("x"),
    errors.EtsyReauthorizationRequired("x"),
    errors.EtsyForbiddenError("x"),
    errors.EtsyForbiddenError(error="Shared secret is required"),
    errors.EtsyNotFoundError("x"),
    errors.EtsyBadRequestError("price is invalid"),
    errors.EtsyConflictError("listing changed"),
    errors.EtsyOffsetLimitError("Etsy stops listing at offset 12000."),
    errors.EtsyRateLimitError("x"),
    errors.EtsyDailyLimitError("x"),
    errors.EtsyDailyLimitError("x", retry_after=7200),
    errors.EtsyTransientError("x"),
    errors.EtsyUnknownOutcomeError("x"),
    DiscordError("x"),
    DiscordWebhookGoneError("x", 404),
]


def _translate(template, **params):
    """What the addon's `env._(template, **params)` does, with a fake French catalogue."""
    return render_message("FR: " + template, params)


@pytest.mark.parametrize("error", ERRORS, ids=lambda error: type(error).__name__)
def test_user_message_is_the_template_rendered_with_its_params(error):
    template, params = error.message_template, error.message_params
    assert template and isinstance(params, dict)
    assert set(re.findall(r"%\((\w+)\)s", template)) == set(params)
    assert error.user_message == render_message(template, params)
    assert _translate(template, **params) == "FR: " + error.user_message


def test_messages_with_details():
    assert errors.EtsyConfigError("The Etsy keystring is missing.").user_message == (
        "Check the Etsy shop settings: The Etsy keystring is missing.")
    assert errors.EtsyBadRequestError("price is invalid").user_message == (
        "Etsy rejected the data sent: price is invalid. Correct it and try again.")
    assert errors.EtsyDailyLimitError("x", retry_after=7200).message_params == {"hours": 2}
    assert "about 2 hour(s)" in errors.EtsyDailyLimitError("x", retry_after=7200).user_message
    assert "Try again later" in errors.EtsyDailyLimitError("x").user_message
    forbidden = errors.EtsyForbiddenError(error="Shared secret is required")
    assert "shared secret" in forbidden.user_message


def test_an_error_without_text_says_its_own_sentence_or_the_generic_one():
    assert errors.EtsyAuthError().message == errors.EtsyAuthError.message_template
    assert errors.EtsyBadRequestError().message == errors.EtsyError.message_template
    assert str(errors.EtsyNotFoundError(status=404)).endswith("(status=404)")


def test_the_reference_keeps_etsys_own_words_once_and_the_calls_details():
    quoted = errors.EtsyBadRequestError("price is invalid", operation="updateListing", status=400,
                                        request_id="r-1")
    # The sentence already quotes Etsy's words: the reference adds only where the call went.
    assert "price is invalid" in quoted.user_message
    assert quoted.reference == "operation=updateListing, status=400, request_id=r-1"
    unquoted = errors.EtsyNotFoundError(error_description="Listing 42 was removed", status=404)
    assert "Listing 42 was removed" not in unquoted.user_message
    assert unquoted.reference == "Listing 42 was removed (status=404)"
    # Raised without Etsy's words: the sentence says it all, nothing is repeated in English.
    assert errors.EtsyTransientError(status=503).reference == "status=503"
    assert errors.EtsyTransientError().reference == ""
    assert DiscordError("x").reference == ""
