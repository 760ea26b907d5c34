"""Unified resource library (统一资源库): base and thematic libraries, ingestion, versions, quality."""
