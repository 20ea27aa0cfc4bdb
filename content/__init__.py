"""Kiosk content: disclosure documents synced from the county's government website,
the admin's announcements and service guides, and search over them.

`content.store` holds everything in its own SQLite file (the server's store and the
kiosk's offline copy are the same module); `content.sync` walks the website;
`content.extract` reads one page. No Flask and no Kivy in this package."""


class ContentError(Exception):
    """Root of every error the content package raises on purpose.

    `code` and `status` let the server answer with `{"error": code, "message": text}`."""

    code = "content_error"
    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def to_json(self) -> dict:
        return {"error": self.code, "message": self.message}


class ContentNotFound(ContentError):
    code = "not_found"
    status = 404


class InvalidContent(ContentError):
    """Admin input or a change payload that does not fit the store."""

    code = "invalid_content"
    status = 400


class SiteConfigError(ContentError):
    """The site description TOML is missing or wrong."""

    code = "invalid_site"
    status = 400


class SyncBusy(ContentError):
    code = "sync_running"
    status = 409
