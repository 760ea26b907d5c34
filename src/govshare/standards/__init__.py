"""Standards (规范体系): identifier checks (身份号码, 统一社会信用代码, 电子证照标识) and code tables (GB/T 2260)."""
