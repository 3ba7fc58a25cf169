#!/usr/bin/env bash
# Session 23 call 10 (carry .carry/s23f: the final build): benches/figures_128k.sh (new: call 8's
# recipe as one script), without SpecAttn — a second sample of the final build's figures.
C=/tmp/s23f; mkdir -p $C; cp .carry/s23f/* $C/; gunzip -f $C/*.gz; chmod +x $C/*
SDEC=$C/sdec bash benches/figures_128k.sh /tmp/c10
rm -rf /tmp/c10/tune/cubin
tar czf $OUT/call10.tgz -C /tmp c10
