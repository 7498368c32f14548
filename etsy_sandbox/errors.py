"""The one exception the sandbox raises to answer a request with an Etsy-shaped error."""


class ApiError(Exception):
    """An HTTP error answer: `status` and a JSON `body` that always carries `error`."""

    def __init__(self, status, error, description=None, headers=None):
        super().__init__(error)
        self.status = status
        self.body = {"error": error}
        if description is not None:
            self.body["error_description"] = description
        self.headers = dict(headers or {})


def bad_request(message):
    """400 with Etsy's `{"error": message}` body."""
    return ApiError(400, message)


def not_found(message):
    """404 with Etsy's `{"error": message}` body."""
    return ApiError(404, message)


def forbidden(message):
    """403 with Etsy's `{"error": message}` body."""
    return ApiError(403, message)
