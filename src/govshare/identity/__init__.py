"""Identities: organizations (单位), systems (应用系统) and their credentials, staff users, roles, authentication."""
