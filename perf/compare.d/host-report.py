#!/usr/bin/env python3
"""The report of a host-to-host section (perf/compare.d/netdev.sh, vxlan.sh): perf/report.py's whole document, cut
before its targets, retitled, its CPU paragraph replaced, the section's "how it was measured" text appended, headings
one level down, rows renamed; written between the section's markers in OUT (replacing an earlier run's in place,
else appended), the rest of OUT left as it is.

Usage: host-report.py REPORT OUT HOWTO --section NAME --title TEXT --cpu TEXT [--replace OLD NEW]... [--drop REGEX]...
"""
import argparse, re

p = argparse.ArgumentParser()
p.add_argument("report"); p.add_argument("out"); p.add_argument("howto")
p.add_argument("--section", required=True)
p.add_argument("--title", required=True, help="replaces report.py's 'FastBridge against its peers over TAP devices'")
p.add_argument("--cpu", required=True, help="replaces report.py's paragraph on what CPU means")
p.add_argument("--replace", nargs=2, action="append", default=[], metavar=("OLD", "NEW"), help="after the headings moved")
p.add_argument("--drop", action="append", default=[], metavar="REGEX", help="removed last")
a = p.parse_args()

body = open(a.report).read()
body = body.split('### Against the targets')[0] if '### Against the targets' in body else body
body = body.split('## Against the targets')[0]
body = body.replace('FastBridge against its peers over TAP devices', a.title)
body = re.sub(r'CPU is the switch process.*?both cores\.\n', lambda m: a.cpu.rstrip('\n') + '\n', body, flags=re.S)
body = body.rstrip() + '\n\n' + open(a.howto).read()
parts = body.split('```')
body = '```'.join(re.sub(r'^(#+) ', lambda m: '#' + m.group(1) + ' ', part, flags=re.M) if k % 2 == 0 else part for k, part in enumerate(parts))
body = body.replace('## ', f'## {a.section}: ', 1)
for old, new in a.replace:
    body = body.replace(old, new)
for regex in a.drop:
    body = re.sub(regex, '', body)
begin, end = f'<!-- {a.section}:begin', f'<!-- {a.section}:end -->'
block = f'{begin} (perf/compare.sh {a.section} writes this section) -->\n' + body.rstrip() + f'\n{end}\n'
try:
    text = open(a.out).read()
except FileNotFoundError:
    text = ''
m = re.search(re.escape(begin) + r'.*?' + re.escape(end) + r'\n', text, flags=re.S)
if m:
    text = text[:m.start()] + block + text[m.end():]
else:
    text = text.rstrip() + '\n\n' + block
open(a.out, 'w').write(text)
