"""Recording files: format, writer, reader, replay, HAR import. No Qt here."""
