"""The audit log: hash-chained, append-only, with signed checkpoints. The spine of the platform."""
