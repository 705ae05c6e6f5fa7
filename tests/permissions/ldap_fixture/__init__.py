"""A real OpenLDAP server for the LDAP tests (server.py), its configuration and its data."""
