"""Instant Payment Notifications: parse, verify, receive. No Qt here."""
