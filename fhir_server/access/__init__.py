"""Who may see and change what (docs/auth.md): the access policy every interaction consults, searches run
through it, and the AuditEvent trail of every access to patient data."""
