"""The desktop window: widgets only. Upload logic lives in ``cosdesk.engine``;
a button here calls one engine method."""
