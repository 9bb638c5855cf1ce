"""The COS XML API client: signing, one method per operation, errors, XML. No Qt here."""
