"""Plain values shared by every layer above fps: what an IPN is once parsed (``ipn``) and the
reason codes a Cancel carries (``reasons``).

They sit below the store and settings so that the history and the profile can keep them
without importing the IPN receiver or the application layer. No Qt, no I/O here.
"""
