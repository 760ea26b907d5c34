"""The sharing agreement document (共享协议): its content, its hash, and its HTML and print views.

The content is data (a dict) fixed when a version is created; the HTML is rendered from it, so what both parties
confirm is pinned by ``content_hash`` (SHA-256 over the canonical JSON) and can be rendered again identically.
Rendered with the standard library (``html.escape``): Jinja2 is not a dependency of the platform yet, and one
self-contained page with no includes does not need it.
"""

from __future__ import annotations

import hashlib
from html import escape
from typing import Any

import orjson

#: Security duties every agreement carries (《政务数据共享条例》: 用途限定, 不得擅自向第三方提供, 安全责任).
STANDARD_DUTIES: tuple[tuple[str, str], ...] = (
    (
        "按照申请的用途和使用范围使用共享数据, 不得用于其他目的。",
        "Use the shared data only for the stated purpose and scope.",
    ),
    (
        "未经提供部门同意, 不得向任何第三方提供、转让或公开共享数据。",
        "Do not pass the data on or publish it without the provider's consent.",
    ),
    (
        "落实数据安全管理制度和技术防护措施, 防止数据泄露、篡改和丢失。",
        "Keep security measures against leaking, altering or losing the data.",
    ),
    (
        "共享数据的获取和使用全程留痕, 接受提供部门和平台运营单位的审计。",
        "Every access and use is logged and open to audit by the provider and the platform operator.",
    ),
    (
        "发现数据有误或有疑义的, 及时通过平台提出校核纠错, 不得自行修改后使用。",
        "Report wrong or doubtful data through the platform (校核纠错) instead of altering it.",
    ),
    (
        "发生数据安全事件的, 立即报告提供部门和平台运营单位并采取处置措施。",
        "Report any security incident at once to the provider and the platform operator.",
    ),
    (
        "协议终止或期满后停止使用, 并按规定删除或归档已获取的数据。",
        "Stop using the data when the agreement ends and delete or archive it as required.",
    ),
)


def content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


_CSS = """
body{font-family:"SimSun","Songti SC","Noto Serif CJK SC",serif;color:#111;max-width:820px;margin:24px auto;
padding:0 24px;line-height:1.7}
h1{text-align:center;font-size:24px;letter-spacing:4px;margin-bottom:4px}
.sub{text-align:center;color:#555;font-size:13px;margin-bottom:24px}
h2{font-size:17px;border-left:4px solid #b22;padding-left:8px;margin-top:28px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border:1px solid #999;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3;width:24%}
.items th{width:auto}
ol li{margin-bottom:4px}
.sign{display:flex;gap:32px;margin-top:32px}
.sign div{flex:1;border:1px solid #999;padding:12px;min-height:110px}
.badge{display:inline-block;padding:0 8px;border:1px solid #b22;color:#b22;font-size:13px}
.hash{font-family:monospace;font-size:12px;color:#555;word-break:break-all}
.en{color:#666;font-size:12px}
"""

_PRINT_CSS = """
@page{size:A4;margin:20mm 18mm}
@media print{body{margin:0;max-width:none;padding:0}.noprint{display:none}h2{break-after:avoid}
table,.sign{break-inside:avoid}}
"""

_STATUS_ZH = {"pending": "待确认", "in_force": "生效", "superseded": "已被新版本取代", "terminated": "已终止"}
_TREATMENT_ZH = {"clear": "明文", "masked": "脱敏"}


def render_html(
    content: dict[str, Any],
    *,
    status: str,
    digest: str,
    consumer_confirmed_at: str | None,
    provider_confirmed_at: str | None,
    terminated_at: str | None = None,
    termination_reason: str = "",
    print_view: bool = False,
) -> str:
    """One self-contained HTML page (no external assets); ``print_view`` adds A4 print rules and a print button."""
    c = content
    consumer, provider = c.get("consumer", {}), c.get("provider", {})
    resource, purpose = c.get("resource", {}), c.get("purpose", {})
    validity, volume = c.get("validity", {}), c.get("volume", {})

    def row(th: str, td: Any) -> str:
        return f"<tr><th>{th}</th><td>{_e(td)}</td></tr>"

    items_rows = "".join(
        f"<tr><td>{n}</td><td>{_e(i.get('name'))}</td><td>{_e(i.get('machine_name'))}</td>"
        f"<td>{_e(_TREATMENT_ZH.get(i.get('treatment'), i.get('treatment')))}</td>"
        f"<td>{_e(i.get('masking') or '')}</td><td>{_e(i.get('sensitivity') or '')}</td></tr>"
        for n, i in enumerate(c.get("items", []), start=1)
    )
    duties = "".join(
        f"<li>{_e(d.get('zh'))}<br><span class='en'>{_e(d.get('en'))}</span></li>" for d in c.get("security_duties", [])
    )
    calls = volume.get("daily_calls")
    records = volume.get("daily_records")
    volume_text = (
        f"每日调用不超过 {calls if calls else '不限'} 次, 每日记录数不超过 {records if records else '不限'} 条"
    )
    services = "、".join(c.get("service_items") or []) or "—"
    terminated = (
        f"<p><span class='badge'>已终止</span> {_e(terminated_at)} {_e(termination_reason)}</p>"
        if terminated_at
        else ""
    )
    button = (
        "<p class='noprint' style='text-align:right'><button onclick='window.print()'>打印 / Print</button></p>"
        if print_view
        else ""
    )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(c.get("title", "政务数据共享协议"))} {_e(c.get("number"))} v{_e(c.get("version"))}</title>
<style>{_CSS}{_PRINT_CSS if print_view else ""}</style></head>
<body>
{button}
<h1>{_e(c.get("title", "政务数据共享协议"))}</h1>
<div class="sub">协议编号 {_e(c.get("number"))} · 第 {_e(c.get("version"))} 版 ·
状态 <span class="badge">{_e(_STATUS_ZH.get(status, status))}</span> · 申请编号 {_e(c.get("request_number"))}</div>
{terminated}
<h2>一、协议双方</h2>
<table>
{row("数据使用方 (甲方)", consumer.get("name"))}
{row("统一社会信用代码", consumer.get("uscc"))}
{row("使用系统", f"{consumer.get('system', {}).get('name', '')} ({consumer.get('system', {}).get('code', '')})")}
{row("甲方联系人", f"{consumer.get('contact_name') or '—'} {consumer.get('contact_phone') or ''}")}
{row("数据提供方 (乙方)", provider.get("name"))}
{row("统一社会信用代码", provider.get("uscc"))}
{row("乙方联系人", f"{provider.get('contact_name') or '—'} {provider.get('contact_phone') or ''}")}
</table>
<h2>二、共享资源与信息项</h2>
<table>
{row("资源名称", resource.get("name"))}
{row("资源代码", resource.get("code"))}
{row("目录版本", resource.get("version"))}
</table>
<table class="items" style="margin-top:8px">
<tr><th>序号</th><th>信息项</th><th>字段名</th><th>提供方式</th><th>脱敏规则</th><th>敏感级别</th></tr>
{items_rows}
</table>
<h2>三、用途、依据与期限</h2>
<table>
{row("用途类别", purpose.get("label"))}
{row("使用场景", purpose.get("text"))}
{row("申请依据", c.get("legal_basis") or "—")}
{row("关联政务服务事项", services)}
{row("使用期限", f"{validity.get('from')} 至 {validity.get('until')}")}
{row("使用量", volume_text)}
{row("办件约束", "仅限在办件中使用, 调用须提供办件编号" if c.get("case_required") else "无")}
</table>
<h2>四、安全责任</h2>
<ol>{duties}</ol>
<h2>五、批准</h2>
<table>
{row("批准时间", c.get("approved", {}).get("at"))}
{row("批准方式", "平台协调" if c.get("approved", {}).get("via") == "coordination" else "提供方答复")}
{row("审批意见", c.get("approved", {}).get("reason") or "—")}
</table>
<h2>六、确认</h2>
<div class="sign">
<div><b>甲方 (数据使用方) 确认</b><br>{_e(consumer.get("name"))}<br>
{"已确认 " + _e(consumer_confirmed_at) if consumer_confirmed_at else "待确认"}</div>
<div><b>乙方 (数据提供方) 确认</b><br>{_e(provider.get("name"))}<br>
{"已确认 " + _e(provider_confirmed_at) if provider_confirmed_at else "待确认"}</div>
</div>
<p class="hash">内容摘要 SHA-256: {_e(digest)}</p>
<p class="en">Government data sharing agreement. The content hash pins the agreed terms of this version; both
parties confirm the version they read. 本协议一式电子存档, 经双方在平台确认后生效。</p>
</body></html>
"""
