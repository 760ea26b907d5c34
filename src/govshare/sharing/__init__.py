"""Sharing workflow (共享体系): access requests, deadlines, agreements, grants, policy decision, objections."""
