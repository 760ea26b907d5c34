"""Exchange (交换体系): the query gateway, sealed answers, provider adapters, feeds."""
