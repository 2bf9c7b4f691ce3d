"""The FPS core: signing, client, XML parsing, models, error catalogue. No Qt here."""
