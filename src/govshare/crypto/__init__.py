"""Keys and signatures behind one interface (Ed25519 by default; SM2/SM3 later for national crypto)."""
