# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A report's timeline as an SVG picture, for operators who look rather than read.

An upgrade report (pair_upgrade) becomes one band per firewall, coloured by its HA state over
time and labelled with the version it ran, the dataplane outage windows marked across both. A
failover report (failover_verify) becomes its steps on a time axis, from the trigger to the
moment the dataplane led to the new active. Plain SVG 1.1, no script, no external resource.
"""

from __future__ import annotations

from typing import Any, List, Mapping, Sequence, Tuple
from xml.sax.saxutils import escape

from ansible_collections.vmseries.aws_ha.plugins.module_utils.tags import NODES

COLOURS = {"active": "#2e7d32", "passive": "#1565c0", "initial": "#9e9e9e", "suspended": "#ef6c00",
           "non-functional": "#c62828", "down": "#424242"}
OUTAGE = "#d32f2f"
WIDTH, LEFT, RIGHT = 960, 110, 20


def _scale(span: float) -> Any:
    usable = WIDTH - LEFT - RIGHT
    return lambda t: LEFT + usable * (t / span if span > 0 else 0)


def _svg(height: int, body: List[str], title: str) -> str:
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        'font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        f'<text x="{LEFT}" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
        *body, "</svg>", ""])


def _axis(x: Any, span: float, y: int) -> List[str]:
    parts = [f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="#616161"/>']
    step = next((s for s in (1, 2, 5, 10, 30, 60, 120, 300, 600, 1800) if span / s <= 12), 3600)
    tick = 0.0
    while tick <= span + 1e-9:
        parts.append(f'<line x1="{x(tick):.1f}" y1="{y}" x2="{x(tick):.1f}" y2="{y + 4}" stroke="#616161"/>')
        parts.append(f'<text x="{x(tick):.1f}" y="{y + 16}" text-anchor="middle">{tick:g} s</text>')
        tick += step
    return parts


def _spans(samples: Sequence[Mapping[str, Any]], node: str, end: float) -> List[Tuple[float, float, str, str]]:
    """(start, end, state, version) stretches of one firewall from the samples."""
    spans: List[Tuple[float, float, str, str]] = []
    for index, sample in enumerate(samples):
        seen = sample.get(node) or {}
        state, version = str(seen.get("state") or "down"), str(seen.get("version") or "")
        until = samples[index + 1]["t"] if index + 1 < len(samples) else end
        if spans and spans[-1][2:] == (state, version):
            spans[-1] = (spans[-1][0], until, state, version)
        else:
            spans.append((sample["t"], until, state, version))
    return spans


def upgrade_svg(report: Mapping[str, Any]) -> str:
    samples = sorted(report.get("samples") or [], key=lambda s: s["t"])
    steps = report.get("steps") or []
    end = max([s["t"] for s in samples] + [s["start"] + (s.get("seconds") or 0) for s in steps] + [1.0])
    x = _scale(end)
    body: List[str] = []
    for row, node in enumerate(NODES):
        y = 40 + row * 50
        body.append(f'<text x="{LEFT - 8}" y="{y + 20}" text-anchor="end" font-weight="bold">{node}</text>')
        for start, until, state, version in _spans(samples, node, end):
            width = max(x(until) - x(start), 0.5)
            body.append(f'<rect x="{x(start):.1f}" y="{y}" width="{width:.1f}" height="30" '
                        f'fill="{COLOURS.get(state, "#bdbdbd")}"><title>{escape(node)}: {escape(state)} on '
                        f'{escape(version or "?")}, {start:.1f}-{until:.1f} s</title></rect>')
            if width > 60:
                body.append(f'<text x="{x(start) + 4:.1f}" y="{y + 19}" fill="white">{escape(state)} {escape(version)}</text>')
    for window in report.get("outage_windows") or []:
        start, seconds = window["start"], window.get("seconds") or 0
        body.append(f'<rect x="{x(start):.1f}" y="32" width="{max(x(start + seconds) - x(start), 2):.1f}" height="106" '
                    f'fill="{OUTAGE}" fill-opacity="0.35" stroke="{OUTAGE}"><title>dataplane outage: '
                    f'{escape(window["step"])}, {seconds} s</title></rect>')
    body += _axis(x, end, 148)
    legend = list(COLOURS.items()) + [("dataplane outage", OUTAGE)]
    for index, (name, colour) in enumerate(legend):
        lx = LEFT + index * 120
        body.append(f'<rect x="{lx}" y="178" width="12" height="12" fill="{colour}"/>'
                    f'<text x="{lx + 16}" y="189">{escape(name)}</text>')
    title = (f"Upgrade of {report.get('pair', '?')} to {report.get('target_version', '?')}: "
             f"{report.get('outage_seconds', 0)} s of dataplane outage")
    return _svg(200, body, title)


def failover_svg(report: Mapping[str, Any]) -> str:
    rows = report.get("timeline") or []
    end = max([r["seconds"] for r in rows] + [1.0])
    x = _scale(end)
    body: List[str] = [f'<rect x="{x(0):.1f}" y="34" width="{x(end) - x(0):.1f}" height="{22 * len(rows) + 8}" '
                       f'fill="{OUTAGE}" fill-opacity="0.12"><title>from the trigger to the dataplane on the new '
                       f'active: {end} s</title></rect>']
    for index, row in enumerate(rows):
        y = 50 + index * 22
        body.append(f'<circle cx="{x(row["seconds"]):.1f}" cy="{y - 4}" r="5" fill="#1565c0"/>')
        body.append(f'<text x="{LEFT - 8}" y="{y}" text-anchor="end">{escape(str(row["step"]))}</text>')
        body.append(f'<text x="{x(row["seconds"]) + 9:.1f}" y="{y}">{row["seconds"]:.2f} s</text>')
    body += _axis(x, end, 50 + len(rows) * 22)
    title = (f"Failover of {report.get('pair', '?')} ({report.get('ha_method', '?')}): "
             f"{report.get('old_active', '?')} -> {report.get('new_active', '?')} in {report.get('total_seconds', '?')} s")
    return _svg(90 + len(rows) * 22, body, title)


def timeline_svg(report: Mapping[str, Any]) -> str:
    """An upgrade report (it has samples) or a failover report (it has a timeline) as SVG."""
    if "samples" in report:
        return upgrade_svg(report)
    if "timeline" in report:
        return failover_svg(report)
    raise ValueError("not an upgrade report (samples) or a failover report (timeline)")
