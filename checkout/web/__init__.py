"""Blueprint "pay": the pages a paying customer sees."""

# Imported for the routes they register: payment links and the signed form, the brand's
# logo and colours, the QR as a file.
from checkout.web import brand, links, qr_file  # noqa: F401
from checkout.web.routes import bp

__all__ = ["bp"]
