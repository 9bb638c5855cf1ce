"""cosdesk: a desktop upload manager for Tencent Cloud Object Storage (COS)."""

__version__ = "0.1.0"
