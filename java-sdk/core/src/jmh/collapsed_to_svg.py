"""Collapsed stacks (async-profiler 'collapsed' output) to a static SVG flame graph.

Usage: python3 collapsed_to_svg.py COLLAPSED.csv OUT.svg TITLE ROOT_FRAME_SUBSTRING
Only the stacks through ROOT_FRAME_SUBSTRING are drawn, from that frame up (docs/benchmarks.md,
"Round three": the decode flame graphs under docs/img were drawn with ROOT = SegmentDrainer.drain).
"""
import sys, html, zlib
src, out, title, root = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
tree = {}
total = 0
def short(f):
    f = f.replace('/', '.')
    for p in ('dev.weft.internal.', 'java.lang.', 'java.util.', 'jdk.internal.misc.', 'java.nio.'):
        if f.startswith(p): f = f[len(p):]
    return f
for line in open(src):
    line = line.rstrip('\n')
    if not line: continue
    stack, n = line.rsplit(' ', 1); n = int(n)
    frames = stack.split(';')
    idx = next((i for i, fr in enumerate(frames) if root in fr), None)
    if idx is None: continue
    frames = frames[idx:]
    total += n
    node = tree
    for fr in frames:
        fr = short(fr)
        child = node.setdefault(fr, [0, {}])
        child[0] += n
        node = child[1]
W, ROW, FONT = 1200, 17, 11
depth = [0]
def maxdepth(node, d):
    depth[0] = max(depth[0], d)
    for k, (n, ch) in node.items(): maxdepth(ch, d + 1)
maxdepth(tree, 1)
H = (depth[0] + 2) * ROW + 40
parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="monospace" font-size="{FONT}">',
         f'<rect width="{W}" height="{H}" fill="#fdfdf5"/>',
         f'<text x="{W/2}" y="20" text-anchor="middle" font-size="14">{html.escape(title)}</text>']
def color(name):
    h = zlib.crc32(name.encode()) & 0xffff
    if name.endswith('_[k]'): return f'rgb({200 + h % 40},{120 + h % 60},{120 + h % 40})'
    if 'weft' in name or name.startswith(('decode.', 'segment.')): return f'rgb({230 + h % 25},{110 + h % 90},{40 + h % 40})'
    return f'rgb({220 + h % 30},{170 + h % 60},{50 + h % 40})'
def draw(node, x, d, scale):
    for name, (n, ch) in sorted(node.items()):
        w = n * scale
        y = H - 20 - (d + 1) * ROW
        if w >= 0.5:
            pct = 100.0 * n / total
            label = f'{name} ({pct:.1f}%)'
            parts.append(f'<g><title>{html.escape(label)}</title><rect x="{x:.1f}" y="{y}" width="{max(w - 0.5, 0.5):.1f}" height="{ROW - 1}" fill="{color(name)}" rx="1"/>')
            maxc = int((w - 4) / (FONT * 0.6))
            if maxc >= 4:
                t = label if len(label) <= maxc else label[:maxc - 2] + '..'
                parts.append(f'<text x="{x + 2:.1f}" y="{y + ROW - 5}">{html.escape(t)}</text>')
            parts.append('</g>')
            draw(ch, x, d + 1, scale)
        x += w
draw(tree, 10, 0, (W - 20) / total)
parts.append(f'<text x="10" y="{H - 5}" font-size="10">{total} samples (async-profiler 4.0, cpu), width = share of samples under {html.escape(short(root))}</text>')
parts.append('</svg>')
open(out, 'w').write('\n'.join(parts))
print(out, total, 'samples, depth', depth[0])
