"""What every HTTP caller of the Etsy layer shares (Etsy client, OAuth token calls, Discord
webhook): the network failures that mean "no answer came back", and the backoff between retries.
"""

import random

import requests

# No HTTP answer was read: the connection failed, timed out, or the answer broke off midway.
NETWORK_ERRORS = (requests.Timeout, requests.ConnectionError,
                  requests.exceptions.ChunkedEncodingError)


def backoff_delay(attempt, base=0.5, cap=30.0):
    """Exponential backoff with jitter for retry number ``attempt`` (1, 2, ...)."""
    return min(cap, base * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
