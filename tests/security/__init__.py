"""Security suite: keychain, leaks, hostile input, property tests (issue 6)."""
