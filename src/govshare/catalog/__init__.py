"""Resource catalog (目录体系): metadata, lifecycle review, search, spreadsheet import, DCAT-AP export."""
