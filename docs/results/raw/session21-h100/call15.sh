cd /tmp/t14 && tar czf $OUT/t14.tgz *.md *.txt *.log 2>/dev/null; grep -A 12 "^## Time" summary.md; cat commands.txt
