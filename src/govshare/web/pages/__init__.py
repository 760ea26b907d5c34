"""Console and portal pages, one module per menu section."""
