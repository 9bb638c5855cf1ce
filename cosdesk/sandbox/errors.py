"""The one exception the server's operations raise to answer with a COS error."""

from __future__ import annotations


class CosServerError(Exception):
    """An error answer: HTTP ``status`` with a COS ``<Error>`` body.

    ``close_connection`` asks the HTTP layer to drop the connection after the
    answer (used when a request body was refused and left unread).
    """

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def invalid_argument(message: str) -> CosServerError:
    return CosServerError(400, "InvalidArgument", message)


def no_such_key() -> CosServerError:
    return CosServerError(404, "NoSuchKey", "The specified key does not exist.")


def no_such_upload() -> CosServerError:
    return CosServerError(404, "NoSuchUpload", "The specified multipart upload does not exist.")


def no_such_bucket() -> CosServerError:
    return CosServerError(404, "NoSuchBucket", "The specified bucket does not exist.")


def access_denied(message: str = "Access Denied.") -> CosServerError:
    return CosServerError(403, "AccessDenied", message)


def malformed_xml() -> CosServerError:
    return CosServerError(
        400,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema.",
    )


def internal_error() -> CosServerError:
    return CosServerError(500, "InternalError", "We encountered an internal error. Please try again.")


def invalid_request(message: str) -> CosServerError:
    return CosServerError(400, "InvalidRequest", message)


def precondition_failed() -> CosServerError:
    return CosServerError(412, "PreconditionFailed", "At least one of the preconditions did not hold.")


def insufficient_storage() -> CosServerError:
    """The server's disk is full. COS itself never says this (its disks do not fill),
    so the answer is HTTP's own status for it (507, as MinIO answers for a full
    drive): a server error, so clients may retry, with a message a user can act on."""
    return CosServerError(
        507,
        "InsufficientStorage",
        "The local server has run out of disk space: free some space on the disk that "
        "holds its data, or delete objects, then try again.",
    )
